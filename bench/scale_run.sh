#!/usr/bin/env bash
# The scale run of issue 7: a synthetic shop of EVENTS clickstream events
# through generate -> etl -> train -> serve, and the daily-aggregate SQL over
# the full lake, each stage timed with GNU time; then the same at a small
# input, and the per-row rate of every stage at EVENTS against the small run.
# See docs/scaling.md for what the figures mean and the 1 TB/day extrapolation.
#
# Usage: bench/scale_run.sh [EVENTS]        (default 100000000, ≈ 19 GB of JSON lines)
# Environment:
#   SCALE_DIR=/tmp/recmart-scale  work directory: one e<N>/ per input size (shop, lake,
#                                 models, logs, results.env) and summary-<N>.md
#   BUILD_DIR=/work/main/build    where the recmart binary is
#   SMALL_EVENTS=5000000          the reference run; 0 = none (a single run, no ratios)
#   REUSE_SMALL=0                 1 = take the small run's results from an earlier
#                                 invocation (its results.env) instead of running it again
#   SEED=7                        generator and training seed
#   RECIPE=als                    the recipe `recmart train` fits (the project default)
#   WRK_SECONDS=10 WRK_CONNECTIONS=4   the GET /recommendations load (wrk, 1 thread)
#   SERVE_THREADS=2               server threads
#   CLEAN=0                       1 = delete each run's generated JSON and lake afterwards
# Generated data is reused while EVENTS and SEED stay the same (e<N>/data.stamp);
# the lake, models and live data are rebuilt from scratch on every run.
# Exit status: 0 when every target is met, 1 when one is missed or a stage failed,
# 2 on a setup error (missing binary or tool, not enough disk).
#
# Targets (issue 7): every stage's rows/s at EVENTS at least half its rows/s at
# SMALL_EVENTS (no stage slower than 2x per row); peak RSS of every stage
# <= 8 GiB; the daily-aggregate query over the full lake under 1 s (best of 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EVENTS="${1:-${EVENTS:-100000000}}"
SCALE_DIR="${SCALE_DIR:-/tmp/recmart-scale}"
BUILD_DIR="${BUILD_DIR:-$root/build}"
SMALL_EVENTS="${SMALL_EVENTS:-5000000}"
REUSE_SMALL="${REUSE_SMALL:-0}"
SEED="${SEED:-7}"
RECIPE="${RECIPE:-als}"
WRK_SECONDS="${WRK_SECONDS:-10}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-4}"
SERVE_THREADS="${SERVE_THREADS:-2}"
CLEAN="${CLEAN:-0}"
BYTES_PER_EVENT=193        # JSON lines written per event by `recmart generate` (measured)
TARGET_SLOWDOWN=2          # small rows/s / large rows/s must not exceed this
TARGET_RSS_MIB=8192        # 8 GiB
TARGET_SQL_S=1

say() { echo "scale_run: $*" >&2; }
die() { say "$*"; exit 2; }

case "$EVENTS" in '' | *[!0-9]*) die "EVENTS must be a positive integer, got '$EVENTS'" ;; esac
case "$SMALL_EVENTS" in '' | *[!0-9]*) die "SMALL_EVENTS must be an integer, got '$SMALL_EVENTS'" ;; esac
[ "$EVENTS" -gt 0 ] || die "EVENTS must be positive"
if [ "$SMALL_EVENTS" -ge "$EVENTS" ]; then
  say "SMALL_EVENTS ($SMALL_EVENTS) >= EVENTS ($EVENTS): no reference run"
  SMALL_EVENTS=0
fi

recmart="$BUILD_DIR/recmart"
[ -x "$recmart" ] || die "missing $recmart (build it, or set BUILD_DIR)"
/usr/bin/time -v true >/dev/null 2>&1 || die "GNU time is needed for peak RSS: apt-get install time"
for tool in wrk curl awk dd; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install $tool)"
done

mkdir -p "$SCALE_DIR"
SCALE_DIR="$(cd "$SCALE_DIR" && pwd)"

