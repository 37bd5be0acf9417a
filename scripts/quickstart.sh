#!/usr/bin/env bash
# README command 1: install what is needed, build, and run the main job end to
# end on the bundled UCI Online Retail data, then show what landed in the lake.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/deps.sh"
"$root/scripts/build.sh" release
bin="$root/build/recmart"
proj="$root/examples/online-retail/recmart.toml"
"$bin" validate "$proj"
"$bin" crawl "$proj"
"$bin" etl "$proj"
"$bin" report "$proj"
"$bin" sql "$proj" "SELECT event_date, count(*) AS events, count(DISTINCT USER_ID) AS users, round(sum(EVENT_VALUE), 2) AS revenue FROM interactions GROUP BY event_date ORDER BY event_date DESC LIMIT 5"
"$bin" train -p "$proj" --recipe als
"$bin" recommend -p "$proj" --user 12347 -n 5
