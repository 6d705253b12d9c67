#!/usr/bin/env bash
# Fails when the embedded dashboard differs from dashboard/*.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=Sources/SerinServer/Dashboard/DashboardAssets+Sources.swift
before=$(cat "$generated" 2>/dev/null || true)
bash scripts/embed-dashboard.sh >/dev/null
if [ "$before" != "$(cat "$generated")" ]; then
  echo "dashboard/* changed: $generated was regenerated; commit it"
  exit 1
fi
