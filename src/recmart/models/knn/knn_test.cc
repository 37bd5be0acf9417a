// What the conformance suite does not check: each similarity formula on a
// hand-computed example, session vs user baskets, sources, time decay and the
// basket cap. The planted answer, determinism and save/load are checked for
// every recipe in engine/conformance_test.cc.
#include "recmart/models/knn/knn.h"

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

constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kDay = 86400;

std::unique_ptr<Model> FitOrDie(const Dataset& data, const json& params, int threads = 1) {
  StatusOr<std::unique_ptr<Model>> m = NewItemKnnModel(params);
  EXPECT_OK(m.status());
  if (!m.ok()) std::abort();
  TrainContext ctx;
  ctx.threads = threads;
  Status s = (*m)->Fit(data, ctx);
  EXPECT_OK(s);
  if (!s.ok()) std::abort();
  return std::move(m).value();
}

// Similarity of `a` to `b` (0 when b is not among a's neighbours).
float Sim(const Model& m, const Dataset& d, const std::string& a, const std::string& b) {
  std::vector<float> out(m.num_items());
  if (!m.ScoreRelated(d.items.Find(a), out)) return 0.0f;
  return out[d.items.Find(b)];
}

// Baskets (users): u1 {A,B}  u2 {A,B,C}  u3 {A,C}  u4 {B,D}.
// Counts n_A = 3, n_B = 3, n_C = 2, n_D = 1; co-occurrences AB = 2, AC = 2,
// BC = 1, BD = 1, AD = CD = 0; 4 baskets. Plain counts need
// basket_size_penalty 0 (Counts()).
Dataset FourBaskets() {
  DatasetBuilder b;
  for (const auto& [user, items] : std::vector<std::pair<std::string, std::string>>{
           {"u1", "AB"}, {"u2", "ABC"}, {"u3", "AC"}, {"u4", "BD"}}) {
    for (char item : items) b.AddPair(user, std::string(1, item), 1.0f, kNow, kNow);
  }
  return std::move(b).Build();
}

// Params with every basket weighing the same, plus `extra`.
json Counts(json extra) {
  extra["basket_size_penalty"] = 0;
  return extra;
}

