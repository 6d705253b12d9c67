#!/usr/bin/env bash
# Writes Tests/SerinHelmTests/Fixtures/yaml-cases.json: toYaml/toJson cases
# as Helm computes them, from Debian's Go and go-yaml v2
# (golang-go, golang-gopkg-yaml.v2-dev); see yamlcases/main.go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$(mktemp -d)" go run "$here/yamlcases/main.go" > "$here/../../Tests/SerinHelmTests/Fixtures/yaml-cases.json"
echo "wrote $(grep -c '"input"' "$here/../../Tests/SerinHelmTests/Fixtures/yaml-cases.json") cases"
