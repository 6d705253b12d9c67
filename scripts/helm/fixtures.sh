#!/usr/bin/env bash
# Copies the Helm test data SerinHelmTests renders from the mirrors the
# search tool's fetch brings (/work/.mirror): Helm's `helm template` test
# charts and golden files (pkg/cmd/testdata), Flagger's and podinfo's
# podinfo charts. Data only; see Tests/SerinHelmTests/Fixtures/SOURCES.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../Tests/SerinHelmTests/Fixtures"
mirror="${MIRROR:-/work/.mirror}"
helm="$mirror/helm+helm/repo"
rm -rf "$out/helm" "$out/flagger-podinfo" "$out/podinfo"
mkdir -p "$out/helm/testcharts" "$out/helm/output"
charts="subchart lib-chart chart-bad-type chart-with-template-lib-dep object-order chart-with-template-with-invalid-yaml chart-with-template-with-invalid-template-expr issue-9027"
for chart in $charts; do
  git --git-dir "$helm" archive HEAD "pkg/cmd/testdata/testcharts/$chart" | tar x --strip-components=4 -C "$out/helm/testcharts"
done
for golden in $(git --git-dir "$helm" ls-tree --name-only HEAD pkg/cmd/testdata/output/ | grep -E '/(template|object-order|issue-9027)[^/]*\.txt$'); do
  git --git-dir "$helm" show "HEAD:$golden" > "$out/helm/output/$(basename "$golden")"
done
git --git-dir "$helm" show HEAD:pkg/cmd/template_test.go > /dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/flagger-podinfo" && git --git-dir "$mirror/fluxcd+flagger/repo" archive HEAD:charts/podinfo | tar x -C "$out/flagger-podinfo"
mkdir -p "$out/podinfo" && git --git-dir "$mirror/stefanprodan+podinfo/repo" archive HEAD:charts/podinfo | tar x -C "$out/podinfo"
{
  echo "# SerinHelmTests fixtures — provenance"
  echo
  echo "Copied by scripts/helm/fixtures.sh from public repositories (data: charts and golden outputs):"
  echo
  echo "| folder | repository | path | commit |"
  echo "|---|---|---|---|"
  echo "| helm/testcharts, helm/output | helm/helm | pkg/cmd/testdata/{testcharts,output} | $(git --git-dir "$helm" rev-parse HEAD) |"
  echo "| flagger-podinfo | fluxcd/flagger | charts/podinfo | $(git --git-dir "$mirror/fluxcd+flagger/repo" rev-parse HEAD) |"
  echo "| podinfo | stefanprodan/podinfo | charts/podinfo | $(git --git-dir "$mirror/stefanprodan+podinfo/repo" rev-parse HEAD) |"
  echo
  echo "Licences: Helm, Flagger and podinfo are Apache-2.0."
} > "$out/SOURCES.md"
du -sh "$out"
