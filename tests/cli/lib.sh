# Helpers for the CLI tests: sourced, not run. $RECMART is the binary.
set -euo pipefail
: "${RECMART:?set RECMART to the recmart binary}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { PASSED=$((PASSED + 1)); }
# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: expected [$2], got [$3]"; fi
}
# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
  if [[ "$3" == *"$2"* ]]; then pass; else fail "$1: expected to contain [$2], got [$3]"; fi
}
# run_status CMD...: runs, captures stdout/stderr in $OUT/$ERR and the exit code in $RC
run_status() {
  set +e
  OUT="$("$@" 2>"$WORK/stderr")"
  RC=$?
  ERR="$(cat "$WORK/stderr")"
  set -e
}
# One scalar from the lake.
sql1() { "$RECMART" sql -q -p "$1" -f csv "$2" | tail -n +2; }
# lake_fingerprint DIR: a content checksum per table of DIR/recmart.toml's lake,
# independent of file layout and run ids, and whether disk and manifest agree.
lake_fingerprint() {
  local p="$1/recmart.toml"
  for q in \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM interactions t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM interaction_matrix t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM items t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM users t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM daily_item_stats t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM (SELECT * EXCLUDE (RUN_ID) FROM user_item_daily) t" \
    "SELECT count(*), sum(hash(t)::HUGEINT) FROM (SELECT * EXCLUDE (RUN_ID, ingest_date) FROM quarantine) t"; do
    "$RECMART" sql -q -p "$p" -f csv "$q" | tail -n +2
  done
  # Every Parquet file on disk is live in the manifest, and nothing is staged.
  find "$1/lake" -name '*.parquet' -not -path '*/_staging/*' | sed "s|$1/lake/||" | sort > "$WORK/disk"
  sqlite3 "$1/lake/_recmart/catalog.db" "SELECT path FROM lake_files WHERE state = 'live' ORDER BY path" > "$WORK/manifest"
  cmp -s "$WORK/disk" "$WORK/manifest" && echo "manifest=disk" || echo "manifest!=disk"
  [ -d "$1/lake/_staging" ] && echo "staging left" || true
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
