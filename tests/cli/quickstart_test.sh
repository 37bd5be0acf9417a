#!/usr/bin/env bash
# README command 1 past its setup: the main job of scripts/quickstart.sh on a
# copy of the Online Retail example, so that the README stays true.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp -r "$ROOT/examples/online-retail" "$WORK/or"
rm -rf "$WORK/or/lake" "$WORK/or/models"
run_status env QUICKSTART_JOB_ONLY=1 RECMART="$RECMART" QUICKSTART_PROJECT="$WORK/or/recmart.toml" \
  bash "$ROOT/scripts/quickstart.sh"
expect_eq "quickstart exit" 0 "$RC"
ALL="$OUT$ERR"
expect_contains "pipeline promoted a model" "promoted v1" "$ALL"
expect_contains "daily SQL ran" "revenue" "$ALL"
expect_contains "recommendations shown" "recommendations for customer 17841:" "$ALL"
expect_contains "live model shown" '"candidate": "v1"' "$ALL"
finish
