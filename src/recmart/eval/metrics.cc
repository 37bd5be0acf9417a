#include "recmart/eval/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace recmart::eval {

namespace {

using Items = std::span<const ItemIndex>;

// The top k of `ranked` (all of it when shorter).
Items Top(Items ranked, size_t k) { return ranked.first(std::min(k, ranked.size())); }

bool IsRelevant(Items relevant, ItemIndex item) {
  return std::binary_search(relevant.begin(), relevant.end(), item);
}

size_t Hits(Items ranked, Items relevant, size_t k) {
  size_t hits = 0;
  for (ItemIndex i : Top(ranked, k)) hits += IsRelevant(relevant, i);
  return hits;
}

// 1 / log2(r + 1), the gain of a hit at 1-based rank r.
double Discount(size_t r) { return 1.0 / std::log2(static_cast<double>(r) + 1.0); }

}  // namespace

double PrecisionAtK(Items ranked, Items relevant, size_t k) {
  if (relevant.empty() || k == 0) return 0.0;
  return static_cast<double>(Hits(ranked, relevant, k)) / static_cast<double>(k);
}

double RecallAtK(Items ranked, Items relevant, size_t k) {
  if (relevant.empty()) return 0.0;
  return static_cast<double>(Hits(ranked, relevant, k)) / static_cast<double>(relevant.size());
}

double NdcgAtK(Items ranked, Items relevant, size_t k) {
  if (relevant.empty()) return 0.0;
  const Items top = Top(ranked, k);
  double dcg = 0.0;
  for (size_t r = 0; r < top.size(); ++r) {
    if (IsRelevant(relevant, top[r])) dcg += Discount(r + 1);
  }
  double idcg = 0.0;
  const size_t ideal = std::min(k, relevant.size());
  for (size_t r = 1; r <= ideal; ++r) idcg += Discount(r);
  return idcg > 0.0 ? dcg / idcg : 0.0;
}

double AveragePrecisionAtK(Items ranked, Items relevant, size_t k) {
  if (relevant.empty() || k == 0) return 0.0;
  const Items top = Top(ranked, k);
  double sum = 0.0;
  size_t hits = 0;
  for (size_t r = 0; r < top.size(); ++r) {
    if (!IsRelevant(relevant, top[r])) continue;
    ++hits;
    sum += static_cast<double>(hits) / static_cast<double>(r + 1);
  }
  return sum / static_cast<double>(std::min(k, relevant.size()));
}

double ReciprocalRankAtK(Items ranked, Items relevant, size_t k) {
  const Items top = Top(ranked, k);
  for (size_t r = 0; r < top.size(); ++r) {
    if (IsRelevant(relevant, top[r])) return 1.0 / static_cast<double>(r + 1);
  }
  return 0.0;
}

double HitRateAtK(Items ranked, Items relevant, size_t k) {
  return Hits(ranked, relevant, k) > 0 ? 1.0 : 0.0;
}

std::vector<double> ItemSelfInformation(const models::CsrMatrix& train) {
  std::vector<double> users_per_item(train.cols, 0.0);
  size_t users = 0;
  for (uint32_t u = 0; u < train.rows; ++u) {
    if (train.RowSize(u) == 0) continue;
    ++users;
    for (uint32_t i : train.RowIndices(u)) users_per_item[i] += 1.0;
  }
  std::vector<double> info(train.cols, 0.0);
  if (users == 0) return info;
  const double n = static_cast<double>(users);
  for (size_t i = 0; i < info.size(); ++i) {
    info[i] = -std::log2(std::max(users_per_item[i], 1.0) / n);
  }
  return info;
}

void MetricSums::AddUser(Items ranked, Items relevant, std::span<const double> self_info) {
  if (relevant.empty()) return;
  ++users;
  precision += PrecisionAtK(ranked, relevant, k);
  recall += RecallAtK(ranked, relevant, k);
  ndcg += NdcgAtK(ranked, relevant, k);
  map += AveragePrecisionAtK(ranked, relevant, k);
  mrr += ReciprocalRankAtK(ranked, relevant, k);
  hit_rate += HitRateAtK(ranked, relevant, k);
  for (ItemIndex i : Top(ranked, k)) {
    if (i < self_info.size()) self_information += self_info[i];
    ++recommended;
  }
}

