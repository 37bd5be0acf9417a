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
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
