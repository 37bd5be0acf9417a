#!/usr/bin/env bash
# The pipeline end to end on the bundled Online Retail data: the default
# workflow, run records, "no new data does no work", the promotion gate both
# ways (a better recipe is promoted, a worse one refused), notifications on
# success, refusal and failure, resume of a failed run, and the scheduler's
# new-files trigger.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P="$WORK/shop"
cp -r "$ROOT/examples/online-retail" "$P"
rm -rf "$P/lake" "$P/models"
mkdir -p "$P/later" "$P/params"
mv "$P/data/online_retail_2011-"* "$P/later/"  # start with December 2010 only
cat >> "$P/recmart.toml" <<'TOML'

[workflow]
params = "params/current.json"
seed = 7

[workflow.notify]
command = "cat >> notifications.jsonl"

[features.item]
features = ["popularity", "conversion"]
TOML
echo '{"recipe": "popularity", "params": {}}' > "$P/params/current.json"
echo '{"recipe": "als", "params": {"factors": 32, "iterations": 10}}' > "$P/params/als.json"
run() { "$RECMART" -q "$@" -p "$P/recmart.toml"; }
last_json() { tail -n 1 "$P/notifications.jsonl"; }
live_version() { grep -o '"live": *"v[0-9]*"' "$P/models/registry.json" | grep -o 'v[0-9][0-9]*'; }
run_count() { run runs list --json | grep -o '"run":' | wc -l; }

# 1. First run: every job in order, the first model goes live. Piped: JSON lines.
run_status run pipeline run
expect_eq "first run exit" 0 "$RC"
expect_contains "JSON lines when piped" '"job":"train","run":1,"state":"running"' "$OUT"
expect_contains "run succeeded" '"state":"succeeded"' "$(echo "$OUT" | tail -n 1)"
show="$(run runs show 1 --json)"
for job in crawl clear_export interactions items users features train evaluate promote notify; do
  expect_contains "job $job recorded" "\"job\":\"$job\"" "$show"
done
expect_contains "items job skipped (no items source)" '"job":"items","metrics":{},"output":{"note":"no source of kind items"}' "$show"
expect_contains "interactions rows in" '"job":"interactions","metrics":' "$show"
expect_contains "features materialised" '"job":"features","metrics":{"groups":{"item"' "$show"
rows_in="$(echo "$show" | grep -o '"job":"interactions"[^}]*' | head -1)"
expect_eq "first model live" "v1" "$(live_version)"
expect_contains "success notification" '"event":"success"' "$(last_json)"
expect_contains "notification names the run" '"run":1' "$(last_json)"
live_metric="$(run runs show 1 --json | grep -o '"candidate_value":[0-9.e-]*' | head -1)"
expect_contains "gate measured the model" '"candidate_value":' "$live_metric"

# 2. No new data: no work (nothing read, nothing trained), reported as up to date.
before="$(ls "$P/models" | grep -c '^v')"
run_status run pipeline run
expect_eq "second run exit" 0 "$RC"
show="$(run runs show 2 --json)"
expect_contains "nothing new" '"nothing_new":true' "$show"
expect_contains "train skipped" 'up to date: v1' "$show"
expect_contains "features skipped" 'up to date: features were materialised' "$show"
expect_eq "no new model" "$before" "$(ls "$P/models" | grep -c '^v')"
expect_contains "outcome up to date" "up to date" "$(run runs list)"

# 3. New data and a better recipe (ALS vs the live popularity model, on the same
#    held-out data): promoted.
mv "$P/later/online_retail_2011-0"[1-3]* "$P/data/"
cp "$P/params/als.json" "$P/params/current.json"
run_status run pipeline run
expect_eq "third run exit" 0 "$RC"
show="$(run runs show 3 --json)"
expect_contains "promoted" '"promoted":true' "$show"
expect_contains "compared with the live model" '"live":"v1"' "$show"
expect_eq "v2 live" "v2" "$(live_version)"

# 4. New data and a worse recipe: refused, the live model stays, and the refusal is notified.
mv "$P/later/online_retail_2011-0"[4-5]* "$P/data/"
run_status run pipeline run --params "$P/params/popularity.json"
expect_contains "missing params file fails the run" "failed" "$(run runs list)"
expect_contains "failure notified" '"event":"failure"' "$(last_json)"
failed_id="$(run runs list --json | grep -o '"run":[0-9]*' | head -1 | grep -o '[0-9]*')"
echo '{"recipe": "popularity", "params": {}}' > "$P/params/popularity.json"
run_status run runs resume "$failed_id"
expect_eq "resume exit" 0 "$RC"
show="$(run runs show "$failed_id" --json)"
expect_contains "resumed run succeeded" '"state":"succeeded"' "$(echo "$show" | grep -o '"state":"[a-z]*","trigger"')"
expect_contains "refused" '"promoted":false' "$show"
expect_contains "refusal says why" "kept v2" "$show"
expect_eq "v2 still live" "v2" "$(live_version)"
expect_contains "refusal notified" '"event":"refused"' "$(last_json)"
# The crawl and dataset jobs that had succeeded were not run again.
expect_contains "finished jobs kept" '"attempts":1,"error":"","finished_ms"' "$show"
expect_contains "outcome" "refused: kept v2" "$(run runs list)"

# 5. Bad workflow definitions are rejected with one clear line.
cp "$P/recmart.toml" "$WORK/cycle.toml"
sed -i "s|^params = .*|params = \"$P/params/current.json\"|" "$WORK/cycle.toml"
cat >> "$WORK/cycle.toml" <<'TOML'
[[workflow.jobs]]
name = "a"
type = "command"
command = "true"
after = ["b"]
[[workflow.jobs]]
name = "b"
type = "command"
command = "true"
after = ["a"]
TOML
run_status "$RECMART" validate "$WORK/cycle.toml"
expect_eq "cycle exit" 2 "$RC"
expect_contains "cycle message" "form a cycle: a -> b -> a" "$ERR"

# 6. clear_export refuses a directory that holds the project.
sed "s|^seed = 7|seed = 7\nexport_dir = \".\"|" "$P/recmart.toml" > "$P/unsafe.toml"
run_status "$RECMART" -q pipeline run -p "$P/unsafe.toml"
expect_eq "unsafe export_dir fails" 1 "$RC"
expect_contains "unsafe export_dir says why" "clear_export would delete it" "$("$RECMART" runs show 1 -p "$P/unsafe.toml" 2>&1; "$RECMART" runs list -p "$P/unsafe.toml")"
expect_eq "project still there" "yes" "$([ -f "$P/recmart.toml" ] && echo yes)"

# 7. The scheduler: a new file in the source's location starts a run.
cat >> "$P/recmart.toml" <<'TOML'

[workflow.triggers]
new_files = true
poll_seconds = 0.2
TOML
runs_before="$(run_count)"
mv "$P/later/online_retail_2011-06"* "$P/data/"
run_status timeout 600 "$RECMART" scheduler --max-runs 1 -p "$P/recmart.toml"
expect_eq "scheduler exit" 0 "$RC"
expect_contains "files trigger" '"scheduler":"fired: files"' "$OUT"
expect_contains "scheduled run recorded" "files" "$(run runs list | sed -n 3p)"
expect_eq "one more run" "$((runs_before + 1))" "$(run_count)"

finish
