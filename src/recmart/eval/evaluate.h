// Evaluate: how well a trained model ranks each user's held-out items.
//
// For every user with held-out items (Split::test), the model scores the
// whole catalog from the user's training row, the top max(ks) items are taken
// (the training row excluded, by default), and the metrics of metrics.h are
// computed at each k. Users are scored in batches through Model::ScoreUsers,
// batches run in parallel, and per-batch sums are combined in batch order, so
// a report is identical for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/eval/metrics.h"
#include "recmart/eval/split.h"
#include "recmart/models/model.h"

namespace recmart::eval {

struct EvalOptions {
  // Cut-offs to report; each >= 1. The report lists them ascending.
  std::vector<size_t> ks = {5, 10, 25};
  // Never recommend a user's training items (the usual protocol for implicit
  // feedback: re-recommending what the user has is not what is measured).
  bool exclude_seen = true;
  // Worker threads (>= 1). The report does not depend on it.
  int threads = 2;
  // When > 0, evaluate at most this many users, for quick tuning. The users
  // are those with the smallest SeedFor(sample_seed, user) among the users
  // with held-out items: a deterministic uniform sample, and a larger cap
  // always includes the users of a smaller one.
  size_t max_users = 0;
  uint64_t sample_seed = 42;
  // Users scored per ScoreUsers call. Lowered automatically so that one
  // batch's score buffer (batch x num_items floats, one per thread) stays
  // within about 64 MiB.
  size_t batch_size = 256;
};

struct EvalReport {
  size_t users = 0;              // users evaluated
  size_t test_pairs = 0;         // their held-out (user, item) pairs
  std::vector<MetricsAtK> at_k;  // one per distinct k, ascending
  double seconds = 0;            // wall time of Evaluate

  // The metrics at `k`, or null when k was not evaluated.
  const MetricsAtK* AtK(size_t k) const;
  // The value of a named metric; NotFound when its k was not evaluated.
  StatusOr<double> Value(const MetricName& name) const;

  // {"users", "test_pairs", "seconds", and per k: "precision@k", "recall@k",
  // "ndcg@k", "map@k", "mrr@k", "hit_rate@k", "coverage@k", "novelty@k"}, plus
  // the names a managed recommender service reports (Amazon Personalize):
  // "precision_at_K" and "normalized_discounted_cumulative_gain_at_K" for K in
  // 5, 10, 25, "mean_reciprocal_rank_at_25" (each when its K was evaluated),
  // and "coverage": coverage@25 when 25 was evaluated, else coverage at the
  // largest k.
  nlohmann::json ToJson() const;
};

// Evaluates `model`, trained on split.train, against split.test.
// Returns InvalidArgument when ks is empty or holds 0, threads < 1, or the
// model's or split's shape does not match split.train (num_items, test size).
// A user whose scores are all equal still gets a list (lowest indices first).
StatusOr<EvalReport> Evaluate(const models::Model& model, const Split& split,
                              const EvalOptions& options);

}  // namespace recmart::eval
