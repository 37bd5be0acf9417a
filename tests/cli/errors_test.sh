#!/usr/bin/env bash
# Bad input to the CLI: one clear line on stderr and a non-zero exit, never a crash.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lines() { printf '%s\n' "$1" | grep -c .; }

run_status "$RECMART" etl -p "$WORK/nope.toml"
expect_eq "missing project exit (configuration error)" 2 "$RC"
expect_eq "missing project one line" 1 "$(lines "$ERR")"
expect_contains "missing project message" "nope.toml: project file not found" "$ERR"

printf '[project]\nname = "x"\n[[sources]]\nname = "a"\nkind = "events"\npath = "x.csv"\nformat = "xml"\n' > "$WORK/bad.toml"
run_status "$RECMART" validate "$WORK/bad.toml"
expect_eq "bad format exit" 2 "$RC"
expect_eq "bad format one line" 1 "$(lines "$ERR")"
expect_contains "bad format names file:line: key" "bad.toml:7: sources[0].format: expected one of csv, tsv, jsonl, parquet" "$ERR"

printf '[project\n' > "$WORK/syntax.toml"
run_status "$RECMART" validate "$WORK/syntax.toml"
expect_eq "toml syntax exit" 2 "$RC"
expect_contains "toml syntax" "syntax.toml:1: not valid TOML" "$ERR"

mkdir -p "$WORK/p"
"$RECMART" init "$WORK/p" -q
run_status "$RECMART" init "$WORK/p"
expect_eq "init refuses to overwrite" 1 "$RC"
run_status "$RECMART" validate "$WORK/p/recmart.toml"
expect_eq "template validates up to its missing data" 1 "$RC"
expect_contains "template: no matching file" "no file matches" "$ERR"

# A source file that vanished: one line naming the source.
cat > "$WORK/p/recmart.toml" <<'TOML'
[project]
lake = "lake"
[[sources]]
name = "clicks"
kind = "events"
path = "data/*.jsonl"
format = "jsonl"
event_type_constant = "view"
[sources.columns]
USER_ID = "u"
ITEM_ID = "i"
TIMESTAMP = "t"
TOML
run_status "$RECMART" etl -p "$WORK/p/recmart.toml"
expect_eq "no input exit" 1 "$RC"
expect_contains "no input message" "source 'clicks': no file matches" "$ERR"

mkdir -p "$WORK/p/data"
printf '{"u":"a","i":"b","t":1700000000}\n' > "$WORK/p/data/1.jsonl"
run_status "$RECMART" etl -q -p "$WORK/p/recmart.toml"
expect_eq "etl ok" 0 "$RC"
run_status "$RECMART" sql -p "$WORK/p/recmart.toml" "SELEC 1"
expect_eq "sql error exit" 2 "$RC"
expect_eq "sql error one line" 1 "$(lines "$ERR")"
run_status "$RECMART" sql -p "$WORK/p/recmart.toml" "SELECT * FROM no_such_table"
expect_contains "sql unknown table" "no_such_table" "$ERR"
run_status "$RECMART" etl --frobnicate
expect_eq "unknown flag exit" 2 "$RC"
expect_eq "unknown flag one line" 1 "$(lines "$ERR")"

# Bookmarks: set, then reset; a reset re-reads without duplicating.
printf '{"u":"a","i":"c","t":1700000100}\n' > "$WORK/p/data/2.jsonl"
run_status "$RECMART" bookmark set clicks --through data/2.jsonl -p "$WORK/p/recmart.toml"
expect_eq "bookmark set" 0 "$RC"
run_status "$RECMART" etl -p "$WORK/p/recmart.toml"
expect_contains "bookmarked file skipped" "nothing new" "$OUT"
run_status "$RECMART" bookmark reset clicks -p "$WORK/p/recmart.toml"
expect_contains "bookmark reset" "2 bookmarks cleared" "$OUT"
run_status "$RECMART" etl --json -p "$WORK/p/recmart.toml"
expect_contains "reset re-reads both" '"raw_rows":2' "$OUT"
expect_contains "...adding only the new one" '"accepted":1' "$OUT"
expect_contains "...and the old one is a duplicate" '"duplicates":1' "$OUT"

# Two writers: the second is refused at once, the first is unaffected.
exec 9>"$WORK/p/lake/_recmart/write.lock"
flock -n 9
run_status "$RECMART" etl -p "$WORK/p/recmart.toml"
expect_eq "concurrent run refused" 1 "$RC"
expect_contains "concurrent run message" "held by another recmart process" "$ERR"
exec 9>&-
finish
