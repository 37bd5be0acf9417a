#!/usr/bin/env bash
# Builds data/shop.db (the shop's order database, SQLite) from data/shop.sql.
# Run once before `recmart etl`; run again to start over from the dump.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -f "$here/data/shop.db"
sqlite3 "$here/data/shop.db" < "$here/data/shop.sql"
echo "wrote $here/data/shop.db ($(sqlite3 "$here/data/shop.db" 'SELECT count(*) FROM orders') order lines)"
