// What the conformance suite does not check: B against a hand-solved case,
// the zero diagonal, precision, confidences, the max_items refusal and the
// sequence-weighted Gram (against a brute-force reference).
#include "recmart/models/ease/ease.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include "recmart/common/testing.h"
#include "recmart/models/dataset.h"

namespace recmart::models {
namespace {

using nlohmann::json;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

std::unique_ptr<Model> FitOrDie(const Dataset& data, const json& params, int threads = 1) {
  StatusOr<std::unique_ptr<Model>> m = NewEaseModel(params);
  EXPECT_OK(m.status());
  if (!m.ok()) std::abort();
  TrainContext ctx;
  ctx.threads = threads;
  Status s = (*m)->Fit(data, ctx);
  EXPECT_OK(s);
  if (!s.ok()) std::abort();
  return std::move(m).value();
}

// Row `i` of B.
std::vector<float> Row(const Model& m, ItemIndex i) {
  std::vector<float> out(m.num_items(), -1.0f);
  if (!m.ScoreRelated(i, out)) std::fill(out.begin(), out.end(), 0.0f);
  return out;
}

// Users u1 {0,1}, u2 {0,1,2}, u3 {1,2}; confidence `c` on u1's item 0.
Dataset ThreeItems(float c = 1.0f) {
  DatasetBuilder b;
  b.AddPair("u1", "i0", c);
  b.AddPair("u1", "i1", 1.0f);
  b.AddPair("u2", "i0", 1.0f);
  b.AddPair("u2", "i1", 1.0f);
  b.AddPair("u2", "i2", 1.0f);
  b.AddPair("u3", "i1", 1.0f);
  b.AddPair("u3", "i2", 1.0f);
  return std::move(b).Build();
}

// X^T X = [[2,2,1],[2,3,2],[1,2,2]]; with lambda = 1,
// A = [[3,2,1],[2,4,2],[1,2,3]], det A = 3*8 - 2*4 + 1*0 = 16 and
// P = A^-1 = adj(A) / 16 = [[8,-4,0],[-4,8,-4],[0,-4,8]] / 16
//   = [[.5,-.25,0],[-.25,.5,-.25],[0,-.25,.5]]   (A * P = I, checked by hand).
// B_ij = -P_ij / P_jj: B_01 = .25/.5 = .5, B_02 = 0, B_10 = .5, B_12 = .5,
// B_20 = 0, B_21 = .5; the diagonal is 0.
TEST(EaseTest, MatchesTheClosedFormOnThreeItems) {
  Dataset d = ThreeItems();
  for (const char* precision : {"double", "float"})
    for (const char* solver : {"items", "users"}) {
      SCOPED_TRACE(std::string(precision) + " " + solver);
      auto m = FitOrDie(d, {{"lambda", 1.0}, {"precision", precision}, {"solver", solver}});
      ASSERT_EQ(m->num_items(), 3u);
      const float expected[3][3] = {{0, 0.5f, 0}, {0.5f, 0, 0.5f}, {0, 0.5f, 0}};
      for (ItemIndex i = 0; i < 3; ++i) {
        std::vector<float> row = Row(*m, i);
        EXPECT_EQ(row[i], 0.0f) << "diagonal " << i;
        for (ItemIndex j = 0; j < 3; ++j) {
          EXPECT_NEAR(row[j], expected[i][j], 1e-6) << precision << " B[" << i << "][" << j << "]";
        }
      }
      // A user with history {i0, i2} scores row 0 + row 2.
      std::vector<ItemIndex> items = {0, 2};
      std::vector<float> weights = {5.0f, 5.0f}, out(3);
      m->ScoreUser({kUnknownIndex, items, weights, false}, out);
      EXPECT_NEAR(out[1], 1.0f, 1e-6) << "binarize ignores the weights";
      EXPECT_NEAR(out[0], 0.0f, 1e-6);
    }
}

// DLAE, dropout 0.5: item i is regularised by lambda + 1 x its count, so with
// lambda 1 and counts (2, 3, 2), A = [[5,2,1],[2,7,2],[1,2,5]], det A =
// 5*31 - 2*8 + 1*(-3) = 136; cofactors 31 (00), -8 (01), -3 (02), 24 (11), so
// B_01 = 8/24, B_10 = 8/31, B_02 = 3/31.
TEST(EaseTest, DropoutRegularisesPopularItemsMore) {
  for (const char* solver : {"items", "users"}) {
    auto m = FitOrDie(ThreeItems(), {{"lambda", 1.0}, {"dropout", 0.5}, {"solver", solver}});
    EXPECT_NEAR(Row(*m, 0)[1], 1.0 / 3.0, 1e-6) << solver;
    EXPECT_NEAR(Row(*m, 1)[0], 8.0 / 31.0, 1e-6) << solver;
    EXPECT_NEAR(Row(*m, 0)[2], 3.0 / 31.0, 1e-6) << solver;
  }
}

TEST(EaseTest, ConfidencesWhenNotBinarized) {
  // u1's item 0 counts 3: X^T X = [[10,4,1],[4,3,2],[1,2,2]], lambda 1:
  // A = [[11,4,1],[4,4,2],[1,2,3]], det = 11*8 - 4*10 + 1*4 = 52,
  // P_00 = 8/52, P_10 = -10/52, P_11 = 32/52, so B_01 = 10/32 = 0.3125 and
  // B_10 = 10/8 = 1.25.
  Dataset d = ThreeItems(3.0f);
  auto m = FitOrDie(d, {{"lambda", 1.0}, {"binarize", false}});
  EXPECT_NEAR(Row(*m, 0)[1], 0.3125f, 1e-6);
  EXPECT_NEAR(Row(*m, 1)[0], 1.25f, 1e-6);
  std::vector<ItemIndex> items = {0};
  std::vector<float> weights = {2.0f}, out(3);
  m->ScoreUser({kUnknownIndex, items, weights, false}, out);
  EXPECT_NEAR(out[1], 2 * 0.3125f, 1e-6);
}

TEST(EaseTest, BatchScoresEqualSingleScores) {
  Dataset d = ThreeItems();
  auto m = FitOrDie(d, {});
  std::vector<UserQuery> queries;
  for (UserIndex u = 0; u < d.users.size(); ++u) {
    queries.push_back({u, d.matrix.RowIndices(u), d.matrix.RowValues(u), true});
  }
  std::vector<float> batch(queries.size() * 3), one(3);
  m->ScoreUsers(queries, batch);
  for (size_t q = 0; q < queries.size(); ++q) {
    m->ScoreUser(queries[q], one);
    EXPECT_EQ(std::vector<float>(batch.begin() + q * 3, batch.begin() + q * 3 + 3), one);
  }
}

TEST(EaseTest, AnItemNoOneUsedHasNoRelatedItems) {
  DatasetBuilder b;
  b.AddPair("u1", "i0", 1.0f);
  b.AddPair("u1", "i1", 1.0f);
  b.AddItem("cold");
  Dataset d = std::move(b).Build();
  auto m = FitOrDie(d, {});
  std::vector<float> out(3);
  EXPECT_FALSE(m->ScoreRelated(d.items.Find("cold"), out));
  EXPECT_TRUE(m->ScoreRelated(d.items.Find("i0"), out));
  EXPECT_GT(out[d.items.Find("i1")], 0.0f);
  EXPECT_EQ(out[d.items.Find("cold")], 0.0f);
}

TEST(EaseTest, DataWithoutInteractionsScoresZero) {
  DatasetBuilder b;
  b.AddItem("i0");
  b.AddItem("i1");
  Dataset d = std::move(b).Build();
  for (const char* solver : {"items", "users"}) {
    auto m = FitOrDie(d, {{"solver", solver}});
    std::vector<ItemIndex> items = {0};
    std::vector<float> out(2, -1.0f);
    m->ScoreUser({kUnknownIndex, items, {}, false}, out);
    EXPECT_EQ(out, std::vector<float>({0.0f, 0.0f})) << solver;
    EXPECT_FALSE(m->ScoreRelated(0, out)) << solver;
  }
}

TEST(EaseTest, RefusesMoreItemsThanMaxItems) {
  ASSERT_OK_AND_ASSIGN(auto m, NewEaseModel({{"max_items", 2}}));
  EXPECT_THAT(m->Fit(ThreeItems(), TrainContext{}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("ease: 3 items, max_items is 2 (about 0.0 GB")));
  EXPECT_THAT(NewEaseModel({{"lambda", -1}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ease: lambda")));
}

TEST(EaseTest, BothSolversAndThreadCountsAgree) {
  // More items and users than one solve block (128 columns).
  DatasetBuilder b;
  for (int u = 0; u < 400; ++u) {
    for (int k = 0; k < 15; ++k) {
      int item = (u * 11 + k * k * 17) % 300;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1.0f);
    }
  }
  Dataset d = std::move(b).Build();
  auto items = FitOrDie(d, {{"solver", "items"}}, 2);
  for (const char* solver : {"items", "users"}) {
    auto one = FitOrDie(d, {{"solver", solver}}, 1), two = FitOrDie(d, {{"solver", solver}}, 2);
    for (ItemIndex i = 0; i < d.items.size(); ++i) {
      std::vector<float> x = Row(*one, i), y = Row(*two, i), z = Row(*items, i);
      ASSERT_EQ(x, y) << solver << " item " << i;
      for (size_t j = 0; j < x.size(); ++j) ASSERT_NEAR(x[j], z[j], 1e-5) << i << " " << j;
    }
  }
}

// Users with histories of 3-12 items out of 40, at times drawn from a few
// values each (so some interactions share a time), with confidences 1-3.
Dataset TimedData(uint64_t seed) {
  std::mt19937_64 rng(seed);
  DatasetBuilder b;
  for (int u = 0; u < 60; ++u) {
    const int n = 3 + static_cast<int>(rng() % 10);
    for (int k = 0; k < n; ++k) {
      const int64_t ts = 1000 + static_cast<int64_t>(rng() % 8) * 60;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(rng() % 40),
                1.0f + static_cast<float>(rng() % 3), ts, ts);
    }
  }
  return std::move(b).Build();
}

// B for `d` the slow way: every pair of every user weighted by
// exp(-|step difference| / window) (no cut), inverted by Eigen.
Eigen::MatrixXd ReferenceB(const Dataset& d, double window, double lambda, bool binarize) {
  const int n = static_cast<int>(d.items.size());
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
  for (UserIndex u = 0; u < d.users.size(); ++u) {
    std::vector<int64_t> times;
    for (int64_t e = d.matrix.indptr[u]; e < d.matrix.indptr[u + 1]; ++e) {
      times.push_back(d.first_ts[e]);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    auto step = [&](int64_t e) {
      return std::lower_bound(times.begin(), times.end(), d.first_ts[e]) - times.begin();
    };
    for (int64_t a = d.matrix.indptr[u]; a < d.matrix.indptr[u + 1]; ++a) {
      for (int64_t c = d.matrix.indptr[u]; c < d.matrix.indptr[u + 1]; ++c) {
        const double xa = binarize ? 1.0 : d.matrix.values[a];
        const double xc = binarize ? 1.0 : d.matrix.values[c];
        g(d.matrix.indices[a], d.matrix.indices[c]) +=
            xa * xc * std::exp(-std::abs(static_cast<double>(step(a) - step(c))) / window);
      }
    }
  }
  g.diagonal().array() += lambda;
  const Eigen::MatrixXd p = g.inverse();
  Eigen::MatrixXd bm(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) bm(i, j) = i == j ? 0.0 : -p(i, j) / p(j, j);
  }
  return bm;
}

TEST(EaseTest, SequenceWeightedGramMatchesABruteForceReference) {
  const Dataset d = TimedData(7);
  // Window 0.5: pairs more than 6 steps apart are cut, and histories have up
  // to 8 distinct times, so the cut is exercised (its weights are < 1e-6).
  for (double window : {0.5, 3.0}) {
    for (bool binarize : {true, false}) {
      SCOPED_TRACE("window " + std::to_string(window) + (binarize ? " binary" : " weighted"));
      auto m =
          FitOrDie(d, {{"lambda", 2.0}, {"sequence_window", window}, {"binarize", binarize}}, 2);
      const Eigen::MatrixXd expected = ReferenceB(d, window, 2.0, binarize);
      for (ItemIndex i = 0; i < d.items.size(); ++i) {
        const std::vector<float> row = Row(*m, i);
        for (ItemIndex j = 0; j < d.items.size(); ++j) {
          ASSERT_NEAR(row[j], expected(i, j), 1e-5) << "B[" << i << "][" << j << "]";
        }
      }
    }
  }
}

TEST(EaseTest, SequenceWeightingWithoutDistinctTimesIsPlainEase) {
  // ThreeItems has every time 0; the same data at one common time too.
  DatasetBuilder b;
  for (const char* u : {"u1", "u2"}) b.AddPair(u, "i0", 1.0f, 500, 500);
  b.AddPair("u1", "i1", 1.0f, 500, 500);
  b.AddPair("u2", "i2", 1.0f, 500, 500);
  b.AddPair("u3", "i1", 1.0f, 500, 500);
  b.AddPair("u3", "i2", 1.0f, 500, 500);
  for (const Dataset& d : {ThreeItems(), std::move(b).Build()}) {
    auto plain = FitOrDie(d, {{"lambda", 1.0}, {"sequence_window", 0}, {"solver", "items"}});
    auto weighted = FitOrDie(d, {{"lambda", 1.0}, {"solver", "users"}});
    for (ItemIndex i = 0; i < d.items.size(); ++i) {
      const std::vector<float> x = Row(*plain, i), y = Row(*weighted, i);
      for (size_t j = 0; j < x.size(); ++j) EXPECT_NEAR(x[j], y[j], 1e-6) << i << " " << j;
    }
  }
}

TEST(EaseTest, SequenceWeightingRelatesItemsTakenUpTogether) {
  // Every user has items a, b and c and 20 fillers: a first, b right after
  // it, then the fillers, then c. Co-occurrence alone cannot tell b from c
  // (both are with a in every history); the order can.
  DatasetBuilder bld;
  for (int u = 0; u < 40; ++u) {
    const std::string user = "u" + std::to_string(u);
    bld.AddPair(user, "a", 1.0f, 0, 0);
    bld.AddPair(user, "b", 1.0f, 1, 1);
    for (int k = 0; k < 20; ++k) {
      bld.AddPair(user, "f" + std::to_string((u + k) % 30), 1.0f, 10 + k, 10 + k);
    }
    bld.AddPair(user, "c", 1.0f, 100, 100);
  }
  const Dataset d = std::move(bld).Build();
  const ItemIndex a = d.items.Find("a"), b = d.items.Find("b"), c = d.items.Find("c");
  auto plain = FitOrDie(d, {{"lambda", 5.0}, {"sequence_window", 0}});
  auto weighted = FitOrDie(d, {{"lambda", 5.0}, {"sequence_window", 3}});
  EXPECT_NEAR(Row(*plain, a)[b], Row(*plain, a)[c], 1e-5);
  EXPECT_GT(Row(*weighted, a)[b], Row(*weighted, a)[c] + 0.1f)
      << "b, taken up right after a, is what a predicts; c, 21 steps later, much less";
}

TEST(EaseTest, SequenceWeightingRefusesTheUsersSolverOnTimedData) {
  ASSERT_OK_AND_ASSIGN(auto m, NewEaseModel({{"solver", "users"}}));
  EXPECT_THAT(m->Fit(TimedData(1), TrainContext{}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("solver \"users\" cannot invert the sequence-weighted Gram")));
  ASSERT_OK_AND_ASSIGN(m, NewEaseModel({{"solver", "users"}, {"sequence_window", 0}}));
  EXPECT_OK(m->Fit(TimedData(1), TrainContext{}));
}

TEST(EaseTest, SequenceWeightingDoesNotDependOnThreads) {
  // More items than one Gram chunk (32 columns) and one solve block (128).
  DatasetBuilder b;
  for (int u = 0; u < 300; ++u) {
    for (int k = 0; k < 25; ++k) {
      const int item = (u * 11 + k * k * 17) % 200;
      const int64_t t = (u * 7 + k * 13) % 40;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1.0f, t, t);
    }
  }
  const Dataset d = std::move(b).Build();
  auto one = FitOrDie(d, {}, 1), three = FitOrDie(d, {}, 3);
  for (ItemIndex i = 0; i < d.items.size(); ++i) ASSERT_EQ(Row(*one, i), Row(*three, i)) << i;
}

}  // namespace
}  // namespace recmart::models
