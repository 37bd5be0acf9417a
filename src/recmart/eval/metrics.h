// Ranking metrics: pure functions over one user's ranked list, and their
// aggregation over users.
//
// Conventions shared by every function here:
//   - `ranked` is a user's recommendations, best first, without repeats; it
//     may be shorter than k (a small catalog after excluding seen items).
//   - `relevant` is the user's held-out items, ascending and unique.
//   - rank r is 1-based; a "hit" is a ranked item that is relevant.
//   - REQUIRES: k >= 1. A user with an empty relevant set is not evaluated:
//     the per-user functions return 0 for it and MetricSums skips it.
// The definitions follow Microsoft Recommenders (python_evaluation.py), the
// published baseline we compare to, except where noted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/matrix.h"

namespace recmart::eval {

using models::ItemIndex;

// precision@k = hits in the top k / k. Divided by k, not by the list length:
// a short list is not rewarded for recommending less.
double PrecisionAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant,
                    size_t k);

// recall@k = hits in the top k / |relevant|.
double RecallAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant, size_t k);

// NDCG@k with binary relevance: DCG / IDCG, where
// DCG = sum over hits at rank r <= k of 1 / log2(r + 1), and IDCG is the DCG of
// min(k, |relevant|) hits at ranks 1, 2, ....
double NdcgAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant, size_t k);

// AP@k = (sum over hits at rank r <= k of (hits at ranks <= r) / r) / min(k, |relevant|).
// MAP@k is its mean over users. Dividing by min(k, |relevant|), not by
// |relevant| as some libraries do, lets a perfect top k score 1 for a user
// with more than k relevant items.
double AveragePrecisionAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant,
                           size_t k);

// RR@k = 1 / rank of the first hit within the top k, 0 when there is none.
// MRR@k is its mean over users.
double ReciprocalRankAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant,
                         size_t k);

// hit rate@k = 1 when the top k holds any hit, else 0.
double HitRateAtK(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant, size_t k);

// Per item, its self-information -log2 p(i) in the training data, where
// p(i) = (train users who interacted with i) / (train users), and train users
// are the rows with at least one entry. An item no train user has (cold, or
// only in test) gets p = 1 / (train users), i.e. it counts as if one user had
// it: the highest novelty, but finite. All zero when no user has an entry.
// Returns train.cols values.
std::vector<double> ItemSelfInformation(const models::CsrMatrix& train);

// The metrics above summed over users at one k, plus what novelty needs.
// Merge() adds another's sums, so per-batch sums merged in a fixed order give
// the same totals on every run.
struct MetricSums {
  size_t k = 10;
  size_t users = 0;  // users evaluated (non-empty relevant set)
  double precision = 0, recall = 0, ndcg = 0, map = 0, mrr = 0, hit_rate = 0;
  // Self-information summed over every recommended (user, item) slot in the
  // top k, and the number of such slots.
  double self_information = 0;
  size_t recommended = 0;

  // Adds one user (skipped when `relevant` is empty). `self_information` is
  // ItemSelfInformation() of the training matrix.
  void AddUser(std::span<const ItemIndex> ranked, std::span<const ItemIndex> relevant,
               std::span<const double> self_information);
  void Merge(const MetricSums& other);
};

// Catalog coverage: which items reached any evaluated user's top k. Add() may
// be called from many threads at once; the answer does not depend on their
// order. The denominator is the whole catalog (every item index, cold items
// included), where Microsoft Recommenders uses the items seen in training.
class CoverageTracker {
 public:
  explicit CoverageTracker(size_t num_items);
  // Records one user's ranked list (every rank; Coverage picks the k).
  void Add(std::span<const ItemIndex> ranked);
  // coverage@k = distinct items in any recorded top k / num_items (0 for an
  // empty catalog).
  double Coverage(size_t k) const;

 private:
  size_t num_items_;
  // Per item, the best (lowest, 0-based) rank at which it was recommended.
  std::unique_ptr<std::atomic<uint32_t>[]> best_rank_;
};

// Mean metrics at one k, the row of an evaluation report.
struct MetricsAtK {
  size_t k = 0;
  double precision = 0, recall = 0, ndcg = 0, map = 0, mrr = 0, hit_rate = 0;
  double coverage = 0;
  // novelty@k: mean self-information over every recommended (user, item)
  // slot in the top k (so a user with a shorter list weighs less).
  double novelty = 0;
};

// The means of `sums` (all 0 when no user was evaluated), with `coverage`.
MetricsAtK Means(const MetricSums& sums, double coverage);

// A metric named as in reports: "ndcg@10" -> {kNdcg, 10}.
enum class MetricKind { kPrecision, kRecall, kNdcg, kMap, kMrr, kHitRate, kCoverage, kNovelty };
struct MetricName {
  MetricKind kind = MetricKind::kNdcg;
  size_t k = 10;
};

// Parses NAME@K with NAME one of precision, recall, ndcg, map, mrr, hit_rate,
// coverage, novelty and K >= 1; InvalidArgument otherwise.
StatusOr<MetricName> ParseMetricName(std::string_view name);
// "ndcg" for kNdcg, etc. (without the "@k").
std::string_view MetricKindName(MetricKind kind);
// The value of `kind` in `m`.
double MetricValue(const MetricsAtK& m, MetricKind kind);

}  // namespace recmart::eval
