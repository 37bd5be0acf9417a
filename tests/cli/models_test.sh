#!/usr/bin/env bash
# The recommendation engine through the CLI on the bundled Online Retail data
# (three months, to stay quick): train with held-out metrics, the registry
# (list, show, promote, rollback), recommend / similar / rank /
# batch-recommend in the API's shapes, evaluate, tune, and one-line errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp -r "$ROOT/examples/online-retail" "$WORK/or"
rm -rf "$WORK/or/lake" "$WORK/or/models"
mkdir "$WORK/or/later"
mv "$WORK/or/data/online_retail_2011-0"[3-9]* "$WORK/or/data/online_retail_2011-1"* "$WORK/or/later/"
P="$WORK/or/recmart.toml"
"$RECMART" -q etl -p "$P" >/dev/null

# Before any training: a clear error, not a crash.
run_status "$RECMART" recommend -p "$P" --user 12347
expect_eq "recommend without a model exits 1" 1 "$RC"
expect_contains "recommend without a model says so" "no live model yet" "$ERR"

# Bad recipe / params: one line, exit 2, before reading the lake.
run_status "$RECMART" train -p "$P" --recipe nope
expect_eq "unknown recipe exit" 2 "$RC"
expect_contains "unknown recipe message" "unknown recipe 'nope' (known: popularity" "$ERR"
echo '{"factors": 8, "regulariztion": 1}' >"$WORK/bad.json"
run_status "$RECMART" train -p "$P" --recipe als --params "$WORK/bad.json"
expect_eq "bad params exit" 2 "$RC"
expect_contains "bad params message" "regulariztion: unknown parameter" "$ERR"
expect_eq "bad params is one line" 1 "$(echo "$ERR" | wc -l)"

# Train two versions; the first becomes live; metrics are recorded.
echo '{"factors": 16, "iterations": 5}' >"$WORK/als.json"
run_status "$RECMART" train -p "$P" --recipe als --params "$WORK/als.json" --json
expect_eq "train als exit" 0 "$RC"
expect_contains "train als version" '"version":"v1"' "$OUT"
expect_contains "train als live" '"live":true' "$OUT"
expect_contains "train als metrics" '"ndcg@10":' "$OUT"
run_status "$RECMART" train -p "$P" --recipe item-knn --evaluate none --json
expect_contains "train knn version" '"version":"v2"' "$OUT"
expect_contains "train knn not live" '"live":false' "$OUT"

run_status "$RECMART" models list -p "$P" --json
expect_contains "list v1 live" '"live":true,"metrics":{' "$OUT"
expect_contains "list v2" '"recipe":"item-knn"' "$OUT"
run_status "$RECMART" models show -p "$P" v1
expect_contains "show params" '"factors": 16' "$OUT"
expect_contains "show snapshot" '"interaction_matrix"' "$OUT"
expect_contains "show managed-service metric names" '"normalized_discounted_cumulative_gain_at_10"' "$OUT"

