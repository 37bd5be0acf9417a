#!/usr/bin/env bash
# examples/mixed-sources end to end: orders from a SQLite database, the
# catalog from CSV, clicks from JSON lines; incremental reads from the
# database; schema drift in the database under each policy; bad database
# inputs fail with one line and leave the lake as it was.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp -r "$ROOT/examples/mixed-sources" "$WORK/ms"
rm -rf "$WORK/ms/lake" "$WORK/ms/data/shop.db"
P="$WORK/ms/recmart.toml"
DB="$WORK/ms/data/shop.db"
bash "$WORK/ms/build_db.sh" >/dev/null

run_status "$RECMART" validate "$P"
expect_eq "validate exit" 0 "$RC"
run_status "$RECMART" crawl -p "$P"
expect_eq "crawl exit" 0 "$RC"
run_status "$RECMART" etl --json -p "$P"
expect_eq "etl 1 exit" 0 "$RC"
expect_contains "etl 1: products, clicks, one extract" '"files":3' "$OUT"
expect_eq "per source" "clicks,42
orders,21" "$(sql1 "$P" 'SELECT SOURCE, count(*) FROM interactions GROUP BY ALL ORDER BY 1')"
expect_eq "orders are purchases" 21 "$(sql1 "$P" "SELECT count(*) FROM interactions WHERE SOURCE = 'orders' AND EVENT_TYPE = 'purchase'")"
expect_eq "items from the CSV" "8" "$(sql1 "$P" 'SELECT count(*) FROM items WHERE CATEGORY_L1 IS NOT NULL')"
expect_eq "one users table" "$(sql1 "$P" 'SELECT count(DISTINCT USER_ID) FROM interactions')" "$(sql1 "$P" 'SELECT count(*) FROM users')"
run_status "$RECMART" etl -p "$P"
expect_contains "etl 2 is a no-op" "nothing new" "$OUT"

# New order lines: only they are read.
sqlite3 "$DB" "INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at) VALUES
  ('SO-0900', 'C001', 'SKU-103', 1, 149, '2024-05-08 09:00:00'),
  ('SO-0900', 'C001', 'SKU-104', 2, 21.5, '2024-05-08 09:00:00');"
run_status "$RECMART" etl --json -p "$P"
expect_contains "etl 3 reads the new rows only" '"raw_rows":2,' "$OUT"
expect_contains "etl 3 says where they went" "2 new rows from sqlite" "$ERR"

# Schema drift in the database: a column added.
sqlite3 "$DB" "ALTER TABLE orders ADD COLUMN coupon TEXT;
  INSERT INTO orders (order_no, customer, sku, qty, unit_price, placed_at, coupon) VALUES
  ('SO-0901', 'C002', 'SKU-105', 1, 12, '2024-05-08 10:00:00', 'SPRING');"
sed 's/on_schema_change = "log"/on_schema_change = "fail"/' "$P" > "$WORK/ms/fail.toml"
before="$(cd "$WORK/ms/lake" && find . -path ./_recmart -prune -o -type f -print | sort)"
run_status "$RECMART" etl -p "$WORK/ms/fail.toml"
expect_eq "fail policy exit" 1 "$RC"
expect_contains "fail policy line" "source 'orders': column 'coupon' added (TEXT) in" "$ERR"
expect_eq "one error line" 1 "$(printf '%s\n' "$ERR" | grep -c '^recmart:')"
expect_eq "lake unchanged after the failure" "$before" "$(cd "$WORK/ms/lake" && find . -path ./_recmart -prune -o -type f -print | sort)"
run_status "$RECMART" etl -p "$P"
expect_eq "log policy exit" 0 "$RC"
expect_contains "log policy line" "column 'coupon' added (TEXT)" "$ERR"
expect_eq "schema history" "current
observed" "$(sqlite3 "$WORK/ms/lake/_recmart/catalog.db" "SELECT state FROM schema_versions WHERE source = 'orders' ORDER BY version")"
expect_eq "orders after drift" 24 "$(sql1 "$P" "SELECT count(*) FROM interactions WHERE SOURCE = 'orders'")"

# Bad inputs: a vanished table, a failing query, a missing database.
count="$(sql1 "$P" 'SELECT count(*) FROM interactions')"
sed 's/^table = "orders"/query = "SELECT line_id, nonsense FROM orders"/' "$P" > "$WORK/ms/badquery.toml"
run_status "$RECMART" etl -p "$WORK/ms/badquery.toml"
expect_eq "bad query exit" 2 "$RC"
expect_eq "bad query line" "recmart: source 'orders': query failed: no such column: nonsense" "$(printf '%s\n' "$ERR" | grep '^recmart:')"
sqlite3 "$DB" "DROP TABLE orders;"
run_status "$RECMART" etl -p "$P"
expect_eq "vanished table exit" 2 "$RC"
expect_eq "vanished table line" "recmart: source 'orders': query failed: no such table: orders" "$(printf '%s\n' "$ERR" | grep '^recmart:')"
rm -f "$DB"
run_status "$RECMART" etl -p "$P"
expect_eq "missing database exit" 1 "$RC"
expect_contains "missing database line" "recmart: source 'orders': cannot open SQLite database $DB" "$ERR"
expect_eq "lake unchanged after the failures" "$count" "$(sql1 "$P" 'SELECT count(*) FROM interactions')"
finish