# ---- disk space: refuse before writing anything -------------------------------------
# Per run still to generate: the JSON lines, the lake (≈ 0.25x) and DuckDB's
# spill space; 3x the JSON is the budget. Data already generated counts as spent.
# Byte counts go through awk as %.0f, never %d: mawk's %d stops at 2^31 - 1.
json_bytes_of() {  # dir -> bytes of its events/*.jsonl (0 if none)
  local d="$1/shop/events"
  [ -d "$d" ] || { echo 0; return; }
  find "$d" -name '*.jsonl' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
need=0
runs=("$EVENTS")
[ "$SMALL_EVENTS" -gt 0 ] && runs=("$SMALL_EVENTS" "$EVENTS")
for n in "${runs[@]}"; do
  have=$(json_bytes_of "$SCALE_DIR/e$n")
  need=$(awk -v need="$need" -v n="$n" -v b="$BYTES_PER_EVENT" -v h="$have" 'BEGIN {
    x = 3 * n * b - h; printf "%.0f\n", need + (x > 0 ? x : 0) }')
done
free=$(df -B1 --output=avail "$SCALE_DIR" | tail -1 | tr -d ' ')
expected_gb=$(awk -v n="$EVENTS" -v b="$BYTES_PER_EVENT" 'BEGIN { printf "%.1f", n * b / 1e9 }')
if [ "$free" -lt "$need" ]; then
  die "not enough disk in $SCALE_DIR: $(awk -v f="$free" 'BEGIN { printf "%.1f", f / 1e9 }') GB free," \
    "$(awk -v f="$need" 'BEGIN { printf "%.1f", f / 1e9 }') GB needed (3x the expected" \
    "$expected_gb GB of JSON lines for $EVENTS events, for the lake and spill space too);" \
    "free some space or point SCALE_DIR elsewhere"
fi

# ---- helpers ------------------------------------------------------------------------
wall_seconds() {  # from a `/usr/bin/time -v -o FILE` report
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + p[i]
    printf "%.2f", s }' "$1"
}
peak_rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
json_field() {  # json_field KEY < JSON: the first scalar (number or string) after "KEY":
  sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -1
}
# Live bytes and rows of lake tables, from the catalog (the manifest, not a directory walk).
lake_stat() {  # lake_stat PROJECT TABLE[,TABLE...] -> "bytes rows"
  "$recmart" catalog tables -p "$1" --json |
    awk -v want="$2" '
      BEGIN { n = split(want, w, ","); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
      { while (match($0, /\{[^{}]*\}/)) {
          obj = substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)
          name = obj; sub(/.*"table":"/, "", name); sub(/".*/, "", name)
          if (!(name in keep)) continue
          b = obj; sub(/.*"bytes":/, "", b); sub(/[,}].*/, "", b)
          r = obj; sub(/.*"rows":/, "", r); sub(/[,}].*/, "", r)
          bytes += b; rows += r } }
      END { printf "%.0f %.0f\n", bytes, rows }'
}
# Drop the lake's files from the page cache (only ours: no global drop_caches).
evict_lake() { find "$1" -name '*.parquet' -exec dd if={} iflag=nocache count=0 status=none \; ; }

