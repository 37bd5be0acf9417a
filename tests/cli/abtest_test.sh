#!/usr/bin/env bash
# recmart abtest report on hand-written logs (tests/cli/abtest/, see its
# README for what each line tests) and on a generated campaign large enough
# to be significant: counts, attribution, windows, filters, the control from
# [[campaigns]], and one-line errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FIXTURE="$ROOT/tests/cli/abtest"
# pyj JSON EXPR: evaluates a Python expression over the parsed JSON `j`.
pyj() { python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
# The variant VARIANT of campaign CAMPAIGN, as a Python expression over `j`.
variant() {
  echo "[v for c in j['campaigns'] if c['name'] == '$1' for v in c['variants'] if v['name'] == '$2'][0]"
}

mkdir -p "$WORK/p"
"$RECMART" init "$WORK/p" -q
P="$WORK/p/recmart.toml"

# No logs yet: exit 0, an empty report, one clear line.
run_status "$RECMART" abtest report -p "$P" --json
expect_eq "no logs exit" 0 "$RC"
expect_eq "no logs: no campaigns" "[]" "$(pyj "$OUT" "json.dumps(j['campaigns'])")"
expect_contains "no logs message" "no A/B logs yet under" "$ERR"
run_status "$RECMART" abtest report -p "$P"
expect_eq "no logs table exit" 0 "$RC"
expect_eq "no logs table is one line" 1 "$(echo "$OUT" | wc -l)"
expect_contains "no logs table message" "no A/B logs yet under $WORK/p/live" "$OUT"

mkdir -p "$WORK/p/live/impressions" "$WORK/p/live/events"
cp "$FIXTURE/impressions.jsonl" "$FIXTURE/impressions.jsonl.open" "$WORK/p/live/impressions/"
cp "$FIXTURE/events.jsonl" "$FIXTURE/events.jsonl.open" "$WORK/p/live/events/"

run_status "$RECMART" abtest report -p "$P" --json
expect_eq "report exit" 0 "$RC"
expect_eq "campaigns, (none) last" "['c1', '(none)']" "$(pyj "$OUT" "[c['name'] for c in j['campaigns']]")"
expect_eq "control is alphabetically first" "A" "$(pyj "$OUT" "j['campaigns'][0]['control']")"
A="$(variant c1 A)"
B="$(variant c1 B)"
expect_eq "A counts" "2 1 1 2 1 19.99" \
  "$(pyj "$OUT" "' '.join(str($A[k]) for k in ['impressions', 'clicks', 'conversions', 'attributed_events', 'other_attributed_events', 'revenue'])")"
expect_eq "B counts (open segment included)" "3 1 1 2 0 5.01" \
  "$(pyj "$OUT" "' '.join(str($B[k]) for k in ['impressions', 'clicks', 'conversions', 'attributed_events', 'other_attributed_events', 'revenue'])")"
expect_eq "A CTR" "0.5" "$(pyj "$OUT" "$A['click_through']['rate']")"
expect_eq "A is the control" "True None" "$(pyj "$OUT" "$A['control'], $A['click_through_vs_control']" | tr -d '(),')"
expect_eq "B CTR lift" "-0.16667" "$(pyj "$OUT" "round($B['click_through_vs_control']['absolute_lift'], 5)")"
expect_eq "B not significant on 5 impressions" "False" "$(pyj "$OUT" "$B['click_through_vs_control']['significant']")"
expect_eq "CI brackets the rate" "True" \
  "$(pyj "$OUT" "$B['conversion']['low'] < $B['conversion']['rate'] < $B['conversion']['high']")"
expect_eq "no campaign: by model version" "1 1" \
  "$(pyj "$OUT" "' '.join(str($(variant '(none)' v1)[k]) for k in ['impressions', 'clicks'])")"
expect_eq "log stats" "7 1 1 9 1 1 8 1 1" \
  "$(pyj "$OUT" "' '.join(str(j['logs'][k]) for k in ['impression_lines', 'duplicate_impression_lines', 'skipped_impression_lines', 'event_lines', 'duplicate_event_lines', 'skipped_event_lines', 'events', 'events_without_recommendation', 'events_unknown_recommendation'])")"

# Time windows: ISO dates (until exclusive) and epoch milliseconds.
run_status "$RECMART" abtest report -p "$P" --json --since 2024-11-19 --until 2024-11-20
expect_eq "window exit" 0 "$RC"
expect_eq "window: B on the 19th" "1 0 1" \
  "$(pyj "$OUT" "' '.join(str($B[k]) for k in ['impressions', 'clicks', 'conversions'])")"
run_status "$RECMART" abtest report -p "$P" --json --since 1732090000000
expect_eq "epoch ms window: only B's next-day impressions" "['B'] 2" \
  "$(pyj "$OUT" "[v['name'] for v in j['campaigns'][0]['variants']], j['campaigns'][0]['variants'][0]['impressions']" | tr -d '(),')"
run_status "$RECMART" abtest report -p "$P" --json --since 1732090000
expect_eq "epoch seconds read as seconds" "2" "$(pyj "$OUT" "j['campaigns'][0]['variants'][0]['impressions']")"

# Campaign filter.
run_status "$RECMART" abtest report -p "$P" --json --campaign '(none)'
expect_eq "filter (none)" "['(none)']" "$(pyj "$OUT" "[c['name'] for c in j['campaigns']]")"
run_status "$RECMART" abtest report -p "$P" --campaign nope
expect_eq "unknown campaign exit" 0 "$RC"
expect_contains "unknown campaign message" "no impressions match campaign 'nope'" "$OUT"

# Other event types.
run_status "$RECMART" abtest report -p "$P" --json --campaign c1 --click-types purchase --conversion-types view
expect_eq "custom types" "1 0" "$(pyj "$OUT" "' '.join(str($A[k]) for k in ['clicks', 'conversions'])")"

# A campaign large enough to be significant: CTR 10% (A) against 20% (B).
{
  for v in A B; do
    for i in $(seq 1 1000); do
      printf '{"recommendationId":"big-%s-%d","ts":1732100000000,"endpoint":"recommendations","userId":"u%d","campaign":"big","variant":"%s","modelVersion":"v%s","items":["i%d"]}\n' \
        "$v" "$i" "$i" "$v" "$v" "$i"
    done
  done
} >"$WORK/p/live/impressions/big.jsonl"
{
  for i in $(seq 10 10 1000); do
    printf '{"eventId":"big-A-%d","receivedAt":1732100001000,"eventType":"click","itemId":"i%d","recommendationId":"big-A-%d"}\n' "$i" "$i" "$i"
  done
  for i in $(seq 5 5 1000); do
    printf '{"eventId":"big-B-%d","receivedAt":1732100001000,"eventType":"click","itemId":"i%d","recommendationId":"big-B-%d"}\n' "$i" "$i" "$i"
  done
} >"$WORK/p/live/events/big.jsonl"
run_status "$RECMART" abtest report -p "$P" --json --campaign big
BB="$(variant big B)"
expect_eq "big: CTRs" "0.1 0.2" "$(pyj "$OUT" "$(variant big A)['click_through']['rate'], $BB['click_through']['rate']" | tr -d '(),')"
expect_eq "big: relative lift +100%" "1.0" "$(pyj "$OUT" "round($BB['click_through_vs_control']['relative_lift'], 6)")"
expect_eq "big: significant" "True" "$(pyj "$OUT" "$BB['click_through_vs_control']['significant']")"
expect_eq "big: p-value" "True" "$(pyj "$OUT" "$BB['click_through_vs_control']['p_value'] < 1e-8")"
expect_eq "big: no conversions, no evidence" "1.0 False" \
  "$(pyj "$OUT" "$BB['conversion_vs_control']['p_value'], $BB['conversion_vs_control']['significant']" | tr -d '(),')"

# The table for people.
run_status "$RECMART" abtest report -p "$P"
expect_eq "table exit" 0 "$RC"
expect_contains "table campaign header" "campaign c1, control A" "$OUT"
expect_contains "table columns" "CTR [95% CI]" "$OUT"
expect_contains "table big B" "10.00% [8.29%, 12.02%]" "$OUT"
expect_contains "table significance" "+10.00pp (+100.0%)" "$OUT"
expect_contains "table log summary" "308 events from 3 files (1 duplicate, 1 unreadable lines)" "$OUT"

# A campaign defined in the project fixes the control (its first variant).
cat >>"$P" <<'EOF'

[[campaigns]]
name = "c1"
active = false
variants = [{ name = "B", model = "v2", weight = 50 }, { name = "A", model = "v1", weight = 50 }]
EOF
run_status "$RECMART" abtest report -p "$P" --json --campaign c1
expect_eq "defined control exit" 0 "$RC"
expect_eq "defined control, then variants in definition order" "B B A" \
  "$(pyj "$OUT" "' '.join([j['campaigns'][0]['control']] + [v['name'] for v in j['campaigns'][0]['variants']])")"
expect_eq "A compared with B" "0.16667" "$(pyj "$OUT" "round($A['click_through_vs_control']['absolute_lift'], 5)")"

# Errors: one line, exit 2.
run_status "$RECMART" abtest report -p "$P" --since yesterday
expect_eq "bad --since exit" 2 "$RC"
expect_eq "bad --since one line" 1 "$(echo "$ERR" | wc -l)"
expect_contains "bad --since message" "--since: expected an ISO-8601 time" "$ERR"
run_status "$RECMART" abtest report -p "$P" --since 2024-11-20 --until 2024-11-19
expect_eq "empty window exit" 2 "$RC"
expect_contains "empty window message" "must be before until" "$ERR"
run_status "$RECMART" abtest report -p "$WORK/nope.toml"
expect_eq "missing project exit" 2 "$RC"
expect_contains "missing project message" "nope.toml: project file not found" "$ERR"

finish
