#!/usr/bin/env bash
# README command 1: install what is needed, build, and run the main job end to
# end on the bundled UCI Online Retail data, then show what landed in the lake.
set -euo pipefail
#
# For the test suite (tests/cli/quickstart_test.sh): QUICKSTART_JOB_ONLY=1
# skips the setup and build, RECMART= names the binary and
# QUICKSTART_PROJECT= a copy of the example project.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${QUICKSTART_JOB_ONLY:-0}" != 1 ]; then
  "$root/scripts/deps.sh"
  "$root/scripts/build.sh" release
fi
bin="${RECMART:-$root/build/recmart}"
proj="${QUICKSTART_PROJECT:-$root/examples/online-retail/recmart.toml}"
"$bin" validate "$proj"
# The main job: the whole workflow (crawl → datasets → train → evaluate →
# promote → notify), recorded in the catalog; run it again and it finds
# nothing new and does no work.
"$bin" pipeline run -p "$proj"
"$bin" sql -p "$proj" "SELECT event_date, count(*) AS events, count(DISTINCT USER_ID) AS users, round(sum(EVENT_VALUE), 2) AS revenue FROM interactions GROUP BY event_date ORDER BY event_date DESC LIMIT 5"
for user in 12347 14911 17841; do
  echo "recommendations for customer $user:"
  "$bin" recommend -p "$proj" --user "$user" -n 5
done
echo "the live model and its held-out metrics:"
"$bin" models show -p "$proj" live
