// What the engine's conformance suite does not check for "als": parameter
// errors, the objective going down (for every penalty scale), the frequency
// penalty's effect, the per-user confidence scale, fold-in agreeing with
// trained factors, batch scoring agreeing with single scoring, progress and
// cancellation.
#include "recmart/models/als/als.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>

#include "recmart/common/testing.h"
#include "recmart/models/dataset.h"

namespace recmart::models {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

// Three groups of 30 users, each using 6 of its group's 15 items, plus a few
// cross-group interactions; weights 1..3.
Dataset GroupData() {
  DatasetBuilder b;
  std::mt19937_64 rng(11);
  for (int g = 0; g < 3; ++g) {
    for (int u = 0; u < 30; ++u) {
      const std::string user = "u" + std::to_string(g) + "_" + std::to_string(u);
      for (int k = 0; k < 6; ++k) {
        const int item = static_cast<int>(rng() % 15);
        b.AddPair(user, "i" + std::to_string(g) + "_" + std::to_string(item),
                  1.0f + static_cast<float>(rng() % 3));
      }
      if (u % 5 == 0) b.AddPair(user, "i" + std::to_string((g + 1) % 3) + "_0", 1.0f);
    }
  }
  return std::move(b).Build();
}

std::unique_ptr<Model> Fit(const Dataset& d, const nlohmann::json& params,
                           const TrainContext& ctx = {}) {
  StatusOr<std::unique_ptr<Model>> m = NewAlsModel(params);
  EXPECT_OK(m.status());
  EXPECT_OK((*m)->Fit(d, ctx));
  return std::move(m).value();
}

TEST(AlsTest, RejectsBadParamsNamingTheKey) {
  EXPECT_THAT(NewAlsModel({{"factors", 0}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("als: factors: expected an integer in [1, 1024], got 0")));
  EXPECT_THAT(NewAlsModel({{"confidence", "sqrt"}}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("als: confidence: expected one of linear|log")));
  EXPECT_THAT(NewAlsModel({{"alpha", -1}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("als: alpha: expected a number")));
  EXPECT_THAT(NewAlsModel({{"factor", 8}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("factor: unknown parameter")));
  EXPECT_THAT(
      NewAlsModel({{"user_confidence_exponent", -3}}).status(),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("als: user_confidence_exponent: expected a number in [-2.0, 2.0]")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> m, NewAlsModel(nullptr));
  EXPECT_EQ(m->params()["factors"], 64);
  EXPECT_EQ(m->params()["confidence"], "linear");
  EXPECT_EQ(m->params()["user_confidence_exponent"], 0.0);
}

// Two groups of users with histories of 2 to 24 items among their group's 30
// items (every user's items distinct), weights 1..2.
Dataset UnevenData() {
  DatasetBuilder b;
  std::mt19937_64 rng(5);
  for (int g = 0; g < 2; ++g) {
    for (int u = 0; u < 40; ++u) {
      const std::string user = "u" + std::to_string(g) + "_" + std::to_string(u);
      const int n = 2 + u % 23;
      const int first = static_cast<int>(rng() % 30);
      for (int k = 0; k < n; ++k) {
        b.AddPair(user, "i" + std::to_string(g) + "_" + std::to_string((first + k) % 30),
                  1.0f + static_cast<float>(rng() % 2));
      }
    }
  }
  return std::move(b).Build();
}

TEST(AlsTest, RejectsDataWithoutInteractions) {
  DatasetBuilder b;
  b.AddUser("u");
  b.AddItem("i");
  Dataset d = std::move(b).Build();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> m, NewAlsModel(nullptr));
  EXPECT_THAT(m->Fit(d, {}), StatusIs(StatusCode::kInvalidArgument,
                                      HasSubstr("als: the data has no interactions")));
}

// Each regularization_scale with a penalty of similar size on GroupData (a
// user row sums over 45 items plus ~6 x alpha x 2 of confidence excess).
const nlohmann::json kScales[] = {
    {{"regularization_scale", "constant"}, {"regularization", 0.5}},
    {{"regularization_scale", "count"}, {"regularization", 0.1}},
    {{"regularization_scale", "frequency"}, {"regularization", 0.005}},
    {{"regularization_scale", "frequency"},
     {"regularization", 0.07},
     {"regularization_exponent", 0.5}},
};

// The loss is AlsTrainingLoss's objective with each row's own penalty, so it
// only goes down if training and the loss agree on every row's lambda.
TEST(AlsTest, LossGoesDownEveryIteration) {
  const Dataset d = GroupData();
  for (const nlohmann::json& scale : kScales) {
    double previous = INFINITY;
    for (int it = 1; it <= 6; ++it) {
      nlohmann::json params = {{"factors", 8}, {"iterations", it}, {"alpha", 5}};
      params.update(scale);
      std::unique_ptr<Model> m = Fit(d, params);
      ASSERT_OK_AND_ASSIGN(double loss, AlsTrainingLoss(*m, d));
      EXPECT_LE(loss, previous * (1 + 1e-5)) << "iteration " << it << " " << scale.dump();
      previous = loss;
    }
    // Far below the loss of all-zero factors (every observed pair misses by 1).
    double zero = 0.0;
    for (float v : d.matrix.values) zero += 1.0 + 5.0 * v;
    EXPECT_LT(previous, 0.5 * zero) << scale.dump();
  }
}

// The largest |score| of user 0.
double MaxScore(const Model& m, const Dataset& d) {
  std::vector<float> s(m.num_items());
  m.ScoreUser({0, d.matrix.RowIndices(0), d.matrix.RowValues(0), true}, s);
  double top = 0.0;
  for (float v : s) top = std::max(top, double{std::fabs(v)});
  return top;
}

// The objective of AlsTrainingLoss scales each user's confidences the way
// training does, so it goes down with the user scale too (on data whose
// histories differ in length, where the scale is not 1).
TEST(AlsTest, LossGoesDownWithTheUserConfidenceScale) {
  const Dataset d = UnevenData();
  for (double g : {-0.5, 0.5}) {
    double previous = INFINITY;
    for (int it = 1; it <= 6; ++it) {
      std::unique_ptr<Model> m = Fit(d, {{"factors", 8},
                                         {"iterations", it},
                                         {"alpha", 5},
                                         {"regularization", 0.5},
                                         {"user_confidence_exponent", g}});
      ASSERT_OK_AND_ASSIGN(double loss, AlsTrainingLoss(*m, d));
      EXPECT_LE(loss, previous * (1 + 1e-5)) << "iteration " << it << " exponent " << g;
      previous = loss;
    }
  }
}

// The scale is normalised to mean 1 over the interactions: when every user
// has as many interactions, it is 1 for all and changes nothing.
TEST(AlsTest, TheUserConfidenceScaleIsNeutralForEqualHistories) {
  DatasetBuilder b;
  for (int u = 0; u < 30; ++u) {
    for (int k = 0; k < 5; ++k) {
      b.AddPair("u" + std::to_string(u), "i" + std::to_string((u * 3 + k * 7) % 40), 1.0f);
    }
  }
  const Dataset d = std::move(b).Build();
  const nlohmann::json base = {{"factors", 8}, {"score_precision", "float32"}};
  nlohmann::json scaled = base;
  scaled["user_confidence_exponent"] = -0.5;
  std::unique_ptr<Model> a = Fit(d, base), c = Fit(d, scaled);
  for (UserIndex u = 0; u < d.users.size(); u += 4) {
    UserQuery q{u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true};
    std::vector<float> x(a->num_items()), y(a->num_items());
    a->ScoreUser(q, x);
    c->ScoreUser(q, y);
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-5f) << "user " << u;
  }
}

// A negative exponent takes weight from long histories: the longest
// history's interactions get less confidence than with exponent 0, so its
// user's scores of its own items come down, and the shortest's go up.
TEST(AlsTest, ANegativeExponentWeighsLongHistoriesLess) {
  const Dataset d = UnevenData();
  auto own_mean = [&](const Model& m, UserIndex u) {
    std::vector<float> s(m.num_items());
    m.ScoreUser({u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true}, s);
    double sum = 0.0;
    for (ItemIndex i : d.matrix.RowIndices(u)) sum += s[i];
    return sum / static_cast<double>(d.matrix.RowSize(u));
  };
  UserIndex longest = 0, shortest = 0;
  for (UserIndex u = 0; u < d.users.size(); ++u) {
    if (d.matrix.RowSize(u) > d.matrix.RowSize(longest)) longest = u;
    if (d.matrix.RowSize(u) < d.matrix.RowSize(shortest)) shortest = u;
  }
  const nlohmann::json base = {{"factors", 8}, {"iterations", 20}, {"regularization", 2.0}};
  nlohmann::json scaled = base;
  scaled["user_confidence_exponent"] = -1.0;
  std::unique_ptr<Model> plain = Fit(d, base), weighted = Fit(d, scaled);
  EXPECT_LT(own_mean(*weighted, longest), own_mean(*plain, longest));
  EXPECT_GT(own_mean(*weighted, shortest), own_mean(*plain, shortest));
}

TEST(AlsTest, TheFrequencyPenaltyGrowsWithTheRowsWeight) {
  const Dataset d = GroupData();
  auto fit = [&](const char* scale, double nu) {
    return Fit(d, {{"factors", 8},
                   {"regularization", 2.0},
                   {"regularization_scale", scale},
                   {"regularization_exponent", nu}});
  };
  // With nu = 0 every row gets `regularization`: the constant penalty.
  std::unique_ptr<Model> constant = fit("constant", 1.0), nu0 = fit("frequency", 0.0);
  ASSERT_OK_AND_ASSIGN(double a, AlsTrainingLoss(*constant, d));
  ASSERT_OK_AND_ASSIGN(double b, AlsTrainingLoss(*nu0, d));
  EXPECT_DOUBLE_EQ(a, b);
  // With nu = 1 a row's penalty is 2 x (45 or 90 + its excess), far above
  // 2: the scores shrink towards 0.
  std::unique_ptr<Model> nu1 = fit("frequency", 1.0);
  EXPECT_LT(MaxScore(*nu1, d), 0.5 * MaxScore(*constant, d));
}

void ExpectFoldInMatchesTraining(const Model& m, const Dataset& d) {
  const size_t n = m.num_items();
  for (UserIndex u = 0; u < d.users.size(); u += 7) {
    UserQuery q{u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true};
    std::vector<float> trained(n), folded(n);
    m.ScoreUser(q, trained);
    q.history_is_training = false;
    m.ScoreUser(q, folded);
    q.user = kUnknownIndex;
    std::vector<float> unknown(n);
    m.ScoreUser(q, unknown);
    EXPECT_EQ(folded, unknown) << "fold-in does not depend on the index";
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; ++i) {
      diff = std::max(diff, double{std::fabs(trained[i] - folded[i])});
      scale = std::max(scale, double{std::fabs(trained[i])});
    }
    EXPECT_LT(diff, 0.05 * scale) << "user " << u;
  }
}

// Fold-in solves a row with the same penalty as training did.
TEST(AlsTest, FoldInOfATrainingRowMatchesTheTrainedFactors) {
  const Dataset d = GroupData();
  ExpectFoldInMatchesTraining(*Fit(d, {{"factors", 8}, {"iterations", 20}}), d);
  ExpectFoldInMatchesTraining(*Fit(d, {{"factors", 8},
                                       {"iterations", 20},
                                       {"regularization_scale", "frequency"},
                                       {"regularization", 0.3}}),
                              d);
  const Dataset uneven = UnevenData();
  ExpectFoldInMatchesTraining(
      *Fit(uneven, {{"factors", 8}, {"iterations", 20}, {"user_confidence_exponent", -0.5}}),
      uneven);
}

// The user scale's normaliser is saved: a loaded model folds a history in
// exactly as the trained one does; without the exponent nothing is added.
TEST(AlsTest, SaveLoadKeepsTheUserConfidenceScale) {
  const Dataset d = UnevenData();
  for (double g : {0.0, -0.5}) {
    const nlohmann::json params = {
        {"factors", 8}, {"iterations", 5}, {"user_confidence_exponent", g}};
    std::unique_ptr<Model> m = Fit(d, params);
    ArrayWriter w;
    ASSERT_OK(m->Save(w));
    const std::string path =
        (std::filesystem::path(::testing::TempDir()) /
         ("recmart_als_" + std::to_string(::getpid()) + "_" + std::to_string(g < 0) + ".bin"))
            .string();
    ASSERT_OK_AND_ASSIGN(nlohmann::json index, w.WriteFile(path));
    EXPECT_EQ(index.contains("user_confidence_norm"), g != 0.0) << index.dump();
    ASSERT_OK_AND_ASSIGN(ArrayReader r, ArrayReader::Open(path, index));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> loaded, NewAlsModel(params));
    ASSERT_OK(loaded->Load(r));
    const std::vector<ItemIndex> live = {1, 4, 9, 12};
    const std::vector<float> live_w = {1, 2, 1, 1};
    const UserQuery q{kUnknownIndex, live, live_w, false};
    std::vector<float> a(m->num_items()), b(m->num_items());
    m->ScoreUser(q, a);
    loaded->ScoreUser(q, b);
    EXPECT_EQ(a, b) << "exponent " << g;
    std::filesystem::remove(path);
  }
}

