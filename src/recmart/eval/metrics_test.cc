#include "recmart/eval/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::eval {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

using Items = std::vector<ItemIndex>;

constexpr double kEps = 1e-12;

// ranked {3, 1, 7, 5, 9}, relevant {1, 5, 8}: hits at ranks 2 (item 1) and 4 (item 5).
TEST(MetricsTest, HitsInTheMiddleAtK5) {
  const Items ranked = {3, 1, 7, 5, 9}, relevant = {1, 5, 8};
  // 2 hits / k = 5.
  EXPECT_NEAR(PrecisionAtK(ranked, relevant, 5), 0.4, kEps);
  // 2 hits / 3 relevant.
  EXPECT_NEAR(RecallAtK(ranked, relevant, 5), 2.0 / 3.0, kEps);
  // DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606;
  // IDCG over min(5, 3) = 3 hits = 1 + 1/log2(3) + 1/log2(4) = 2.130930;
  // NDCG = 0.498189.
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 5),
              (1 / std::log2(3.0) + 1 / std::log2(5.0)) / (1 + 1 / std::log2(3.0) + 0.5), kEps);
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 5), 0.498189, 1e-6);
  // AP = (1/2 + 2/4) / min(5, 3) = 1/3.
  EXPECT_NEAR(AveragePrecisionAtK(ranked, relevant, 5), 1.0 / 3.0, kEps);
  // First hit at rank 2.
  EXPECT_NEAR(ReciprocalRankAtK(ranked, relevant, 5), 0.5, kEps);
  EXPECT_EQ(HitRateAtK(ranked, relevant, 5), 1.0);
}

TEST(MetricsTest, SmallerKCutsTheList) {
  const Items ranked = {3, 1, 7, 5, 9}, relevant = {1, 5, 8};
  // Top 2 = {3, 1}: one hit at rank 2.
  EXPECT_NEAR(PrecisionAtK(ranked, relevant, 2), 0.5, kEps);
  EXPECT_NEAR(RecallAtK(ranked, relevant, 2), 1.0 / 3.0, kEps);
  // DCG = 1/log2(3); IDCG over min(2, 3) = 2 hits = 1 + 1/log2(3).
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 2), (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)), kEps);
  // AP = (1/2) / min(2, 3) = 0.25.
  EXPECT_NEAR(AveragePrecisionAtK(ranked, relevant, 2), 0.25, kEps);
  EXPECT_NEAR(ReciprocalRankAtK(ranked, relevant, 2), 0.5, kEps);
  // Top 1 = {3}: no hit, every metric 0.
  EXPECT_EQ(PrecisionAtK(ranked, relevant, 1), 0.0);
  EXPECT_EQ(RecallAtK(ranked, relevant, 1), 0.0);
  EXPECT_EQ(NdcgAtK(ranked, relevant, 1), 0.0);
  EXPECT_EQ(AveragePrecisionAtK(ranked, relevant, 1), 0.0);
  EXPECT_EQ(ReciprocalRankAtK(ranked, relevant, 1), 0.0);
  EXPECT_EQ(HitRateAtK(ranked, relevant, 1), 0.0);
}

TEST(MetricsTest, FewerRecommendationsThanK) {
  // One recommendation, a hit; k = 10 and |relevant| = 1 < k.
  const Items ranked = {4}, relevant = {4};
  // 1 hit / k = 10: a short list is not rewarded.
  EXPECT_NEAR(PrecisionAtK(ranked, relevant, 10), 0.1, kEps);
  EXPECT_NEAR(RecallAtK(ranked, relevant, 10), 1.0, kEps);
  // DCG = 1; IDCG over min(10, 1) = 1 hit = 1.
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 10), 1.0, kEps);
  // AP = (1/1) / min(10, 1) = 1.
  EXPECT_NEAR(AveragePrecisionAtK(ranked, relevant, 10), 1.0, kEps);
  EXPECT_NEAR(ReciprocalRankAtK(ranked, relevant, 10), 1.0, kEps);
}

TEST(MetricsTest, MoreRelevantThanKCanStillScoreOne) {
  // Top 2 both relevant, 4 relevant: AP = (1/1 + 2/2) / min(2, 4) = 1; IDCG over 2 hits.
  const Items ranked = {0, 1, 9}, relevant = {0, 1, 2, 3};
  EXPECT_NEAR(AveragePrecisionAtK(ranked, relevant, 2), 1.0, kEps);
  EXPECT_NEAR(NdcgAtK(ranked, relevant, 2), 1.0, kEps);
  EXPECT_NEAR(RecallAtK(ranked, relevant, 2), 0.5, kEps);
}

