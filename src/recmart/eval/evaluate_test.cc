#include "recmart/eval/evaluate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "recmart/common/testing.h"
#include "recmart/eval/random.h"

namespace recmart::eval {
namespace {

using models::Dataset;
using models::DatasetBuilder;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kEps = 1e-12;

// Scores come from a table: row = user index, one score per item.
class TableModel : public models::Model {
 public:
  explicit TableModel(std::vector<std::vector<float>> table, uint32_t num_items)
      : table_(std::move(table)), num_items_(num_items) {}
  std::string_view recipe() const override { return "table"; }
  nlohmann::json params() const override { return nlohmann::json::object(); }
  Status Fit(const Dataset&, const models::TrainContext&) override { return Status::OK(); }
  uint32_t num_items() const override { return num_items_; }
  void ScoreUser(const models::UserQuery& q, std::span<float> out) const override {
    std::copy(table_[q.user].begin(), table_[q.user].end(), out.begin());
  }
  Status Save(models::ArrayWriter&) const override { return Status::OK(); }
  Status Load(const models::ArrayReader&) override { return Status::OK(); }

 private:
  std::vector<std::vector<float>> table_;
  uint32_t num_items_;
};

// Items 0..5. Train rows: u0 {0, 3}, u1 {1, 2, 3}, u2 {1, 3}.
// Held out: u0 {2, 4}, u1 {0}, u2 nothing (not evaluated).
Split HandSplit() {
  DatasetBuilder b;
  for (int i = 0; i < 6; ++i) b.AddItem("i" + std::to_string(i));
  auto add = [&](const char* u, std::initializer_list<int> items) {
    for (int i : items) b.AddPair(u, "i" + std::to_string(i), 1.0f, 1, 1);
  };
  add("u0", {0, 3});
  add("u1", {1, 2, 3});
  add("u2", {1, 3});
  Split s;
  s.train = std::move(b).Build();
  s.test = {{2, 4}, {0}, {}};
  return s;
}

// With the training rows excluded:
//   u0 ranks 2 (8), 4 (6), 1 (1), 5 (0)        relevant {2, 4}
//   u1 ranks 4 (2), 5 (1), 0 (0.5)              relevant {0}
TableModel HandModel() {
  return TableModel({{9, 1, 8, 7, 6, 0}, {0.5f, 9, 8, 3, 2, 1}, {1, 1, 1, 1, 1, 1}}, 6);
}

TEST(EvaluateTest, ReportMatchesHandComputation) {
  const Split split = HandSplit();
  const TableModel model = HandModel();
  EvalOptions o;
  o.ks = {3, 1};
  ASSERT_OK_AND_ASSIGN(EvalReport r, Evaluate(model, split, o));
  EXPECT_EQ(r.users, 2u);
  EXPECT_EQ(r.test_pairs, 3u);
  ASSERT_EQ(r.at_k.size(), 2u);

  // k = 1: u0 {2} hits (P 1, R 1/2, NDCG 1, AP 1/min(1,2) = 1, RR 1); u1 {4} misses.
  const MetricsAtK& k1 = r.at_k[0];
  EXPECT_EQ(k1.k, 1u);
  EXPECT_NEAR(k1.precision, 0.5, kEps);
  EXPECT_NEAR(k1.recall, 0.25, kEps);
  EXPECT_NEAR(k1.ndcg, 0.5, kEps);
  EXPECT_NEAR(k1.map, 0.5, kEps);
  EXPECT_NEAR(k1.mrr, 0.5, kEps);
  EXPECT_NEAR(k1.hit_rate, 0.5, kEps);
  // Items {2, 4} of 6.
  EXPECT_NEAR(k1.coverage, 2.0 / 6, kEps);
  // 3 train users; items 2 and 4 have 1 and 0 users, both p = 1/3.
  EXPECT_NEAR(k1.novelty, std::log2(3.0), kEps);

  // k = 3: u0 {2, 4, 1}: hits at ranks 1, 2: P 2/3, R 1, NDCG 1 (both ideal
  //   places filled), AP (1/1 + 2/2) / min(3, 2) = 1, RR 1.
  // u1 {4, 5, 0}: hit at rank 3: P 1/3, R 1, NDCG (1/log2 4) / 1 = 1/2,
  //   AP (1/3) / min(3, 1) = 1/3, RR 1/3.
  const MetricsAtK& k3 = r.at_k[1];
  EXPECT_EQ(k3.k, 3u);
  EXPECT_NEAR(k3.precision, 0.5, kEps);
  EXPECT_NEAR(k3.recall, 1.0, kEps);
  EXPECT_NEAR(k3.ndcg, 0.75, kEps);
  EXPECT_NEAR(k3.map, 2.0 / 3, kEps);
  EXPECT_NEAR(k3.mrr, 2.0 / 3, kEps);
  EXPECT_NEAR(k3.hit_rate, 1.0, kEps);
  // Items {0, 1, 2, 4, 5} of 6.
  EXPECT_NEAR(k3.coverage, 5.0 / 6, kEps);
  // Six slots: item 1 has 2 of 3 train users (log2 1.5), the other five log2 3.
  EXPECT_NEAR(k3.novelty, (5 * std::log2(3.0) + std::log2(1.5)) / 6, kEps);

  ASSERT_OK_AND_ASSIGN(double ndcg3, r.Value({MetricKind::kNdcg, 3}));
  EXPECT_NEAR(ndcg3, 0.75, kEps);
  EXPECT_THAT(r.Value({MetricKind::kNdcg, 10}),
              StatusIs(StatusCode::kNotFound, HasSubstr("not evaluated")));
}

TEST(EvaluateTest, SeenItemsCanBeKept) {
  const Split split = HandSplit();
  const TableModel model = HandModel();
  EvalOptions o;
  o.ks = {1};
  o.exclude_seen = false;
  ASSERT_OK_AND_ASSIGN(EvalReport r, Evaluate(model, split, o));
  // u0's best is its own item 0, u1's its own item 1: no hits.
  EXPECT_EQ(r.at_k[0].precision, 0.0);
  EXPECT_NEAR(r.at_k[0].coverage, 2.0 / 6, kEps);
}

TEST(EvaluateTest, JsonHasNativeAndManagedServiceNames) {
  const Split split = HandSplit();
  const TableModel model = HandModel();
  ASSERT_OK_AND_ASSIGN(EvalReport r, Evaluate(model, split, EvalOptions{}));
  const nlohmann::json j = r.ToJson();
  EXPECT_EQ(j["users"], 2);
  for (const char* key :
       {"precision@10", "recall@10", "ndcg@10", "map@10", "mrr@10", "hit_rate@10", "coverage@10",
        "novelty@10", "precision_at_5", "precision_at_10", "precision_at_25",
        "normalized_discounted_cumulative_gain_at_5", "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_at_25", "mean_reciprocal_rank_at_25", "coverage",
        "seconds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  // Every list is shorter than 5, so the top 5, 10 and 25 are the same lists.
  // u0 {2, 4, 1, 5}: P@5 = 2/5; u1 {4, 5, 0}: 1/5.
  EXPECT_NEAR(j["precision_at_5"].get<double>(), 0.3, kEps);
  EXPECT_NEAR(j["precision@10"].get<double>(), 0.15, kEps);
  EXPECT_NEAR(j["mean_reciprocal_rank_at_25"].get<double>(), 2.0 / 3, kEps);
  EXPECT_EQ(j["coverage"], j["coverage@25"]);
  EXPECT_EQ(j["normalized_discounted_cumulative_gain_at_10"], j["ndcg@10"]);

  // Without 25, "coverage" is at the largest k; names for missing k are left out.
  EvalOptions o;
  o.ks = {1, 3};
  ASSERT_OK_AND_ASSIGN(EvalReport small, Evaluate(model, split, o));
  const nlohmann::json s = small.ToJson();
  EXPECT_EQ(s["coverage"], s["coverage@3"]);
  EXPECT_FALSE(s.contains("precision_at_5"));
  EXPECT_FALSE(s.contains("mean_reciprocal_rank_at_25"));
}

// 300 users x 40 items with pseudo-random history and scores.
struct RandomCase {
  Split split;
  std::unique_ptr<TableModel> model;
};

RandomCase MakeRandomCase() {
  constexpr int kUsers = 300, kItems = 40;
  DatasetBuilder b;
  for (int i = 0; i < kItems; ++i) b.AddItem("i" + std::to_string(i));
  RandomCase c;
  std::vector<std::vector<float>> table(kUsers, std::vector<float>(kItems));
  std::vector<std::vector<ItemIndex>> test(kUsers);
  std::mt19937_64 rng(5);
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = "u" + std::to_string(u);
    b.AddUser(user);
    for (int i = 0; i < kItems; ++i) {
      const uint64_t r = UniformBelow(rng, 10);
      if (r == 0) b.AddPair(user, "i" + std::to_string(i), 1.0f, 1, 1);
      if (r == 1) test[u].push_back(i);
      table[u][i] = static_cast<float>(UniformBelow(rng, 1000));
    }
  }
  c.split.train = std::move(b).Build();
  c.split.test = std::move(test);
  c.model = std::make_unique<TableModel>(std::move(table), kItems);
  return c;
}

nlohmann::json WithoutTime(nlohmann::json j) {
  j.erase("seconds");
  return j;
}

TEST(EvaluateTest, IndependentOfThreadCount) {
  const RandomCase c = MakeRandomCase();
  EvalOptions o;
  o.batch_size = 16;
  o.threads = 1;
  ASSERT_OK_AND_ASSIGN(EvalReport one, Evaluate(*c.model, c.split, o));
  o.threads = 4;
  ASSERT_OK_AND_ASSIGN(EvalReport four, Evaluate(*c.model, c.split, o));
  EXPECT_GT(one.users, 200u);
  EXPECT_EQ(WithoutTime(one.ToJson()), WithoutTime(four.ToJson()));
}

TEST(EvaluateTest, MaxUsersPicksANestedDeterministicSample) {
  const RandomCase c = MakeRandomCase();
  EvalOptions o;
  o.max_users = 50;
  ASSERT_OK_AND_ASSIGN(EvalReport a, Evaluate(*c.model, c.split, o));
  ASSERT_OK_AND_ASSIGN(EvalReport b, Evaluate(*c.model, c.split, o));
  EXPECT_EQ(a.users, 50u);
  EXPECT_EQ(WithoutTime(a.ToJson()), WithoutTime(b.ToJson()));
  o.sample_seed = 7;
  ASSERT_OK_AND_ASSIGN(EvalReport other, Evaluate(*c.model, c.split, o));
  EXPECT_EQ(other.users, 50u);
  EXPECT_NE(WithoutTime(a.ToJson()), WithoutTime(other.ToJson()));
}

TEST(EvaluateTest, RejectsMismatchedInputs) {
  const Split split = HandSplit();
  const TableModel wrong({}, 5);
  EXPECT_THAT(Evaluate(wrong, split, EvalOptions{}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("model scores 5 items")));
  const TableModel model = HandModel();
  EvalOptions o;
  o.ks = {};
  EXPECT_THAT(Evaluate(model, split, o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("k >= 1")));
  o.ks = {0, 5};
  EXPECT_THAT(Evaluate(model, split, o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("k >= 1")));
  Split short_test = HandSplit();
  short_test.test.pop_back();
  EXPECT_THAT(Evaluate(model, short_test, EvalOptions{}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("one row per training user")));
}

}  // namespace
}  // namespace recmart::eval