// More users than one chunk of the Gram matrix's partial sums (8192 rows),
// so that two threads really split the work.
TEST(AlsTest, TheSameOnOneOrTwoThreads) {
  DatasetBuilder b;
  std::mt19937_64 rng(3);
  for (int u = 0; u < 9000; ++u) {
    for (int k = 0; k < 3; ++k) {
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(rng() % 300), 1.0f);
    }
  }
  const Dataset d = std::move(b).Build();
  std::vector<std::vector<float>> scores;
  for (int threads : {1, 2}) {
    TrainContext ctx;
    ctx.threads = threads;
    std::unique_ptr<Model> m = Fit(d, {{"factors", 16}, {"iterations", 2}}, ctx);
    std::vector<UserQuery> q;
    for (UserIndex u = 0; u < d.users.size(); u += 97) {
      q.push_back({u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true});
    }
    std::vector<float> s(q.size() * m->num_items());
    m->ScoreUsers(q, s);
    std::vector<float> related(m->num_items());
    ASSERT_TRUE(m->ScoreRelated(7, related));
    s.insert(s.end(), related.begin(), related.end());
    scores.push_back(std::move(s));
  }
  EXPECT_TRUE(scores[0] == scores[1]);
}

TEST(AlsTest, BatchScoresEqualSingleScores) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> m = Fit(d, {{"factors", 20}, {"iterations", 5}});
  const size_t n = m->num_items();
  const std::vector<ItemIndex> live = {1, 4, 9};
  const std::vector<float> live_w = {1, 2, 1};
  std::vector<UserQuery> queries = {
      {0, d.matrix.RowIndices(0), d.matrix.RowValues(0), true},
      {kUnknownIndex, live, live_w, false},
      {},  // nobody: all zeros
      {5, d.matrix.RowIndices(5), d.matrix.RowValues(5), true},
  };
  std::vector<float> batch(queries.size() * n);
  m->ScoreUsers(queries, batch);
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<float> one(n);
    m->ScoreUser(queries[q], one);
    // Bit-identical: every score is summed in the same order in a batch.
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(batch[q * n + i], one[i]) << "query " << q;
  }
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(batch[2 * n + i], 0.0f);
}