# Answers in the API's shapes.
run_status "$RECMART" recommend -p "$P" --user 12347 -n 5 --json
expect_eq "recommend exit" 0 "$RC"
expect_eq "recommend 5 items" 5 "$(echo "$OUT" | grep -o '"itemId"' | wc -l)"
expect_contains "recommend model version" '"modelVersion":"v1"' "$OUT"
expect_contains "recommend source" '"source":"model"' "$OUT"
run_status "$RECMART" recommend -p "$P" --user "someone new" -n 3 --json
expect_contains "new user gets popularity" '"source":"popularity"' "$OUT"
# Seen items never come back: none of 12347's purchases is recommended.
seen="$("$RECMART" sql -q -p "$P" -f csv "SELECT ITEM_ID FROM interaction_matrix WHERE USER_ID = '12347'" | tail -n +2)"
recs="$("$RECMART" recommend -p "$P" --user 12347 -n 50 --json | grep -o '"itemId":"[^"]*"' | cut -d'"' -f4)"
expect_eq "no seen item recommended" "" "$(comm -12 <(echo "$seen" | sort) <(echo "$recs" | sort))"
# Pages do not repeat items.
p1="$("$RECMART" recommend -p "$P" --user 12347 -n 10 --json | grep -o '"itemId":"[^"]*"' | sort)"
p2="$("$RECMART" recommend -p "$P" --user 12347 -n 10 --offset 10 --json | grep -o '"itemId":"[^"]*"' | sort)"
expect_eq "pages are disjoint" "" "$(comm -12 <(echo "$p1") <(echo "$p2"))"

run_status "$RECMART" similar -p "$P" --item 85123A -n 4 --json
expect_eq "similar exit" 0 "$RC"
expect_eq "similar 4 items" 4 "$(echo "$OUT" | grep -o '"itemId"' | wc -l)"
run_status "$RECMART" similar -p "$P" --item NO-SUCH-ITEM
expect_eq "similar unknown item exit" 1 "$RC"
expect_contains "similar unknown item message" "not in the model" "$ERR"

run_status "$RECMART" rank -p "$P" --user 12347 --items "NOPE,85123A,22423" --json
expect_contains "rank keeps every item, unknown last" '{"itemId":"NOPE","score":0.0}]' "$OUT"
expect_eq "rank 3 items" 3 "$(echo "$OUT" | grep -o '"itemId"' | wc -l)"

printf '12347\n{"userId": "12348"}\nnew-user\n' >"$WORK/users.txt"
run_status "$RECMART" batch-recommend -p "$P" -i "$WORK/users.txt" -o "$WORK/out.jsonl" -n 3
expect_eq "batch exit" 0 "$RC"
expect_eq "batch lines" 3 "$(wc -l <"$WORK/out.jsonl")"
expect_contains "batch shape" '"input":{"userId":"12348"},"output":{"recommendedItems":[' "$(cat "$WORK/out.jsonl")"
run_status "$RECMART" batch-recommend -p "$P" -i "$WORK/users.txt" -o "$WORK/out.parquet" -n 3
expect_eq "batch parquet exit" 0 "$RC"
expect_eq "batch parquet rows" 3 "$(sql1 "$P" "SELECT count(*) FROM '$WORK/out.parquet' WHERE len(output.recommendedItems) = 3")"
printf '{"user": "x"}\n' >"$WORK/bad_users.txt"
run_status "$RECMART" batch-recommend -p "$P" -i "$WORK/bad_users.txt"
expect_eq "batch bad input exit" 2 "$RC"
expect_contains "batch bad input names the line" 'bad_users.txt:1: expected {"userId"' "$ERR"

# Registry: promote and roll back.
run_status "$RECMART" models promote -p "$P" v2
expect_eq "promote exit" 0 "$RC"
expect_contains "live is v2" '"modelVersion":"v2"' "$("$RECMART" recommend -p "$P" --user 12347 -n 1 --json)"
run_status "$RECMART" models rollback -p "$P"
expect_eq "rollback exit" 0 "$RC"
expect_contains "live is v1 again" '"modelVersion":"v1"' "$("$RECMART" recommend -p "$P" --user 12347 -n 1 --json)"
run_status "$RECMART" models rollback -p "$P"
expect_eq "nothing to roll back exit" 1 "$RC"
run_status "$RECMART" models promote -p "$P" v9
expect_contains "promote unknown version" "'v9' does not exist" "$ERR"

# Evaluate a registered version and record its metrics; time split.
run_status "$RECMART" evaluate -p "$P" --model v2 --split last:1 -k 10 --json
expect_eq "evaluate --model exit" 0 "$RC"
expect_contains "evaluate metrics" '"hit_rate@10":' "$OUT"
expect_contains "metrics recorded in v2" '"split": "last:1"' "$("$RECMART" models show -p "$P" v2)"
run_status "$RECMART" evaluate -p "$P" --recipe popularity --split time:14d -k 5,10
expect_eq "evaluate time split exit" 0 "$RC"
expect_contains "evaluate table" "precision" "$OUT"
run_status "$RECMART" evaluate -p "$P" --recipe popularity --split sideways
expect_eq "bad split exit" 2 "$RC"

# Tune: a tiny search, written as a params file train accepts.
echo '{"recipe": "item-knn", "params": {}, "tune": {"neighbours": [10, 50], "similarity": ["cosine", "jaccard"]}}' >"$WORK/search.json"
run_status "$RECMART" tune -p "$P" --params "$WORK/search.json" --trials 3 -o "$WORK/best.json"
expect_eq "tune exit" 0 "$RC"
expect_contains "tune best" '"recipe": "item-knn"' "$(cat "$WORK/best.json")"
run_status "$RECMART" train -p "$P" --params "$WORK/best.json" --evaluate none --json
expect_contains "train from tuned params" '"version":"v3"' "$OUT"

# Determinism: the same seed gives the same arrays.
"$RECMART" -q train -p "$P" --recipe bpr --params <(echo '{"factors": 8, "epochs": 5}') --evaluate none --seed 7 >/dev/null
"$RECMART" -q train -p "$P" --recipe bpr --params <(echo '{"factors": 8, "epochs": 5}') --evaluate none --seed 7 >/dev/null
expect_eq "same seed, same bundle" "$(sha256sum <"$WORK/or/models/v4/arrays.bin")" "$(sha256sum <"$WORK/or/models/v5/arrays.bin")"

finish