TEST(ItemKnnTest, CosineMatchesHandComputedValues) {
  Dataset d = FourBaskets();
  auto m =
      FitOrDie(d, Counts({{"similarity", "cosine"}, {"shrinkage", 0}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 2.0 / 3.0, 1e-6);             // 2 / sqrt(3 * 3)
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 2.0 / std::sqrt(6.0), 1e-6);  // 2 / sqrt(3 * 2) = 0.8165
  EXPECT_NEAR(Sim(*m, d, "C", "B"), 1.0 / std::sqrt(6.0), 1e-6);  // 1 / sqrt(2 * 3) = 0.4082
  EXPECT_NEAR(Sim(*m, d, "D", "B"), 1.0 / std::sqrt(3.0), 1e-6);  // 1 / sqrt(1 * 3) = 0.5774
  EXPECT_EQ(Sim(*m, d, "A", "D"), 0.0f);
  EXPECT_EQ(Sim(*m, d, "A", "A"), 0.0f);  // an item is not its own neighbour

  // Shrinkage 1 keeps k / (k + 1) of a pair seen in k baskets: 2/3 * 2/3.
  m = FitOrDie(d, Counts({{"shrinkage", 1}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 4.0 / 9.0, 1e-6);
  EXPECT_NEAR(Sim(*m, d, "D", "B"), 1.0 / std::sqrt(3.0) / 2.0, 1e-6);  // k = 1: halved

  // Asymmetric, alpha = 0.75: A->C = 2 / (3^0.75 * 2^0.25) = 0.7378 and
  // C->A = 2 / (2^0.75 * 3^0.25) = 0.9036.
  m = FitOrDie(d, Counts({{"alpha", 0.75}, {"shrinkage", 0}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 2.0 / (std::pow(3.0, 0.75) * std::pow(2.0, 0.25)), 1e-6);
  EXPECT_NEAR(Sim(*m, d, "C", "A"), 2.0 / (std::pow(2.0, 0.75) * std::pow(3.0, 0.25)), 1e-6);
}

TEST(ItemKnnTest, JaccardMatchesHandComputedValues) {
  Dataset d = FourBaskets();
  auto m =
      FitOrDie(d, Counts({{"similarity", "jaccard"}, {"shrinkage", 0}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 0.5, 1e-6);        // 2 / (3 + 3 - 2)
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 2.0 / 3.0, 1e-6);  // 2 / (3 + 2 - 2)
  EXPECT_NEAR(Sim(*m, d, "B", "C"), 0.25, 1e-6);       // 1 / (3 + 2 - 1)
  EXPECT_NEAR(Sim(*m, d, "B", "D"), 1.0 / 3.0, 1e-6);  // 1 / (3 + 1 - 1)
  // Shrinkage 2: 0.5 * 2 / (2 + 2).
  m = FitOrDie(d, Counts({{"similarity", "jaccard"}, {"shrinkage", 2}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 0.25, 1e-6);
}

TEST(ItemKnnTest, LiftMatchesHandComputedValues) {
  Dataset d = FourBaskets();
  auto m = FitOrDie(d, Counts({{"similarity", "lift"}, {"shrinkage", 0}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 8.0 / 9.0, 1e-6);  // 2 * 4 / (3 * 3): below independence
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 4.0 / 3.0, 1e-6);  // 2 * 4 / (3 * 2)
  EXPECT_NEAR(Sim(*m, d, "B", "C"), 2.0 / 3.0, 1e-6);  // 1 * 4 / (3 * 2)
  EXPECT_NEAR(Sim(*m, d, "B", "D"), 4.0 / 3.0, 1e-6);  // 1 * 4 / (3 * 1)
  // Shrinkage 1 damps the rarer pair more: AC 4/3 * 2/3, BD 4/3 * 1/2.
  m = FitOrDie(d, Counts({{"similarity", "lift"}, {"shrinkage", 1}, {"min_cooccurrence", 1}}));
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 8.0 / 9.0, 1e-6);
  EXPECT_NEAR(Sim(*m, d, "B", "D"), 2.0 / 3.0, 1e-6);
}

TEST(ItemKnnTest, BigBasketsWeighLess) {
  // Penalty 1: pairs weigh 1/size (u1, u3, u4: 1/2; u2: 1/3), so
  // n_A = n_B = 1/2 + 1/3 + 1/2 = 4/3, n_C = 5/6, n_D = 1/2,
  // c_AB = c_AC = 1/2 + 1/3 = 5/6, c_BD = 1/2 and B = 3/2 + 1/3 = 11/6.
  Dataset d = FourBaskets();
  json p = {{"basket_size_penalty", 1}, {"shrinkage", 0}, {"min_cooccurrence", 1}};
  auto m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "A", "B"), (5.0 / 6) / (4.0 / 3), 1e-6);                     // 0.625
  EXPECT_NEAR(Sim(*m, d, "A", "C"), (5.0 / 6) / std::sqrt(4.0 / 3 * 5.0 / 6), 1e-6);  // 0.7906
  EXPECT_NEAR(Sim(*m, d, "B", "D"), 0.5 / std::sqrt(4.0 / 3 * 0.5), 1e-6);            // 0.6124
  // Lift AB = (5/6)(11/6) / (4/3)^2 = 495/576.
  p["similarity"] = "lift";
  m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 495.0 / 576.0, 1e-6);
}

TEST(ItemKnnTest, MinCooccurrenceAndNeighbourLimit) {
  Dataset d = FourBaskets();
  // BC and BD were seen in one basket only.
  auto m = FitOrDie(d, Counts({{"shrinkage", 0}, {"min_cooccurrence", 2}}));
  EXPECT_EQ(Sim(*m, d, "B", "C"), 0.0f);
  EXPECT_GT(Sim(*m, d, "B", "A"), 0.0f);
  std::vector<float> out(m->num_items());
  EXPECT_FALSE(m->ScoreRelated(d.items.Find("D"), out)) << "D has no neighbours left";
  // One neighbour: A keeps C (0.8165) over B (0.6667).
  m = FitOrDie(d, Counts({{"neighbours", 1}, {"shrinkage", 0}, {"min_cooccurrence", 1}}));
  EXPECT_GT(Sim(*m, d, "A", "C"), 0.0f);
  EXPECT_EQ(Sim(*m, d, "A", "B"), 0.0f);
}

TEST(ItemKnnTest, ScoresSumHistoryWeightTimesSimilarity) {
  Dataset d = FourBaskets();
  auto m = FitOrDie(d, Counts({{"shrinkage", 0}, {"min_cooccurrence", 1}}));
  const ItemIndex a = d.items.Find("A"), dd = d.items.Find("D");
  std::vector<ItemIndex> items = {std::min(a, dd), std::max(a, dd)};
  std::vector<float> weights = {a < dd ? 2.0f : 1.0f, a < dd ? 1.0f : 2.0f};
  std::vector<float> out(m->num_items());
  // An unknown user with history A (weight 2) and D (weight 1).
  m->ScoreUser({kUnknownIndex, items, weights, false}, out);
  // B: 2 * 2/3 + 1 * 1/sqrt(3); C: 2 * 2/sqrt(6); A: D's only neighbour is B.
  EXPECT_NEAR(out[d.items.Find("B")], 2 * 2.0 / 3.0 + 1 / std::sqrt(3.0), 1e-5);
  EXPECT_NEAR(out[d.items.Find("C")], 2 * 2.0 / std::sqrt(6.0), 1e-5);
  EXPECT_EQ(out[a], 0.0f);
  // binarize: every history item weighs 1.
  m = FitOrDie(d, Counts({{"shrinkage", 0}, {"min_cooccurrence", 1}, {"binarize", true}}));
  m->ScoreUser({kUnknownIndex, items, weights, false}, out);
  EXPECT_NEAR(out[d.items.Find("C")], 2.0 / std::sqrt(6.0), 1e-5);
}

// Two customers each placed order 1 = {X, Y} and later order 2 = {Z}, and
// viewed W while placing order 1.
Dataset TwoOrders(bool with_sessions) {
  DatasetBuilder b;
  for (std::string u : {"u1", "u2"}) {
    std::string s1 = with_sessions ? u + "-o1" : "", s2 = with_sessions ? u + "-o2" : "";
    b.AddEvent(u, "W", kNow - 2 * kDay, EventKind::kView, s1);
    b.AddEvent(u, "X", kNow - 2 * kDay, EventKind::kPurchase, s1);
    b.AddEvent(u, "Y", kNow - 2 * kDay, EventKind::kPurchase, s1);
    b.AddEvent(u, "Z", kNow - kDay, EventKind::kPurchase, s2);
    for (std::string item : {"W", "X", "Y", "Z"}) b.AddPair(u, item, 1.0f, kNow - kDay, kNow);
  }
  return std::move(b).Build();
}

TEST(ItemKnnTest, SessionBasketsGiveBoughtTogether) {
  Dataset d = TwoOrders(true);
  json p = {{"shrinkage", 0}, {"cooccurrence", "session"}, {"source", "purchases"}};
  auto m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "X", "Y"), 1.0, 1e-6);  // together in both orders: 2 / sqrt(2 * 2)
  EXPECT_EQ(Sim(*m, d, "X", "Z"), 0.0f);         // never in the same order
  EXPECT_EQ(Sim(*m, d, "X", "W"), 0.0f);         // viewed, not bought

  // All events in the same session: the view of W joins the order.
  p["source"] = "all";
  m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "X", "W"), 1.0, 1e-6);
  EXPECT_EQ(Sim(*m, d, "X", "Z"), 0.0f);

  // User baskets: Z was bought by the same two customers.
  p["cooccurrence"] = "user";
  m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "X", "Z"), 1.0, 1e-6);
}