// "auto" may multiply bfloat16-rounded factors (AVX512-BF16); the scores
// stay within a percent of the float32 ones (the factors are the same).
TEST(AlsTest, FastScoresAreCloseToExactOnes) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> fast = Fit(d, {{"factors", 32}, {"regularization", 1}});
  std::unique_ptr<Model> exact =
      Fit(d, {{"factors", 32}, {"regularization", 1}, {"score_precision", "float32"}});
  const size_t n = fast->num_items();
  for (UserIndex u = 0; u < d.users.size(); u += 5) {
    UserQuery q{u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true};
    std::vector<float> a(n), b(n);
    fast->ScoreUser(q, a);
    exact->ScoreUser(q, b);
    float scale = 0.0f;
    for (float x : b) scale = std::max(scale, std::fabs(x));
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], 0.01f * scale) << "user " << u;
  }
}

// Widths that are not a multiple of 16, and one past the unrolled kernels.
TEST(AlsTest, AnyNumberOfFactorsWorks) {
  const Dataset d = GroupData();
  for (int factors : {1, 20, 130}) {
    std::unique_ptr<Model> m =
        Fit(d, {{"factors", factors}, {"iterations", 4}, {"regularization", 1}});
    ASSERT_OK_AND_ASSIGN(double loss, AlsTrainingLoss(*m, d));
    EXPECT_TRUE(std::isfinite(loss)) << factors;
    std::vector<float> s(m->num_items()), related(m->num_items());
    m->ScoreUser({0, d.matrix.RowIndices(0), d.matrix.RowValues(0), true}, s);
    ASSERT_TRUE(m->ScoreRelated(2, related));
    for (size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(std::isfinite(s[i]) && std::isfinite(related[i])) << factors;
    }
    EXPECT_NEAR(related[2], 1.0f, 1e-2f) << factors;
  }
}

