#!/usr/bin/env bash
# clang-format over the C++ sources. --check fails on any difference; without it, formats in place.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null; git ls-files --others --exclude-standard '*.cc' '*.h' 2>/dev/null)
[ ${#files[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}" && echo "lint: clang-format clean (${#files[@]} files)"
else
  clang-format -i "${files[@]}"
fi
