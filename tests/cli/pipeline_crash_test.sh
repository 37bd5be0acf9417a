#!/usr/bin/env bash
# Kill-and-restart harness for the pipeline (issue 5 item 5, issue 7 item 3):
# the second run of a shop (new data arrives, a model is live) is killed with
# SIGKILL at many points — in the runner, in the ETL's commit protocol, after
# the registry write, after the promotion — and at timed moments; then
# `recmart pipeline run` is started again until a run succeeds. The lake
# (rows and content checksums per table), the catalog's manifest, the
# promoted version and the promoted model's arrays must equal those of an
# uninterrupted pair of runs: no row lost or duplicated, no half-written file,
# no model trained twice.
#
# Usage: pipeline_crash_test.sh [--long] [--retail]
#   default   a generated shop (recmart generate: clickstream, catalog,
#             customers, orders: all three dataset jobs do work), 10 days
#             delivered, 3 more arriving before the killed run
#   --retail  the bundled Online Retail transactions instead
#   --long    more timed kills (17 instead of 5)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LONG=0
DATA=generated
for arg in "$@"; do
  case "$arg" in
    --long) LONG=1 ;;
    --retail) DATA=retail ;;
    *) echo "usage: $0 [--long] [--retail]" >&2; exit 2 ;;
  esac
done

if [ "$DATA" = generated ]; then
  "$RECMART" -q generate --out "$WORK/shop" --events 40000 --days 13 --seed 11 --malformed-share 0.01 >/dev/null
fi
setup() {  # DIR: the data delivered so far in DIR/data or DIR/events, the rest in DIR/later
  mkdir -p "$1/later" "$1/params"
  if [ "$DATA" = generated ]; then
    cp -r "$WORK/shop/." "$1/"
    mv "$1/events/events-2024-01-1"[1-3]* "$1/later/"
  else
    mkdir -p "$1/data"
    cp "$ROOT/examples/online-retail/recmart.toml" "$1/"
    cp "$ROOT/examples/online-retail/data/online_retail_2010-12.csv.gz" \
       "$ROOT/examples/online-retail/data/online_retail_2011-01.csv.gz" "$1/data/"
    cp "$ROOT/examples/online-retail/data/online_retail_2011-02.csv.gz" "$1/later/"
  fi
  echo '{"recipe": "als", "params": {"factors": 16, "iterations": 4}}' > "$1/params/als.json"
  cat >> "$1/recmart.toml" <<'TOML'

[workflow]
params = "params/als.json"
TOML
}
deliver() {  # DIR: the later files arrive
  if [ "$DATA" = generated ]; then mv "$1/later/"* "$1/events/"; else mv "$1/later/"* "$1/data/"; fi
}
# The promoted version, the versions that exist, and a checksum of the live
# model's arrays (everything in the bundle but its manifest, which holds times).
model_fingerprint() {
  local live
  live="$(grep -o '"live": *"v[0-9]*"' "$1/models/registry.json" | grep -o 'v[0-9][0-9]*')"
  echo "live=$live versions=$(ls "$1/models" | grep -c '^v')"
  (cd "$1/models/$live" && find . -type f ! -name 'manifest.json' ! -name 'ann-*' | sort | xargs sha256sum)
}
state() { lake_fingerprint "$1"; model_fingerprint "$1"; }
second_run() {  # DIR ENV...: new data arrives; run once with ENV (may be killed)
  deliver "$1"
  set +e
  (env "${@:2}" "$RECMART" -q pipeline run -p "$1/recmart.toml"; exit $?) >/dev/null 2>&1
  RC=$?
  set -e
}
restart() {  # DIR: run again until a run succeeds (at most 3 times)
  for _ in 1 2 3; do
    if "$RECMART" -q pipeline run -p "$1/recmart.toml" >/dev/null 2>&1; then return 0; fi
  done
  return 1
}

setup "$WORK/ref"
"$RECMART" -q pipeline run -p "$WORK/ref/recmart.toml" >/dev/null
second_run "$WORK/ref"
expect_eq "reference runs" 0 "$RC"
want="$(state "$WORK/ref")"
expect_contains "reference manifest" "manifest=disk" "$want"
expect_contains "reference promoted the second model" "live=v2 versions=2" "$want"

check() {  # NAME DIR
  if restart "$2"; then pass; else fail "$1: no run succeeded after the kill"; fi
  expect_eq "$1: same lake, model and promotion as an uninterrupted run" "$want" "$(state "$2")"
}

# Named points: in the runner (parent), in jobs (children), in the ETL commit.
for point in pipeline-job-started pipeline-job-finished pipeline-before-finish \
             pipeline-train-added pipeline-promoted \
             after_ingest after_staging before_catalog_commit after_catalog_commit during_renames \
             before_finish_commit before_garbage_collection; do
  d="$WORK/at-$point"
  setup "$d"
  "$RECMART" -q pipeline run -p "$d/recmart.toml" >/dev/null
  second_run "$d" RECMART_CRASH_AT="$point" RECMART_CRASH_ONCE="$d/crashed"
  if [ -f "$d/crashed" ]; then pass; else fail "$point: the kill point was not reached"; fi
  check "$point" "$d"
done

# Timed kills of the whole process group, at moments spread over the run.
delays="0.3 0.8 1.5 2.5 4"
[ "$LONG" = 1 ] && delays="0.1 0.2 0.3 0.5 0.8 1 1.3 1.6 2 2.5 3 3.5 4 5 6 8 10"
for delay in $delays; do
  d="$WORK/timed-$delay"
  setup "$d"
  "$RECMART" -q pipeline run -p "$d/recmart.toml" >/dev/null
  deliver "$d"
  setsid "$RECMART" -q pipeline run -p "$d/recmart.toml" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  check "killed after ${delay}s" "$d"
done

finish
