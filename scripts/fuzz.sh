#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/: clang 14, ASan+UBSan,
# RECMART_FUZZ=ON) and runs each for a while over a copy of its corpus.
#
#   scripts/fuzz.sh [SECONDS] [--merge] [TARGET...]
#
# SECONDS per target (default 30). TARGETs default to all of fuzz/corpus/*.
# The repo corpus is never grown by a run; --merge adds the inputs a run
# found that reach new coverage (libFuzzer -merge=1) to fuzz/corpus/TARGET.
# Exits non-zero when a target crashes, leaks, hits undefined behaviour or
# hangs (> 10 s on one input); the input is kept as
# build-fuzz/artifacts/TARGET/crash-* (turn it into a regression: copy it to
# fuzz/regressions/TARGET/ and fix the bug).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=30
merge=0
targets=()
for a in "$@"; do
  case "$a" in
    --merge) merge=1 ;;
    ''|*[!0-9]*) targets+=("$a") ;;
    *) seconds="$a" ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for d in "$root"/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

dir="$root/build-fuzz"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRECMART_SANITIZE=ON -DRECMART_FUZZ=ON -DRECMART_NATIVE=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
status=0
for t in "${targets[@]}"; do
  work="$dir/runs/$t"
  artifacts="$dir/artifacts/$t"
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  cp "$root/fuzz/corpus/$t"/* "$work/"
  [ -d "$root/fuzz/regressions/$t" ] && cp "$root/fuzz/regressions/$t"/* "$work/"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [ -f "$root/fuzz/$t.dict" ] && args+=(-dict="$root/fuzz/$t.dict")
  echo "fuzz: $t for ${seconds}s"
  if ! "$dir/fuzz/fuzz_$t" "${args[@]}" "$work" >"$dir/runs/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; log: $dir/runs/$t.log; inputs: $artifacts/" >&2
    grep -E "^==[0-9]+==ERROR|runtime error|invariant failed|Test unit written" "$dir/runs/$t.log" >&2 || true
    status=1
    continue
  fi
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec" "$dir/runs/$t.log" |
    sed "s/^/fuzz: $t /" || true
  if [ "$merge" -eq 1 ]; then
    "$dir/fuzz/fuzz_$t" -merge=1 "$root/fuzz/corpus/$t" "$work" >>"$dir/runs/$t.log" 2>&1
    echo "fuzz: $t corpus now $(ls "$root/fuzz/corpus/$t" | wc -l) inputs"
  fi
done
exit $status
