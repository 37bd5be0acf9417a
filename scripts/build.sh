#!/usr/bin/env bash
# Configures and builds recmart. Usage: scripts/build.sh [release|asan] (default release).
# Build trees: build/ (release) and build-asan/ (ASan+UBSan, for tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-release}"
case "$mode" in
  release) dir="$root/build"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir="$root/build-asan"; args=(-DCMAKE_BUILD_TYPE=Debug -DRECMART_SANITIZE=ON) ;;
  *) echo "build.sh: unknown mode '$mode' (expected release or asan)" >&2; exit 2 ;;
esac
# ccache (Debian package, optional) makes rebuilds in a second tree cheap; it is
# keyed on paths relative to the checkout, so every build tree shares hits.
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