void MetricSums::Merge(const MetricSums& o) {
  users += o.users;
  precision += o.precision;
  recall += o.recall;
  ndcg += o.ndcg;
  map += o.map;
  mrr += o.mrr;
  hit_rate += o.hit_rate;
  self_information += o.self_information;
  recommended += o.recommended;
}

CoverageTracker::CoverageTracker(size_t num_items)
    : num_items_(num_items), best_rank_(std::make_unique<std::atomic<uint32_t>[]>(num_items)) {
  for (size_t i = 0; i < num_items; ++i) best_rank_[i].store(UINT32_MAX, std::memory_order_relaxed);
}

void CoverageTracker::Add(Items ranked) {
  for (size_t r = 0; r < ranked.size(); ++r) {
    if (ranked[r] >= num_items_) continue;
    std::atomic<uint32_t>& best = best_rank_[ranked[r]];
    const uint32_t rank = static_cast<uint32_t>(r);
    uint32_t seen = best.load(std::memory_order_relaxed);
    while (rank < seen && !best.compare_exchange_weak(seen, rank, std::memory_order_relaxed)) {
    }
  }
}

double CoverageTracker::Coverage(size_t k) const {
  if (num_items_ == 0) return 0.0;
  size_t covered = 0;
  for (size_t i = 0; i < num_items_; ++i) {
    covered += best_rank_[i].load(std::memory_order_relaxed) < k;
  }
  return static_cast<double>(covered) / static_cast<double>(num_items_);
}

MetricsAtK Means(const MetricSums& s, double coverage) {
  MetricsAtK m;
  m.k = s.k;
  m.coverage = coverage;
  if (s.users > 0) {
    const double n = static_cast<double>(s.users);
    m.precision = s.precision / n;
    m.recall = s.recall / n;
    m.ndcg = s.ndcg / n;
    m.map = s.map / n;
    m.mrr = s.mrr / n;
    m.hit_rate = s.hit_rate / n;
  }
  if (s.recommended > 0) m.novelty = s.self_information / static_cast<double>(s.recommended);
  return m;
}

namespace {
constexpr MetricKind kKinds[] = {MetricKind::kPrecision, MetricKind::kRecall, MetricKind::kNdcg,
                                 MetricKind::kMap,       MetricKind::kMrr,    MetricKind::kHitRate,
                                 MetricKind::kCoverage,  MetricKind::kNovelty};
}  // namespace

std::string_view MetricKindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kPrecision:
      return "precision";
    case MetricKind::kRecall:
      return "recall";
    case MetricKind::kNdcg:
      return "ndcg";
    case MetricKind::kMap:
      return "map";
    case MetricKind::kMrr:
      return "mrr";
    case MetricKind::kHitRate:
      return "hit_rate";
    case MetricKind::kCoverage:
      return "coverage";
    case MetricKind::kNovelty:
      return "novelty";
  }
  return "?";
}

StatusOr<MetricName> ParseMetricName(std::string_view name) {
  auto fail = [&] {
    return Status::InvalidArgument(
        "metric \"" + std::string(name) +
        "\": expected NAME@K with NAME one of precision, recall, ndcg, map, mrr, hit_rate, "
        "coverage, novelty and an integer K >= 1, e.g. ndcg@10");
  };
  const size_t at = name.find('@');
  if (at == std::string_view::npos) return fail();
  const std::string_view kind = name.substr(0, at), k = name.substr(at + 1);
  MetricName out;
  auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), out.k);
  if (k.empty() || ec != std::errc() || p != k.data() + k.size() || out.k == 0) return fail();
  for (MetricKind m : kKinds) {
    if (MetricKindName(m) == kind) {
      out.kind = m;
      return out;
    }
  }
  return fail();
}

double MetricValue(const MetricsAtK& m, MetricKind kind) {
  switch (kind) {
    case MetricKind::kPrecision:
      return m.precision;
    case MetricKind::kRecall:
      return m.recall;
    case MetricKind::kNdcg:
      return m.ndcg;
    case MetricKind::kMap:
      return m.map;
    case MetricKind::kMrr:
      return m.mrr;
    case MetricKind::kHitRate:
      return m.hit_rate;
    case MetricKind::kCoverage:
      return m.coverage;
    case MetricKind::kNovelty:
      return m.novelty;
  }
  return 0.0;
}

}  // namespace recmart::eval
