#!/usr/bin/env bash
# README command 2 (and CI): installs what is needed, builds the release and
# the ASan+UBSan trees, and runs the whole test suite in both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/deps.sh"
"$root/scripts/build.sh" release
"$root/scripts/build.sh" asan
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)") || status=1
(cd "$root/build-asan" && ctest --output-on-failure -j "$(nproc)" -LE no-asan) || status=1
"$root/scripts/lint.sh" --check || status=1
# A short libFuzzer run of every parser of outside input (clang, ASan+UBSan).
"$root/scripts/fuzz.sh" "${RECMART_FUZZ_SECONDS:-20}" || status=1
exit $status
