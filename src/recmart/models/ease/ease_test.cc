// What the conformance suite does not check: B against a hand-solved case,
// the zero diagonal, precision, confidences and the max_items refusal.
#include "recmart/models/ease/ease.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace recmart::models