TEST(MetricsTest, NoHitsAndNoRelevantItems) {
  const Items ranked = {0, 2}, relevant = {1}, none = {};
  for (size_t k : {1, 2, 5}) {
    EXPECT_EQ(PrecisionAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(RecallAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(NdcgAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(AveragePrecisionAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(ReciprocalRankAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(HitRateAtK(ranked, relevant, k), 0.0);
    EXPECT_EQ(RecallAtK(ranked, none, k), 0.0);
    EXPECT_EQ(NdcgAtK(ranked, none, k), 0.0);
  }
  EXPECT_EQ(PrecisionAtK({}, relevant, 3), 0.0);
}

// Train matrix: users 0, 1, 2 have entries, user 3 has none, so there are 3
// train users. Item 0: users 0, 1, 2 -> p = 1 -> 0 bits. Item 1: users 0, 1 ->
// p = 2/3 -> log2(1.5). Item 2: no user -> p = 1/3 -> log2(3).
models::CsrMatrix SelfInfoMatrix() {
  return models::CsrMatrix::FromTriplets(
      4, 3, {{0, 0, 1.0f}, {0, 1, 1.0f}, {1, 0, 1.0f}, {1, 1, 2.0f}, {2, 0, 1.0f}});
}

TEST(MetricsTest, ItemSelfInformation) {
  const std::vector<double> info = ItemSelfInformation(SelfInfoMatrix());
  ASSERT_EQ(info.size(), 3u);
  EXPECT_NEAR(info[0], 0.0, kEps);
  EXPECT_NEAR(info[1], std::log2(1.5), kEps);
  EXPECT_NEAR(info[2], std::log2(3.0), kEps);
  EXPECT_EQ(ItemSelfInformation(models::CsrMatrix::FromTriplets(2, 2, {})),
            std::vector<double>(2, 0.0));
}

TEST(MetricsTest, SumsAndMeansOverUsers) {
  const std::vector<double> info = ItemSelfInformation(SelfInfoMatrix());
  MetricSums a;
  a.k = 2;
  // User A: ranked {0, 1}, relevant {1}: P = 1/2, R = 1, NDCG = (1/log2 3) / 1,
  // AP = (1/2) / min(2, 1) = 1/2, RR = 1/2, hit 1.
  a.AddUser(Items{0, 1}, Items{1}, info);
  MetricSums b;
  b.k = 2;
  // User B: ranked {2} (short list), relevant {0, 2}: P = 1/2, R = 1/2,
  // NDCG = 1 / (1 + 1/log2 3), AP = (1/1) / min(2, 2) = 1/2, RR = 1, hit 1.
  b.AddUser(Items{2}, Items{0, 2}, info);
  // User C: nothing relevant, not evaluated.
  b.AddUser(Items{0, 1}, Items{}, info);
  a.Merge(b);
  EXPECT_EQ(a.users, 2u);
  EXPECT_EQ(a.recommended, 3u);

  const MetricsAtK m = Means(a, 0.25);
  EXPECT_EQ(m.k, 2u);
  EXPECT_NEAR(m.precision, 0.5, kEps);
  EXPECT_NEAR(m.recall, 0.75, kEps);
  EXPECT_NEAR(m.ndcg, (1 / std::log2(3.0) + 1 / (1 + 1 / std::log2(3.0))) / 2, kEps);
  EXPECT_NEAR(m.map, 0.5, kEps);
  EXPECT_NEAR(m.mrr, 0.75, kEps);
  EXPECT_NEAR(m.hit_rate, 1.0, kEps);
  EXPECT_EQ(m.coverage, 0.25);
  // Slots: item 0 (0 bits), item 1 (log2 1.5), item 2 (log2 3), mean over 3.
  EXPECT_NEAR(m.novelty, (std::log2(1.5) + std::log2(3.0)) / 3, kEps);

  const MetricsAtK empty = Means(MetricSums{}, 0.0);
  EXPECT_EQ(empty.precision, 0.0);
  EXPECT_EQ(empty.novelty, 0.0);
}

TEST(MetricsTest, CoverageCountsDistinctItemsInTheTopK) {
  CoverageTracker c(5);
  c.Add(Items{0, 1, 2});
  c.Add(Items{1, 3});
  // k = 1: {0, 1}; k = 2: {0, 1} + {1, 3}; k = 3: adds 2. Item 4 never.
  EXPECT_NEAR(c.Coverage(1), 2.0 / 5, kEps);
  EXPECT_NEAR(c.Coverage(2), 3.0 / 5, kEps);
  EXPECT_NEAR(c.Coverage(3), 4.0 / 5, kEps);
  EXPECT_NEAR(c.Coverage(25), 4.0 / 5, kEps);
  EXPECT_EQ(CoverageTracker(0).Coverage(10), 0.0);
}

TEST(MetricsTest, ParseMetricName) {
  ASSERT_OK_AND_ASSIGN(MetricName n, ParseMetricName("ndcg@10"));
  EXPECT_EQ(n.kind, MetricKind::kNdcg);
  EXPECT_EQ(n.k, 10u);
  ASSERT_OK_AND_ASSIGN(MetricName h, ParseMetricName("hit_rate@25"));
  EXPECT_EQ(h.kind, MetricKind::kHitRate);
  EXPECT_EQ(h.k, 25u);
  for (const char* bad : {"ndcg", "ndcg@", "ndcg@0", "ndcg@x", "auc@10", "@10", "ndcg@10x"}) {
    EXPECT_THAT(ParseMetricName(bad),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected NAME@K")))
        << bad;
  }
  MetricsAtK m;
  m.map = 0.3;
  m.novelty = 7;
  EXPECT_EQ(MetricValue(m, MetricKind::kMap), 0.3);
  EXPECT_EQ(MetricValue(m, MetricKind::kNovelty), 7.0);
  EXPECT_EQ(MetricKindName(MetricKind::kMrr), "mrr");
}

}  // namespace
}  // namespace recmart::eval
