#!/usr/bin/env bash
# Writes Tests/SerinHelmTests/Fixtures/sprig-cases.json: Sprig's functions
# as Sprig computes them, from Debian's Go and Sprig packages
# (golang-go, golang-github-masterminds-sprig-dev); see sprigcases/main.go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src=/usr/share/gocode/src
cp "$here/sprigcases/main.go" "$work/"
# Each package copied into the scratch module; those Debian ships without a go.mod get one.
deps="github.com/Masterminds/sprig/v3=github.com/Masterminds/sprig github.com/Masterminds/semver/v3=github.com/Masterminds/semver
github.com/Masterminds/goutils=github.com/Masterminds/goutils github.com/huandu/xstrings=github.com/huandu/xstrings
github.com/imdario/mergo=github.com/imdario/mergo github.com/mitchellh/copystructure=github.com/mitchellh/copystructure
github.com/mitchellh/reflectwalk=github.com/mitchellh/reflectwalk github.com/google/uuid=github.com/google/uuid
github.com/shopspring/decimal=github.com/shopspring/decimal github.com/spf13/cast=github.com/spf13/cast
golang.org/x/crypto=golang.org/x/crypto"
{
  echo "module sprigcases"; echo; echo "go 1.19"; echo
  for dep in $deps; do
    module="${dep%%=*}"; version=v0.0.0-00010101000000-000000000000
    case "$module" in */v3) version=v3.0.0;; esac
    echo "require $module $version"
  done
  for dep in $deps; do
    module="${dep%%=*}"; dir="${dep#*=}"
    mkdir -p "$work/deps/$dir" && cp -r "$src/$dir/." "$work/deps/$dir/"
    printf 'module %s\n\ngo 1.13\n' "$module" > "$work/deps/$dir/go.mod"
    echo "replace $module => ./deps/$dir"
  done
} > "$work/go.mod"
(cd "$work" && GOFLAGS=-mod=mod GOPROXY=off GONOSUMDB=* GOFLAGS=-mod=mod GOCACHE="$work/cache" GOPATH="$work/gopath" go run . > "$here/../../Tests/SerinHelmTests/Fixtures/sprig-cases.json")
echo "wrote $(grep -c '"template"' "$here/../../Tests/SerinHelmTests/Fixtures/sprig-cases.json") cases"
