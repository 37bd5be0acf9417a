#!/usr/bin/env bash
# The bundled UCI Online Retail example end to end through the CLI: every raw
# row accounted for, the documented rules applied, incremental re-runs, SQL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp -r "$ROOT/examples/online-retail" "$WORK/or"
rm -rf "$WORK/or/lake"
P="$WORK/or/recmart.toml"

run_status "$RECMART" validate "$P"
expect_eq "validate exit" 0 "$RC"

# Deliver the first two months only, then the rest: the second run reads only the new files.
mkdir "$WORK/or/later"
mv "$WORK/or/data/online_retail_2011-0"[2-9]* "$WORK/or/data/online_retail_2011-1"* "$WORK/or/later/"
run_status "$RECMART" etl --json -p "$P"
expect_eq "etl 1 exit" 0 "$RC"
expect_contains "etl 1 files" '"files":2' "$OUT"
mv "$WORK/or/later/"* "$WORK/or/data/"
run_status "$RECMART" etl --json -p "$P"
expect_eq "etl 2 exit" 0 "$RC"
expect_contains "etl 2 files" '"files":11' "$OUT"
run_status "$RECMART" etl -p "$P"
expect_contains "etl 3 is a no-op" "nothing new" "$OUT"

# All 541,909 raw rows accounted for, across both runs.
expect_eq "raw rows" 541909 "$(sqlite3 "$WORK/or/lake/_recmart/catalog.db" 'SELECT sum(raw) FROM reconciliation')"
expect_eq "balanced" 0 "$(sqlite3 "$WORK/or/lake/_recmart/catalog.db" 'SELECT count(*) FROM reconciliation WHERE raw <> accepted + quarantined + duplicates')"
expect_eq "accepted = interactions" "$(sqlite3 "$WORK/or/lake/_recmart/catalog.db" 'SELECT sum(accepted) FROM reconciliation')" "$(sql1 "$P" 'SELECT count(*) FROM interactions')"
expect_eq "quarantined = quarantine rows" "$(sqlite3 "$WORK/or/lake/_recmart/catalog.db" 'SELECT sum(quarantined) FROM reconciliation')" "$(sql1 "$P" 'SELECT count(*) FROM quarantine')"
# The documented rules: the published counts of the dataset.
expect_eq "missing CustomerID" 135080 "$(sql1 "$P" "SELECT count(*) FROM quarantine WHERE REASON = 'missing_user_id'")"
expect_eq "cancellations (all with CustomerID)" 8905 "$(sql1 "$P" "SELECT count(*) FROM quarantine WHERE REASON = 'cancelled_order'")"
expect_eq "no purchase with a non-positive value" 0 "$(sql1 "$P" 'SELECT count(*) FROM interactions WHERE EVENT_VALUE <= 0')"
expect_eq "customers" 4334 "$(sql1 "$P" 'SELECT count(*) FROM users')"
expect_eq "matrix = interactions" "$(sql1 "$P" 'SELECT count(*) FROM interactions')" "$(sql1 "$P" 'SELECT sum(EVENTS) FROM interaction_matrix')"
expect_eq "revenue matrix = interactions" "$(sql1 "$P" 'SELECT round(sum(EVENT_VALUE), 2) FROM interactions')" "$(sql1 "$P" 'SELECT round(sum(REVENUE), 2) FROM interaction_matrix')"

# report: exit 0 when balanced, JSON for scripts.
run_status "$RECMART" report --json -p "$P"
expect_eq "report exit" 0 "$RC"
expect_contains "report balanced" '"balanced": true' "$OUT"

# sql output formats.
expect_eq "sql csv" $'n\n3' "$("$RECMART" sql -q -p "$P" -f csv 'SELECT 3 AS n')"
expect_eq "sql json" '[{"n":3}]' "$("$RECMART" sql -q -p "$P" --json 'SELECT 3 AS n')"
expect_contains "sql table" "(1 row)" "$("$RECMART" sql -q -p "$P" 'SELECT 3 AS n')"
# interactive: statements from standard input.
expect_contains "sql stdin" "(1 row)" "$(printf 'SELECT count(*) FROM items;\n' | "$RECMART" sql -q -p "$P")"
# Lake files are plain Hive-partitioned Parquet: readable without recmart's views.
expect_eq "hive layout" "$(sql1 "$P" 'SELECT count(*) FROM interactions')" \
  "$("$RECMART" sql -q -p "$P" -f csv "SELECT count(*) FROM read_parquet('$WORK/or/lake/interactions/*/*.parquet', hive_partitioning = true)" | tail -n +2)"
finish
