#!/usr/bin/env bash
# Fails when the embedded strategies differ from strategies/*.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=Sources/SerinSpec/Strategies/BuiltinStrategies+Sources.swift
before=$(cat "$generated")
bash scripts/embed-strategies.sh >/dev/null
if [ "$before" != "$(cat "$generated")" ]; then
  echo "strategies/*.yaml changed: $generated was regenerated; commit it"
  exit 1
fi
