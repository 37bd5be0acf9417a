#!/usr/bin/env bash
# Installs everything recmart needs on Debian 12: the Debian packages and the
# pinned DuckDB 1.4.4 (LTS) shared library and headers, fetched from the npm
# registry into third_party/duckdb (not committed). Idempotent: a second run
# only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages. Keep this list in sync with CMakeLists.txt find_package calls.
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev sqlite3 libpq-dev postgresql zlib1g-dev libzstd-dev libxxhash-dev
  nlohmann-json3-dev libsimdjson-dev libeigen3-dev libtbb-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost1.74-dev libhnswlib-dev liblmdb-dev wrk curl ccache
  clang-format clang-tidy
  clang-14 libclang-rt-14-dev   # scripts/fuzz.sh: clang and libFuzzer
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from Node.js outside Debian; only ask Debian for it when absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "deps: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# DuckDB, pinned. The shared library ships in the node bindings package; the
# headers in the duckdb package's amalgamation sources.
DUCKDB_LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
DUCKDB_HDR_PKG="duckdb@1.4.4"
dest="$root/third_party/duckdb"
stamp="$dest/.pinned"
want="$DUCKDB_LIB_PKG $DUCKDB_HDR_PKG"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$dest/lib/libduckdb.so" ]; then
  echo "deps: fetching DuckDB ($want)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$DUCKDB_LIB_PKG" "$DUCKDB_HDR_PKG" >/dev/null)
  mkdir -p "$tmp/lib" "$tmp/hdr"
  tar xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp/lib"
  tar xzf "$tmp"/duckdb-1.4.4.tgz -C "$tmp/hdr" package/src/duckdb/src/include/duckdb.h
  rm -rf "$dest"
  mkdir -p "$dest/lib" "$dest/include"
  cp "$tmp/lib/package/libduckdb.so" "$dest/lib/"
  cp "$tmp/lib/package/LICENSE" "$dest/LICENSE"
  cp "$tmp/hdr/package/src/duckdb/src/include/duckdb.h" "$dest/include/"
  echo "$want" > "$stamp"
fi
