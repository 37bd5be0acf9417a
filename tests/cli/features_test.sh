#!/usr/bin/env bash
# Item matching and the feature store through the CLI and the API: ids
# normalised and matched by title in the ETL (with `recmart match report`),
# `recmart features materialize | get | training-set`, GET /features/...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P="$WORK/fs"
mkdir -p "$P"
cat > "$P/catalog.csv" <<'CSV'
sku,name,cat,price
SKU-000123,WHITE HANGING HEART T-LIGHT HOLDER,home,2.55
SKU-000124,RED HANGING HEART T-LIGHT HOLDER,home,2.95
SKU-000200,JUMBO BAG RED RETROSPOT,bags,120
CSV
cat > "$P/events.csv" <<'CSV'
u,i,t,e,v
a,123,2024-01-01T10:00:00Z,view,
a, 0123 ,2024-01-02T10:00:00Z,purchase,2.55
b,200,2024-01-03T10:00:00Z,view,
a,200,2024-01-10T10:00:00Z,purchase,120
CSV
cat > "$P/partner.csv" <<'CSV'
u,title,t
c,White Hanging Heart T Light Holder,2024-01-04T00:00:00Z
d,Hanging Heart T-Light Holder,2024-01-04T00:00:00Z
CSV
cat > "$P/recmart.toml" <<'TOML'
[project]
lake = "lake"
[[sources]]
name = "catalog"
kind = "items"
path = "catalog.csv"
format = "csv"
item_id_rules = ["upper", "strip_prefix:SKU-", "strip_leading_zeros"]
[sources.columns]
ITEM_ID = "sku"
TITLE = "name"
CATEGORY_L1 = "cat"
PRICE = "price"
[[sources]]
name = "shop"
kind = "events"
path = "events.csv"
format = "csv"
item_id_rules = ["trim", "strip_leading_zeros"]
[sources.columns]
USER_ID = "u"
ITEM_ID = "i"
TIMESTAMP = "t"
EVENT_TYPE = "e"
EVENT_VALUE = "v"
[[sources]]
name = "partner"
kind = "events"
path = "partner.csv"
format = "csv"
event_type_constant = "view"
[sources.columns]
USER_ID = "u"
ITEM_ID = "title"
TIMESTAMP = "t"
[sources.item_columns]
TITLE = "title"
[matching]
reference_source = "catalog"
title_sources = ["partner"]
threshold = 0.75
[features.user]
features = ["recency_days", "frequency", "monetary", "favourite_categories"]
ttl_hours = 24
[features.item]
features = ["popularity", "price_band"]
windows_days = [7]
TOML
T="$P/recmart.toml"
"$RECMART" etl -q -p "$T" >/dev/null
expect_eq "ids normalised and titles matched" "a|123
a|123
a|200
b|200
c|123
d|Hanging Heart T-Light Holder" "$(sql1 "$T" "SELECT USER_ID || '|' || ITEM_ID FROM interactions ORDER BY 1")"

run_status "$RECMART" match report -p "$T"
expect_eq "match report exit" 0 "$RC"
expect_contains "match report: the match" "matched" "$OUT"
expect_contains "match report: the ambiguous one" "ambiguous" "$OUT"
expect_contains "match report summary" "1 matched, 1 unmatched, against 3 reference items" "$ERR"
expect_eq "match report --unmatched --json" "ambiguous" \
  "$("$RECMART" match report -p "$T" --json | python3 -c 'import json,sys; print(",".join(m["outcome"] for m in json.load(sys.stdin)["matches"] if m["item_id"] is None))')"

run_status "$RECMART" features materialize -p "$T" --date 2024-01-05 --json
expect_eq "materialize exit" 0 "$RC"
expect_contains "materialize snapshot" '"snapshot_date":"2024-01-05"' "$OUT"
[ -f "$P/lake/features/user/snapshot_date=2024-01-05/part.parquet" ] && pass || fail "offline snapshot file"
[ -f "$P/features.lmdb/data.mdb" ] && pass || fail "online store"
run_status "$RECMART" features get user a -p "$T"
expect_eq "get user exit" 0 "$RC"
expect_eq "user a monetary as of Jan 5 (the Jan 10 purchase is later)" "2.55 1 ['home']" \
  "$(printf '%s' "$OUT" | python3 -c 'import json,sys; f=json.load(sys.stdin)["features"]; print(f["monetary"], f["frequency"], f["favourite_categories"])')"
run_status "$RECMART" features get item 123 -p "$T"
expect_contains "get item" '"price_band": "<10"' "$OUT"
run_status "$RECMART" features get user nobody -p "$T"
expect_eq "unknown user exit" 1 "$RC"
expect_eq "unknown user message" "recmart: no user features for 'nobody'" "$ERR"

printf 'user_id,item_id,timestamp,label\na,200,2024-01-10T10:00:00Z,1\na,200,2024-01-11T00:00:00Z,0\n' > "$P/labels.csv"
run_status "$RECMART" features training-set -p "$T" --labels "$P/labels.csv" --out "$P/train.csv"
expect_eq "training-set exit" 0 "$RC"
expect_eq "training set: no value from the label's moment or later" "2.55
122.55" "$(python3 -c 'import csv,sys; [print(r["user_monetary"]) for r in csv.DictReader(open(sys.argv[1]))]' "$P/train.csv")"

# The API. A model is needed to start the server.
"$RECMART" train -q -p "$T" --recipe popularity >/dev/null
"$RECMART" serve -q -p "$T" --port 0 --port-file "$WORK/port" &
SERVER=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT="$(cat "$WORK/port")"
code() { curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
expect_eq "GET /features/users/a" 200 "$(code /features/users/a)"
expect_contains "user body" '"monetary":2.55' "$(cat "$WORK/body")"
expect_eq "GET /features/items/200" 200 "$(code /features/items/200)"
expect_contains "item body" '"itemId":"200"' "$(cat "$WORK/body")"
expect_eq "unknown user 404" 404 "$(code /features/users/nobody)"
expect_contains "unknown user JSON error" '{"error":"no user features for' "$(cat "$WORK/body")"
kill "$SERVER"
wait "$SERVER" || true
finish
