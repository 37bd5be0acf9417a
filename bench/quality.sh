#!/usr/bin/env bash
# Recommendation quality of every recipe, through the real CLI path (ETL into
# the lake, then `recmart evaluate`), on:
#   1. MovieLens 100K (../shared/data; not bundled): every rating one implicit
#      interaction, random per-user 75/25 split, k = 10, seen items excluded
#      -- the protocol of the published figures (SAR 0.38, BPR 0.44, BiVAE
#      0.475 NDCG@10);
#   2. UCI Online Retail (bundled example): time split, the last 30 days as test.
# Prints one table per dataset: NDCG@10, precision@10, recall@10, MAP@10 and
# training seconds per recipe; results also land in $OUT/*.jsonl.
#
# Usage: bench/quality.sh            (SKIP_BUILD=1 to use the existing build)
# Environment: SEED (42), THREADS (2), RECIPES (all, blend with its default
# components last), OUT (build/bench-quality), RECMART (build/recmart).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "${SKIP_BUILD:-0}" = 1 ] || "$root/scripts/build.sh" release >/dev/null
bin="${RECMART:-$root/build/recmart}"
seed="${SEED:-42}"
threads="${THREADS:-2}"
out="${OUT:-$root/build/bench-quality}"
recipes="${RECIPES:-popularity trending item-knn als bpr ease content blend}"
mkdir -p "$out"

# Runs `recmart evaluate` for every recipe on one project and prints the table.
# $1 project file, $2 split, $3 result file.
evaluate_all() {
  local project="$1" split="$2" results="$3"
  : >"$results"
  for r in $recipes; do
    "$bin" -q evaluate -p "$project" --recipe "$r" --split "$split" --seed "$seed" \
      --threads "$threads" -k 10 --json >>"$results"
  done
  "$bin" sql -p "$project" "SELECT recipe,
      round(\"ndcg@10\", 4) AS ndcg_10, round(\"precision@10\", 4) AS precision_10,
      round(\"recall@10\", 4) AS recall_10, round(\"map@10\", 4) AS map_10,
      round(\"coverage@10\", 4) AS coverage_10, round(train_seconds, 3) AS train_s, users
    FROM read_json('$results') ORDER BY ndcg_10 DESC"
}

ml="$root/examples/movielens-100k/recmart.toml"
if [ -f "$root/../shared/data/movielens-100k/u.data" ]; then
  "$bin" -q etl -p "$ml" >/dev/null
  echo "MovieLens 100K — random per-user 75/25 split (seed $seed), k = 10, seen items excluded, $threads threads"
  evaluate_all "$ml" "random:0.25" "$out/movielens.jsonl"
else
  echo "MovieLens 100K: skipped (../shared/data/movielens-100k/u.data not found)"
fi

retail="$root/examples/online-retail/recmart.toml"
"$bin" -q etl -p "$retail" >/dev/null
echo
echo "UCI Online Retail — time split, last 30 days as test, k = 10, seen items excluded"
evaluate_all "$retail" "time:30d" "$out/online_retail.jsonl"
