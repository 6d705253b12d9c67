#!/usr/bin/env bash
# Writes Go's own text/template test tables as JSON for SerinTemplateTests:
# lex_test.go, parse_test.go, exec_test.go and multi_test.go of the Go
# installed here (Debian's golang-go; its standard library sources), with
# each case's actual output or error text as Go's own template package gives
# it. The tables are read by compiling the test files beside a small dumper
# (dump_*_test.go in this folder) in a scratch module; nothing is fetched.
#
#   bash scripts/helm/go-tables.sh      # rewrites Tests/SerinTemplateTests/GoTables/*.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../Tests/SerinTemplateTests/GoTables"
goroot="$(go env GOROOT)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parse" "$work/template" "$work/fmtsort"
cat >"$work/go.mod" <<MOD
module gotables

go 1.19
MOD
cp "$goroot"/src/text/template/parse/*.go "$work/parse/"
cp "$goroot"/src/text/template/*.go "$work/template/"
# External tests need internal/testenv; the tables are in the package's own tests.
rm -f "$work"/template/link_test.go "$work"/template/example*_test.go
cp -r "$goroot"/src/text/template/testdata "$work/template/" 2>/dev/null || true
cp "$goroot"/src/internal/fmtsort/sort.go "$work/fmtsort/"
# The template package imports internal/fmtsort, which only the standard library may.
sed -i 's#"internal/fmtsort"#"gotables/fmtsort"#' "$work"/template/*.go
cp "$here/dump_parse_test.go" "$work/parse/"
cp "$here/dump_template_test.go" "$work/template/"
mkdir -p "$out"
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$work/cache" GOPATH="$work/gopath"
(cd "$work/parse" && TABLES_OUT="$out" go test -count=1 -run 'TestDumpTables' . | grep -v '^ok' || true)
(cd "$work/template" && TABLES_OUT="$out" go test -count=1 -run 'TestDumpTables' . | grep -v '^ok' || true)
echo "go $(go env GOVERSION): tables written to $(cd "$out" && pwd)"
ls -l "$out"
