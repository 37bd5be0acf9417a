#!/usr/bin/env bash
# export personalize / import personalize: the service's minimums, the files
# and schemas, and the round trip (export → import into a fresh project →
# etl → the same interactions, users and items).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Too little data: a clear refusal, nothing written; --force writes anyway.
cp -r "$ROOT/examples/mixed-sources" "$WORK/small"
rm -rf "$WORK/small/lake" "$WORK/small/data/shop.db"
bash "$WORK/small/build_db.sh" >/dev/null
"$RECMART" etl -q -p "$WORK/small/recmart.toml" >/dev/null
run_status "$RECMART" export personalize -p "$WORK/small/recmart.toml" "$WORK/small-out"
expect_eq "minimums exit" 1 "$RC"
expect_contains "minimums line" "does not meet Amazon Personalize's minimums: 63 interactions (at least 1,000 needed); " "$ERR"
expect_contains "minimums users" "users with 2 or more interactions (at least 25 needed)" "$ERR"
expect_eq "nothing written" "no" "$([ -e "$WORK/small-out" ] && echo yes || echo no)"
expect_eq "no temp dir left" "" "$(ls -d "$WORK"/small-out.tmp-* 2>/dev/null || true)"
run_status "$RECMART" export personalize --force -p "$WORK/small/recmart.toml" "$WORK/small-out"
expect_eq "force exit" 0 "$RC"
expect_contains "force warns" "below Amazon Personalize's minimums" "$ERR"

# A generated shop, large enough.
"$RECMART" generate -q --out "$WORK/shop" --events 3000 --users 120 --days 3 --seed 5 >/dev/null
"$RECMART" etl -q -p "$WORK/shop/recmart.toml" >/dev/null
run_status "$RECMART" export personalize --json -p "$WORK/shop/recmart.toml" "$WORK/out"
expect_eq "export exit" 0 "$RC"
expect_eq "files" "interactions.csv
interactions.schema.json
items.csv
items.schema.json" "$(ls "$WORK/out" | grep -v '^users')"
expect_eq "interactions header" "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID" "$(head -1 "$WORK/out/interactions.csv")"
expect_eq "interactions rows" "$(sql1 "$WORK/shop/recmart.toml" 'SELECT count(*) FROM interactions')" "$(($(wc -l < "$WORK/out/interactions.csv") - 1))"
expect_eq "timestamps are epoch seconds" "" "$(tail -n +2 "$WORK/out/interactions.csv" | cut -d, -f3 | grep -Ev '^[0-9]{10}$' | head -1)"
schema="$(cat "$WORK/out/interactions.schema.json")"
expect_contains "avro record" '"type": "record"' "$schema"
expect_contains "avro name" '"name": "Interactions"' "$schema"
expect_contains "avro namespace" '"namespace": "com.amazonaws.personalize.schema"' "$schema"
expect_contains "avro version" '"version": "1.0"' "$schema"
expect_contains "timestamp long" '"name": "TIMESTAMP",
      "type": "long"' "$schema"
expect_contains "optional value" '"name": "EVENT_VALUE",
      "type": [
        "null",
        "float"
      ]' "$schema"
expect_contains "categorical item field" '"categorical": true' "$(cat "$WORK/out/items.schema.json")"
expect_eq "no temp dir left" "" "$(ls -d "$WORK"/out.tmp-* 2>/dev/null || true)"
python3 - "$WORK/out" <<'PY' && pass || fail "schemas are valid JSON with at most 50 fields"
import json, sys, os
for name in os.listdir(sys.argv[1]):
    if name.endswith(".schema.json"):
        s = json.load(open(os.path.join(sys.argv[1], name)))
        assert s["type"] == "record" and len(s["fields"]) <= 50, name
PY

# Round trip into a fresh project.
mkdir "$WORK/fresh"
run_status "$RECMART" import personalize -p "$WORK/fresh/recmart.toml" "$WORK/out"
expect_eq "import exit" 0 "$RC"
run_status "$RECMART" validate "$WORK/fresh/recmart.toml"
expect_eq "imported project validates" 0 "$RC"
expect_contains "timestamps epoch_s" 'format = "epoch_s"' "$(cat "$WORK/fresh/recmart.toml")"
run_status "$RECMART" etl -p "$WORK/fresh/recmart.toml"
expect_eq "etl of the import exit" 0 "$RC"
A="$WORK/shop/recmart.toml"
B="$WORK/fresh/recmart.toml"
for q in 'SELECT count(*) FROM interactions' \
         'SELECT count(DISTINCT USER_ID) FROM interactions' \
         'SELECT count(DISTINCT ITEM_ID) FROM interactions' \
         'SELECT count(*) FROM items' \
         'SELECT count(*) FROM users' \
         "SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT concat_ws(',', USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, EVENT_VALUE, SESSION_ID) AS k FROM interactions)" \
         "SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT concat_ws(',', ITEM_ID, TITLE, CATEGORY_L1, CATEGORY_L2, BRAND, PRICE, AVAILABLE) AS k FROM items)" \
         "SELECT md5(string_agg(k, '|' ORDER BY k)) FROM (SELECT concat_ws(',', USER_ID, SEGMENT, COUNTRY) AS k FROM users)"; do
  expect_eq "round trip: $q" "$(sql1 "$A" "$q")" "$(sql1 "$B" "$q")"
done
# A second import into the same project is refused (the sources exist).
run_status "$RECMART" import personalize -p "$B" "$WORK/out"
expect_eq "second import exit" 2 "$RC"
expect_contains "second import line" "duplicate source name" "$ERR"
finish