# start_server NAME: `recmart serve` of run_one's project under GNU time
# ($dir/NAME.time, log $dir/NAME.log), its pid (of time) in the caller's tpid;
# fails when the server exits or writes no port within 10 minutes.
start_server() {
  rm -f "$dir/port"
  /usr/bin/time -v -o "$dir/$1.time" "$recmart" serve -p "$project" --port 0 \
    --port-file "$dir/port" --threads "$SERVE_THREADS" 2> "$dir/$1.log" &
  tpid=$!
  # shellcheck disable=SC2064
  trap "kill -TERM \$(pgrep -P $tpid) 2>/dev/null || true" EXIT
  # Up to 30 min: a first start builds the HNSW index and the candidate lists
  # (313 s at 100M on a quiet machine).
  for _ in $(seq 1 18000); do
    [ -s "$dir/port" ] && return 0
    kill -0 "$tpid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- one run at N events into DIR ---------------------------------------------------
# Writes DIR/results.env: for each stage S, S_wall S_bytes S_rows S_rss S_load S_status
# (and a few extras); the summary reads only that file.
run_one() {
  local n="$1" dir="$2"
  local shop="$dir/shop" res="$dir/results.env"
  mkdir -p "$dir"
  : > "$res"
  put() { echo "$1=$2" >> "$res"; }
  put events "$n"
  put seed "$SEED"
  put started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  put nproc "$(nproc)"
  say "=== $n events in $dir (load $(load1)) ==="

  # generate (reused while EVENTS/SEED are the same)
  local want="events=$n seed=$SEED"
  if [ -f "$dir/data.stamp" ] && [ "$(cat "$dir/data.stamp")" = "$want" ] && [ -f "$dir/generate.time" ]; then
    say "generate: reusing $shop ($want)"
  else
    rm -rf "$shop" "$dir/data.stamp"
    say "generate: $want"
    put generate_load "$(load1)"
    /usr/bin/time -v -o "$dir/generate.time" "$recmart" generate --out "$shop" --events "$n" \
      --seed "$SEED" --compression none > "$dir/generate.log" 2>&1 ||
      { tail -5 "$dir/generate.log" >&2; put generate_status failed; return 1; }
    echo "$want" > "$dir/data.stamp"
  fi
  put generate_status ok
  put generate_wall "$(wall_seconds "$dir/generate.time")"
  put generate_rss "$(peak_rss_mib "$dir/generate.time")"
  put generate_bytes "$(json_bytes_of "$dir")"
  put generate_rows "$n"
  grep -q '^generate_load=' "$res" || put generate_load "-"
  local project="$shop/recmart.toml"

  # etl, from an empty lake
  rm -rf "$shop/lake" "$shop/models" "$shop/live"
  say "etl"
  put etl_load "$(load1)"
  if ! /usr/bin/time -v -o "$dir/etl.time" "$recmart" etl -p "$project" --json \
      > "$dir/etl.json" 2> "$dir/etl.log"; then
    tail -5 "$dir/etl.log" >&2
    put etl_status failed
    return 1
  fi
  put etl_status ok
  put etl_wall "$(wall_seconds "$dir/etl.time")"
  put etl_rss "$(peak_rss_mib "$dir/etl.time")"
  put etl_bytes "$(json_field input_bytes < "$dir/etl.json")"
  put etl_rows "$(json_field raw_rows < "$dir/etl.json")"
  put etl_matrix_rows "$(json_field matrix_rows < "$dir/etl.json")"
  # Where the ETL's time went (the run's stats in the catalog), if sqlite3 is here.
  if command -v sqlite3 >/dev/null; then
    sqlite3 "$shop/lake/_recmart/catalog.db" "SELECT stats_json FROM runs ORDER BY id DESC LIMIT 1" \
      > "$dir/etl_stats.json" 2>/dev/null || true
  fi

  # train: the default recipe, one fit (no held-out evaluation), promoted for serve
  local train_in
  train_in=$(lake_stat "$project" "interaction_matrix,items")  # als reads no events
  say "train ($RECIPE)"
  put train_load "$(load1)"
  if ! /usr/bin/time -v -o "$dir/train.time" "$recmart" train -p "$project" --recipe "$RECIPE" \
      --evaluate none --seed "$SEED" --promote --json > "$dir/train.json" 2> "$dir/train.log"; then
    tail -5 "$dir/train.log" >&2
    put train_status failed
    return 1
  fi
  put train_status ok
  put train_wall "$(wall_seconds "$dir/train.time")"
  put train_rss "$(peak_rss_mib "$dir/train.time")"
  put train_bytes "${train_in% *}"
  put train_rows "${train_in#* }"
  put train_fit_seconds "$(json_field train_seconds < "$dir/train.json")"
  local version
  version=$(json_field version < "$dir/train.json")
  put train_load_seconds "$(json_field load_seconds < "$shop/models/$version/manifest.json")"
  put train_nnz "$(grep -o '"interactions": *[0-9][0-9]*' "$shop/models/$version/manifest.json" | head -1 | tr -dc 0-9)"
  sed -n 's/.*training .* on \(.*\)/\1/p' "$dir/train.log" | head -1 > "$dir/train.shape" || true

  # serve: startup (bundle load, ANN index for large catalogs), then wrk
  local users_csv="$dir/users.csv"
  "$recmart" sql -p "$project" -f csv "SELECT USER_ID FROM (SELECT USER_ID FROM users WHERE \
FIRST_SEEN IS NOT NULL) USING SAMPLE reservoir(1000 ROWS) REPEATABLE (7)" | tail -n +2 > "$users_csv"
  [ -s "$users_csv" ] || { say "serve: no users in the lake"; put serve_status failed; return 1; }
  {
    printf 'local users = {'
    awk '{ printf "%s\"%s\"", (NR > 1 ? "," : ""), $1 }' "$users_csv"
    printf '}\n'
    cat <<'LUA'
math.randomseed(7)
request = function()
  return wrk.format("GET", "/recommendations?userId=" .. users[math.random(#users)] .. "&numResults=25")
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f bytes=%d p50_us=%.0f p99_us=%.0f p999_us=%.0f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.bytes, latency:percentile(50),
    latency:percentile(99), latency:percentile(99.9),
    e.status + e.connect + e.read + e.write + e.timeout))
end
LUA
  } > "$dir/recs.lua"
  local bundle_bytes
  bundle_bytes=$(du -sb "$shop/models/$version" | cut -f1)
  say "serve: start"
  put serve_start_load "$(load1)"
  local t0 tpid spid=""
  t0=$(now)
  if ! start_server serve; then
    tail -5 "$dir/serve.log" >&2
    put serve_start_status failed
    return 1
  fi
  put serve_start_wall "$(since "$t0")"
  put serve_start_status ok
  put serve_start_bytes "$bundle_bytes"
  put serve_start_rows "$(awk -F', ' '{ gsub(/[^0-9]/, "", $1); gsub(/[^0-9]/, "", $2); print $1 + $2 }' \
    "$dir/train.shape")"
  spid=$(pgrep -P "$tpid")
  local base
  base="http://127.0.0.1:$(cat "$dir/port")"
  curl -sf "$base/recommendations?userId=$(head -1 "$users_csv")&numResults=5" > "$dir/sample_answer.json" ||
    say "serve: the sample request failed"
  wrk -t1 -c"$WRK_CONNECTIONS" -d2s -s "$dir/recs.lua" "$base" > /dev/null  # warm-up
  say "serve: wrk ${WRK_SECONDS}s, $WRK_CONNECTIONS connections"
  put serve_load "$(load1)"
  wrk -t1 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency -s "$dir/recs.lua" "$base" > "$dir/wrk.txt"
  local r
  r=$(grep '^RESULT' "$dir/wrk.txt" || true)
  field() { echo "$r" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  if [ -n "$r" ]; then put serve_status ok; else put serve_status failed; say "serve: wrk failed"; fi
  put serve_wall "$(field seconds)"
  put serve_bytes "$(field bytes)"
  put serve_rows "$(field requests)"
  put serve_p50_us "$(field p50_us)"
  put serve_p99_us "$(field p99_us)"
  put serve_p999_us "$(field p999_us)"
  put serve_errors "$(field errors)"
  kill -TERM "$spid"
  wait "$tpid" || true
  trap - EXIT
  put serve_rss "$(peak_rss_mib "$dir/serve.time")"
  put serve_start_rss "$(peak_rss_mib "$dir/serve.time")"
  # A catalog of serve.ann_min_items items or more gets an HNSW index, built at
  # the first start and cached beside the bundle: a restart loads it.
  local ann=0
  compgen -G "$shop/models/$version/ann-*.bin" > /dev/null && ann=1
  put serve_start_ann "$ann"
  say "serve: restart"
  put serve_restart_load "$(load1)"
  t0=$(now)
  if start_server serve_restart; then
    put serve_restart_wall "$(since "$t0")"
    put serve_restart_status ok
    put serve_restart_bytes "$(du -sb "$shop/models/$version" | cut -f1)"
    put serve_restart_rows "$(grep '^serve_start_rows=' "$res" | cut -d= -f2)"
    kill -TERM "$(pgrep -P "$tpid")"
  else
    tail -5 "$dir/serve_restart.log" >&2
    put serve_restart_status failed
  fi
  wait "$tpid" || true
  trap - EXIT
  put serve_restart_rss "$(peak_rss_mib "$dir/serve_restart.time")"
  put lake_bytes "$(du -sb "$shop/lake" | cut -f1)"

  # SQL: the daily aggregates, cold (lake files dropped from the page cache) and best of 3
  local q_stats q_events
  q_stats="SELECT event_date, sum(EVENTS) AS events, sum(VIEWS) AS views, \
sum(ADD_TO_CARTS) AS carts, sum(PURCHASES) AS purchases, sum(REVENUE) AS revenue \
FROM daily_item_stats GROUP BY event_date ORDER BY event_date"
  q_events="SELECT event_date, count(*) AS events, \
count(*) FILTER (WHERE EVENT_TYPE = 'purchase') AS purchases, \
sum(EVENT_VALUE) FILTER (WHERE EVENT_TYPE = 'purchase') AS revenue \
FROM interactions GROUP BY event_date ORDER BY event_date"
  local stage q table st
  for stage in sql_stats sql_events; do
    if [ "$stage" = sql_stats ]; then q="$q_stats" table=daily_item_stats; else q="$q_events" table=interactions; fi
    st=$(lake_stat "$project" "$table")
    put "${stage}_bytes" "${st% *}"
    put "${stage}_rows" "${st#* }"
    put "${stage}_load" "$(load1)"
    evict_lake "$shop/lake/$table"
    t0=$(now)
    if ! /usr/bin/time -v -o "$dir/$stage.time" "$recmart" sql -p "$project" -f csv "$q" \
        > "$dir/$stage.csv" 2> "$dir/$stage.log"; then
      tail -3 "$dir/$stage.log" >&2
      put "${stage}_status" failed
      continue
    fi
    put "${stage}_cold" "$(since "$t0")"
    put "${stage}_rss" "$(peak_rss_mib "$dir/$stage.time")"
    local best="" s
    for _ in 1 2 3; do
      t0=$(now)
      "$recmart" sql -p "$project" -f csv "$q" > /dev/null
      s=$(since "$t0")
      best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    put "${stage}_wall" "$best"
    put "${stage}_status" ok
  done
  put days "$(($(wc -l < "$dir/sql_stats.csv") - 1))"
  put finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  put load_end "$(load1)"

  if [ "$CLEAN" = 1 ]; then
    say "CLEAN=1: deleting $shop (JSON lines, lake, models)"
    rm -rf "$shop" "$dir/data.stamp"
  fi
  return 0
}

# ---- the runs -----------------------------------------------------------------------
status=0
small_dir=""
if [ "$SMALL_EVENTS" -gt 0 ]; then
  small_dir="$SCALE_DIR/e$SMALL_EVENTS"
  if [ "$REUSE_SMALL" = 1 ] && [ -f "$small_dir/results.env" ] &&
      grep -q '^finished=' "$small_dir/results.env"; then
    say "reusing the small run's results: $small_dir/results.env"
  else
    run_one "$SMALL_EVENTS" "$small_dir" || status=1
  fi
fi
big_dir="$SCALE_DIR/e$EVENTS"
run_one "$EVENTS" "$big_dir" || status=1

# ---- summary ------------------------------------------------------------------------
summary="$SCALE_DIR/summary-$EVENTS.md"
awk -v big="$big_dir/results.env" -v small="${small_dir:+$small_dir/results.env}" \
    -v tslow="$TARGET_SLOWDOWN" -v trss="$TARGET_RSS_MIB" -v tsql="$TARGET_SQL_S" \
    -v host="$(uname -n)" -v cores="$(nproc)" -v mem="$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" \
    -v wrkc="$WRK_CONNECTIONS" -v recipe="$RECIPE" -v bin="$recmart" '
function load(file, arr,   line, k) {
  if (file == "") return 0
  while ((getline line < file) > 0) { k = index(line, "="); arr[substr(line, 1, k - 1)] = substr(line, k + 1) }
  close(file); return 1
}
function num(x) { return x == "" || x == "-" ? 0 : x + 0 }
function fmt(x, d,   s, i, out, neg) {   # thousands separators
  if (x == "") return "–"
  s = sprintf("%." d "f", x); neg = substr(s, 1, 1) == "-"; if (neg) s = substr(s, 2)
  i = index(s, "."); out = i ? substr(s, i) : ""; s = i ? substr(s, 1, i - 1) : s
  while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
  return (neg ? "-" : "") s out
}
function rate(a, st, what,   w) { w = num(a[st "_wall"]); return w > 0 ? num(a[st what]) / w : 0 }
BEGIN {
  load(big, B); have_small = load(small, S)
  n = split("generate etl train serve_start serve_restart serve sql_stats sql_events", st, " ")
  name["generate"] = "generate (JSON lines written)"
  name["etl"] = "etl (all sources, from an empty lake)"
  name["train"] = recipe " train (lake load + fit)"
  name["serve_start"] = "serve: first start (bundle load" (B["serve_start_ann"] == 1 ? ", HNSW index build" : "") ")"
  name["serve_restart"] = "serve: restart (bundle load" (B["serve_start_ann"] == 1 ? ", cached index" : "") ")"
  name["serve"] = "serve: GET /recommendations (wrk, " wrkc " conn.)"
  name["sql_stats"] = "sql: daily aggregate of daily_item_stats"
  name["sql_events"] = "sql: daily aggregate of interactions"
  unit["serve"] = "req"
  printf "## recmart scale run: %s events", fmt(B["events"], 0)
  if (have_small) printf " (reference: %s events)", fmt(S["events"], 0)
  printf "\n\n%s, %d cores, %d GiB; %s; seed %s; %s → %s; 1-min load %s at the end.\n", host, cores, mem,
    bin, B["seed"], B["started"], B["finished"], B["load_end"]
  printf "MB = 10^6 bytes (stage input: JSON lines generated; all source files for etl; the live\n"
  printf "Parquet bytes the stage reads for train and sql; the model bundle for serve start;\n"
  printf "response bytes for serve). Rows: events written; raw rows read; lake rows read;\n"
  printf "users + items loaded; requests; table rows scanned. SQL wall = best of 3 warm runs.\n\n"
  printf "| stage | wall s | MB/s | rows/s | peak RSS MiB | load |"
  if (have_small) printf " rows/s at %s | slowdown per row |", fmt(S["events"], 0)
  printf " target |\n|---|---:|---:|---:|---:|---:|"
  if (have_small) printf "---:|---:|"
  printf "---|\n"
  ok_all = 1
  for (i = 1; i <= n; i++) {
    s = st[i]
    if (B[s "_status"] != "ok") {
      printf "| %s | %s |  |  |  |  |", name[s], B[s "_status"] == "" ? "not run" : "FAILED"
      if (have_small) printf "  |  |"
      printf " FAIL |\n"; ok_all = 0; continue
    }
    r = rate(B, s, "_rows"); mbs = rate(B, s, "_bytes") / 1e6
    rss = num(B[s "_rss"]); ld = s == "serve_start" ? B["serve_start_load"] : B[s "_load"]
    printf "| %s | %s | %s | %s | %s | %s |", name[s], fmt(B[s "_wall"], s ~ /^sql/ ? 3 : 2), fmt(mbs, 1),
      fmt(r, 0), s ~ /^serve/ ? fmt(rss, 0) " (server)" : fmt(rss, 0), ld
    verdict = ""; pass = 1
    if (have_small) {
      rs = S[s "_status"] == "ok" ? rate(S, s, "_rows") : 0
      if (rs > 0 && r > 0) {
        slow = rs / r
        printf " %s | %.2f× |", fmt(rs, 0), slow
        if (s == "serve_start" && B["serve_start_ann"] != S["serve_start_ann"])
          verdict = "no per-row target (index built at one size only)"
        else if (s != "generate") { verdict = sprintf("≤ %d× per row", tslow); if (slow > tslow) pass = 0 }
      } else printf " – | – |"
    }
    if (s != "serve") { verdict = verdict (verdict ? ", " : "") "RSS ≤ " fmt(trss, 0); if (rss > trss) pass = 0 }
    if (s == "sql_stats" || s == "sql_events") {
      verdict = verdict ", < " tsql " s"; if (num(B[s "_wall"]) >= tsql) pass = 0
    }
    if (!pass) ok_all = 0
    printf " %s %s |\n", pass ? "PASS" : "**FAIL**", verdict
  }
  printf "\nETL: %s raw rows → %s user–item pairs; train: %s matrix non-zeros, lake load %.1f s, fit %.1f s.\n",
    fmt(B["etl_rows"], 0), fmt(B["etl_matrix_rows"], 0), fmt(B["train_nnz"], 0),
    num(B["train_load_seconds"]), num(B["train_fit_seconds"])
  printf "Lake on disk: %.1f MB (%.1f bytes per generated event); JSON lines in: %.1f MB.\n",
    num(B["lake_bytes"]) / 1e6, num(B["lake_bytes"]) / num(B["events"]), num(B["generate_bytes"]) / 1e6
  printf "serve: p50 %s µs, p99 %s µs, p99.9 %s µs, %s errors (wrk on the same machine).\n",
    fmt(B["serve_p50_us"], 0), fmt(B["serve_p99_us"], 0), fmt(B["serve_p999_us"], 0), fmt(B["serve_errors"], 0)
  printf "sql cold first run (lake files dropped from the page cache): daily_item_stats %s s, interactions %s s (%s days).\n",
    B["sql_stats_cold"], B["sql_events_cold"], B["days"]
  if (have_small) printf "Slowdown per row = rows/s at %s events ÷ rows/s at %s; generate has no target.\n",
    fmt(S["events"], 0), fmt(B["events"], 0)
  printf "\n%s\n", ok_all ? "PASS: every target met" : "FAIL: a target was missed or a stage failed"
  exit ok_all ? 0 : 1
}' | tee "$summary"
rc=${PIPESTATUS[0]}
[ -s "$big_dir/etl_stats.json" ] && say "etl step times: $big_dir/etl_stats.json"
say "summary: $summary"
[ "$status" -ne 0 ] && exit 1
exit "$rc"
