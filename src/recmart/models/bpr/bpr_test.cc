// What the engine's conformance suite does not check for "bpr": parameter
// errors, that training ranks positives above the rest, fold-in, the item
// bias, progress and cancellation.
#include "recmart/models/bpr/bpr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "recmart/common/testing.h"
#include "recmart/models/dataset.h"

namespace recmart::models {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

// Three groups of 30 users, each using 6 of its group's 15 items.
Dataset GroupData() {
  DatasetBuilder b;
  std::mt19937_64 rng(5);
  for (int g = 0; g < 3; ++g) {
    for (int u = 0; u < 30; ++u) {
      const std::string user = "u" + std::to_string(g) + "_" + std::to_string(u);
      for (int k = 0; k < 6; ++k) {
        b.AddPair(user, "i" + std::to_string(g) + "_" + std::to_string(rng() % 15), 1.0f);
      }
    }
  }
  return std::move(b).Build();
}

int Group(const Dataset& d, ItemIndex i) { return d.items.name(i)[1] - '0'; }

// The defaults are tuned for real data; the tiny groups need bigger steps,
// and hard negatives there are mostly the unseen items of the user's own
// group (the right answers), so classic sampling.
nlohmann::json Small(nlohmann::json params) {
  if (!params.contains("factors")) params["factors"] = 8;
  if (!params.contains("learning_rate")) params["learning_rate"] = 0.05;
  if (!params.contains("negative_candidates")) params["negative_candidates"] = 1;
  return params;
}

std::unique_ptr<Model> Fit(const Dataset& d, const nlohmann::json& params,
                           const TrainContext& ctx = {}) {
  StatusOr<std::unique_ptr<Model>> m = NewBprModel(Small(params));
  EXPECT_OK(m.status());
  EXPECT_OK((*m)->Fit(d, ctx));
  return std::move(m).value();
}

TEST(BprTest, RejectsBadParamsNamingTheKey) {
  EXPECT_THAT(NewBprModel({{"learning_rate", 0}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("bpr: learning_rate: expected a number in [1e-06, 10.0]")));
  EXPECT_THAT(NewBprModel({{"blocks", -1}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("bpr: blocks: expected an integer in [0, 256], got -1")));
  EXPECT_THAT(NewBprModel({{"negative_candidates", 9}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("bpr: negative_candidates: expected an integer in [1, 8]")));
  EXPECT_THAT(
      NewBprModel({{"item_bias", "yes"}}).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("bpr: item_bias: expected true or false")));
  EXPECT_THAT(NewBprModel({{"epoch", 3}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("epoch: unknown parameter")));
}

TEST(BprTest, RejectsDataWithoutPositives) {
  DatasetBuilder b;
  b.AddPair("u", "i", -1.0f);
  b.AddItem("j");
  Dataset d = std::move(b).Build();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> m, NewBprModel(nullptr));
  EXPECT_THAT(m->Fit(d, {}), StatusIs(StatusCode::kInvalidArgument,
                                      HasSubstr("bpr: the data has no positive interactions")));
}

TEST(BprTest, RanksUsersOwnGroupFirst) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> m = Fit(d, {{"epochs", 60}, {"blocks", 1}});
  const size_t n = m->num_items();
  // Training AUC per user: own-group unseen items above other groups' items.
  double ordered = 0, pairs = 0;
  for (UserIndex u = 0; u < d.users.size(); ++u) {
    std::vector<float> s(n);
    m->ScoreUser({u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true}, s);
    const int g = d.users.name(u)[1] - '0';
    for (ItemIndex i = 0; i < n; ++i) {
      if (Group(d, i) != g) continue;
      for (ItemIndex j = 0; j < n; ++j) {
        if (Group(d, j) == g) continue;
        ordered += s[i] > s[j];
        ++pairs;
      }
    }
  }
  EXPECT_GT(ordered / pairs, 0.95);
}

TEST(BprTest, FoldInFollowsTheHistoryAndIsRepeatable) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> m = Fit(d, {{"epochs", 60}, {"blocks", 1}});
  const size_t n = m->num_items();
  for (int g = 0; g < 3; ++g) {
    std::vector<ItemIndex> history;
    for (int k : {1, 3, 5, 7}) {
      ItemIndex i = d.items.Find("i" + std::to_string(g) + "_" + std::to_string(k));
      if (i != kUnknownIndex) history.push_back(i);
    }
    std::sort(history.begin(), history.end());
    const std::vector<float> weights(history.size(), 1.0f);
    std::vector<float> s(n), again(n);
    m->ScoreUser({kUnknownIndex, history, weights, false}, s);
    m->ScoreUser({kUnknownIndex, history, weights, false}, again);
    EXPECT_EQ(s, again);
    double own = 0, other = 0;
    for (ItemIndex i = 0; i < n; ++i) (Group(d, i) == g ? own : other) += s[i];
    EXPECT_GT(own / 15, other / 30 + 0.5) << "group " << g;
  }
}

// The conformance suite's data is small enough for one block; this runs the
// stratified schedule proper: 3 x 3 strata, two of them at a time.
TEST(BprTest, StratifiedTrainingIsTheSameOnOneOrTwoThreads) {
  const Dataset d = GroupData();
  std::vector<std::vector<float>> scores;
  for (int threads : {1, 2, 2}) {
    TrainContext ctx;
    ctx.threads = threads;
    std::unique_ptr<Model> m =
        Fit(d, {{"epochs", 10}, {"blocks", 3}, {"negative_candidates", 3}}, ctx);
    std::vector<float> s(d.users.size() * m->num_items());
    std::vector<UserQuery> q;
    for (UserIndex u = 0; u < d.users.size(); ++u) {
      q.push_back({u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true});
    }
    m->ScoreUsers(q, s);
    scores.push_back(std::move(s));
  }
  EXPECT_TRUE(scores[0] == scores[1]) << "1 and 2 threads differ";
  EXPECT_TRUE(scores[1] == scores[2]) << "two runs differ";
}

// Widths that are not a multiple of 16, and one past the unrolled kernels.
TEST(BprTest, AnyNumberOfFactorsWorks) {
  const Dataset d = GroupData();
  for (int factors : {1, 20, 130}) {
    std::unique_ptr<Model> m = Fit(d, {{"factors", factors}, {"epochs", 5}});
    std::vector<float> s(m->num_items()), folded(m->num_items());
    m->ScoreUser({0, d.matrix.RowIndices(0), d.matrix.RowValues(0), true}, s);
    m->ScoreUser({kUnknownIndex, d.matrix.RowIndices(0), d.matrix.RowValues(0), false}, folded);
    for (size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(std::isfinite(s[i]) && std::isfinite(folded[i])) << factors;
    }
  }
}

TEST(BprTest, WithoutHistoryScoresAreTheItemBias) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> with = Fit(d, {{"epochs", 5}});
  std::unique_ptr<Model> without = Fit(d, {{"epochs", 5}, {"item_bias", false}});
  std::vector<float> s(with->num_items());
  with->ScoreUser({}, s);
  EXPECT_TRUE(std::any_of(s.begin(), s.end(), [](float x) { return x != 0.0f; }));
  without->ScoreUser({}, s);
  EXPECT_TRUE(std::all_of(s.begin(), s.end(), [](float x) { return x == 0.0f; }));
}

TEST(BprTest, ReportsProgressAndStopsWhenCancelled) {
  const Dataset d = GroupData();
  std::vector<double> fractions;
  TrainContext ctx;
  ctx.progress = [&](std::string_view stage, double f) {
    EXPECT_EQ(stage, "bpr");
    fractions.push_back(f);
  };
  Fit(d, {{"epochs", 4}}, ctx);
  EXPECT_THAT(fractions, ::testing::ElementsAre(0.25, 0.5, 0.75, 1.0));

  std::atomic<bool> cancel{true};
  ctx.cancel = &cancel;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> m, NewBprModel({{"factors", 8}}));
  EXPECT_THAT(m->Fit(d, ctx), StatusIs(StatusCode::kCancelled, HasSubstr("bpr")));
}

}  // namespace
}  // namespace recmart::models
