#!/usr/bin/env bash
# Kill-and-restart: a run killed (SIGKILL) at each step of the commit protocol
# and then run again must give exactly the lake of an uninterrupted run: same
# rows in every table, no file left half-written, nothing duplicated.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup() {  # DIR: the Online Retail example with its first two months delivered
  cp -r "$ROOT/examples/online-retail" "$1"
  rm -rf "$1/lake"
  mkdir "$1/later"
  mv "$1/data/online_retail_2011-0"[2-9]* "$1/data/online_retail_2011-1"* "$1/later/"
  mv "$1/later/online_retail_2011-1"* "$1/later/online_retail_2011-0"[4-9]* "$WORK/" 2>/dev/null || true
}
# Reference: two months, then the next two, uninterrupted.
setup "$WORK/ref"
"$RECMART" etl -q -p "$WORK/ref/recmart.toml" >/dev/null
mv "$WORK/ref/later/"* "$WORK/ref/data/"
"$RECMART" etl -q -p "$WORK/ref/recmart.toml" >/dev/null
want="$(lake_fingerprint "$WORK/ref")"
expect_contains "reference manifest" "manifest=disk" "$want"

for point in after_ingest after_staging before_catalog_commit after_catalog_commit during_renames \
             before_finish_commit before_garbage_collection; do
  d="$WORK/crash-$point"
  setup "$d"
  "$RECMART" etl -q -p "$d/recmart.toml" >/dev/null
  mv "$d/later/"* "$d/data/"
  set +e
  RECMART_CRASH_AT="$point" "$RECMART" etl -q -p "$d/recmart.toml" >/dev/null 2>&1
  rc=$?
  set -e
  expect_eq "$point: killed by SIGKILL" 137 "$rc"
  # Whatever a reader sees now is a consistent state: the old or the new one.
  "$RECMART" etl -q -p "$d/recmart.toml" >/dev/null
  expect_eq "$point: same lake as an uninterrupted run" "$want" "$(lake_fingerprint "$d")"
  # And a further run has nothing to do.
  expect_contains "$point: then nothing new" "nothing new" "$("$RECMART" etl -p "$d/recmart.toml")"
done
finish
