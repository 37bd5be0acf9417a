#!/usr/bin/env bash
# The REES46 clickstream sample from ../shared (skipped when absent: it may
# not be bundled). Published counts: 17,434 rows; 17,055 views, 165 carts,
# 214 purchases; 4,504 users; 5,066 sessions.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
data="$ROOT/../shared/data/rees46-clickstream-sample"
if [ ! -d "$data" ]; then
  echo "skipped: $data not present"
  exit 77
fi
mkdir -p "$WORK/r"
sed "s|../../../shared/data/rees46-clickstream-sample|$data|" "$ROOT/examples/rees46/recmart.toml" > "$WORK/r/recmart.toml"
P="$WORK/r/recmart.toml"
run_status "$RECMART" etl --json -p "$P"
expect_eq "etl exit" 0 "$RC"
expect_contains "raw rows" '"raw_rows":17434' "$OUT"
expect_contains "nothing quarantined" '"quarantined":0' "$OUT"
dups="$(printf '%s' "$OUT" | sed -E 's/.*"duplicates":([0-9]+).*/\1/')"
expect_eq "accepted + duplicates = raw" 17434 "$(( $(sql1 "$P" 'SELECT count(*) FROM interactions') + dups ))"
# The exact duplicates are rows that repeat all of their fields.
expect_eq "duplicates match the raw file" "$dups" "$(sql1 "$P" "SELECT count(*) - count(DISTINCT (user_id, product_id, event_time, event_type, price, user_session)) FROM read_csv('$data/2019-Oct-head17434.csv')")"
expect_eq "event types" $'add_to_cart\npurchase\nview' "$(sql1 "$P" 'SELECT DISTINCT EVENT_TYPE FROM interactions ORDER BY 1')"
expect_eq "users" 4504 "$(sql1 "$P" 'SELECT count(*) FROM users')"
expect_eq "sessions" 5066 "$(sql1 "$P" 'SELECT count(DISTINCT SESSION_ID) FROM interactions')"
expect_eq "one day" "2019-10-01" "$(sql1 "$P" 'SELECT DISTINCT event_date FROM interactions')"
expect_eq "category split" "electronics/smartphone" "$(sql1 "$P" "SELECT CATEGORY_L1 || '/' || CATEGORY_L2 FROM items WHERE ITEM_ID = '1004237'")"
expect_eq "matrix = interactions" "$(sql1 "$P" 'SELECT count(*) FROM interactions')" "$(sql1 "$P" 'SELECT sum(EVENTS) FROM interaction_matrix')"
finish
