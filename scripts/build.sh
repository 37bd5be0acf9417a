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
cmake -S "$root" -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