TEST(AlsTest, RelatedItemsAreCosinesWithSelfFirst) {
  const Dataset d = GroupData();
  std::unique_ptr<Model> m = Fit(d, {{"factors", 8}, {"score_precision", "float32"}});
  std::vector<float> s(m->num_items());
  ASSERT_TRUE(m->ScoreRelated(3, s));
  EXPECT_NEAR(s[3], 1.0f, 1e-5f);
  for (float x : s) EXPECT_LE(x, 1.0f + 1e-5f);
}

TEST(AlsTest, ReportsProgressAndStopsWhenCancelled) {
  const Dataset d = GroupData();
  std::vector<double> fractions;
  TrainContext ctx;
  ctx.progress = [&](std::string_view stage, double f) {
    EXPECT_EQ(stage, "als");
    fractions.push_back(f);
  };
  Fit(d, {{"factors", 8}, {"iterations", 4}}, ctx);
  EXPECT_THAT(fractions, ::testing::ElementsAre(0.25, 0.5, 0.75, 1.0));

  std::atomic<bool> cancel{true};
  ctx.cancel = &cancel;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Model> m, NewAlsModel({{"factors", 8}}));
  EXPECT_THAT(m->Fit(d, ctx), StatusIs(StatusCode::kCancelled, HasSubstr("als")));
}

TEST(AlsTest, TrainingLossNeedsAnAlsModel) {
  class Other : public Model {
   public:
    std::string_view recipe() const override { return "other"; }
    nlohmann::json params() const override { return {}; }
    Status Fit(const Dataset&, const TrainContext&) override { return Status::OK(); }
    uint32_t num_items() const override { return 0; }
    void ScoreUser(const UserQuery&, std::span<float>) const override {}
    Status Save(ArrayWriter&) const override { return Status::OK(); }
    Status Load(const ArrayReader&) override { return Status::OK(); }
  };
  EXPECT_THAT(AlsTrainingLoss(Other(), GroupData()).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("other model, not als")));
}

}  // namespace
}  // namespace recmart::models