TEST(ItemKnnTest, SessionsFallBackToUsersWhenEventsHaveNone) {
  Dataset d = TwoOrders(false);
  auto m = FitOrDie(d, {{"shrinkage", 0}, {"cooccurrence", "session"}});
  EXPECT_NEAR(Sim(*m, d, "X", "Z"), 1.0, 1e-6);
  // Without events at all, "views" reads the matrix.
  d.events.clear();
  m = FitOrDie(d, {{"shrinkage", 0}, {"source", "views"}, {"cooccurrence", "session"}});
  EXPECT_NEAR(Sim(*m, d, "X", "Z"), 1.0, 1e-6);
}

TEST(ItemKnnTest, RefusesASourceWithoutSuchEvents) {
  DatasetBuilder b;
  b.AddEvent("u1", "X", kNow, EventKind::kView, "s");
  b.AddEvent("u1", "Y", kNow, EventKind::kView, "s");
  b.AddPair("u1", "X", 1.0f, kNow, kNow);
  b.AddPair("u1", "Y", 1.0f, kNow, kNow);
  Dataset d = std::move(b).Build();
  ASSERT_OK_AND_ASSIGN(auto m, NewItemKnnModel({{"source", "purchases"}}));
  EXPECT_THAT(m->Fit(d, TrainContext{}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no purchase events")));
  EXPECT_THAT(NewItemKnnModel({{"similarity", "pearson"}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("item-knn: similarity")));
}

TEST(ItemKnnTest, TimeDecayFavoursRecentPairs) {
  // u1 used A and B today; u2 used A and C 30 days ago. Undecayed, B and C
  // are equally similar to A: 1 / sqrt(2 * 1).
  DatasetBuilder b;
  b.AddPair("u1", "A", 1.0f, kNow, kNow);
  b.AddPair("u1", "B", 1.0f, kNow, kNow);
  b.AddPair("u2", "A", 1.0f, kNow - 30 * kDay, kNow - 30 * kDay);
  b.AddPair("u2", "C", 1.0f, kNow - 30 * kDay, kNow - 30 * kDay);
  Dataset d = std::move(b).Build();
  json p = {{"shrinkage", 0}, {"min_cooccurrence", 1}};
  auto m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 1.0 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 1.0 / std::sqrt(2.0), 1e-6);
  // Half-life 30 days: u2's pair weighs 0.5, so n_A = 1.5, n_B = 1, n_C = 0.5;
  // A->B = 1 / sqrt(1.5 * 1) = 0.8165, A->C = 0.5 / sqrt(1.5 * 0.5) = 0.5774.
  p["half_life_days"] = 30;
  m = FitOrDie(d, p);
  EXPECT_NEAR(Sim(*m, d, "A", "B"), 1.0 / std::sqrt(1.5), 1e-6);
  EXPECT_NEAR(Sim(*m, d, "A", "C"), 0.5 / std::sqrt(0.75), 1e-6);
}

TEST(ItemKnnTest, HugeBasketsKeepTheirMostRecentItems) {
  DatasetBuilder b;
  for (int k = 0; k < 5; ++k) {
    std::string item(1, static_cast<char>('A' + k));
    b.AddPair("u1", item, 1.0f, kNow - (5 - k) * kDay, kNow - (5 - k) * kDay);
  }
  Dataset d = std::move(b).Build();
  auto m = FitOrDie(d, {{"max_basket_items", 3}, {"min_cooccurrence", 1}});
  std::vector<float> out(m->num_items());
  EXPECT_FALSE(m->ScoreRelated(d.items.Find("A"), out));  // oldest: dropped
  EXPECT_GT(Sim(*m, d, "E", "C"), 0.0f);
  EXPECT_EQ(Sim(*m, d, "E", "B"), 0.0f);
}

TEST(ItemKnnTest, ThreadsDoNotChangeTheNeighbours) {
  // Enough items for several ParallelFor chunks.
  DatasetBuilder b;
  for (int u = 0; u < 300; ++u) {
    for (int k = 0; k < 12; ++k) {
      int item = (u * 7 + k * k * 13) % 211;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1.0f + k % 3, kNow, kNow);
    }
  }
  Dataset d = std::move(b).Build();
  json p = {{"neighbours", 5}, {"min_cooccurrence", 1}};
  auto one = FitOrDie(d, p, 1), two = FitOrDie(d, p, 2);
  std::vector<float> x(one->num_items()), y(two->num_items());
  for (ItemIndex i = 0; i < d.items.size(); ++i) {
    ASSERT_EQ(one->ScoreRelated(i, x), two->ScoreRelated(i, y));
    ASSERT_EQ(x, y) << "item " << i;
  }
}

}  // namespace
}  // namespace recmart::models
