#!/usr/bin/env bash
# clang-tidy over the project's sources with the build's compile commands
# (scripts/build.sh release first). Prints warnings; exits non-zero if any.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -f build/compile_commands.json ] || { echo "tidy: run scripts/build.sh release first" >&2; exit 2; }
mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
out="$(mktemp)"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet 2>/dev/null > "$out" || true
n=$(grep -c 'warning:' "$out" || true)
grep -A3 'warning:' "$out" || true
echo "tidy: $n warnings in ${#files[@]} files"
rm -f "$out"
[ "$n" -eq 0 ]
