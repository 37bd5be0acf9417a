// Recommendation answers beyond the conformance suite: paging, filters,
// exploration of cold items, popularity top-up.
#include "recmart/engine/recommend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "recmart/common/testing.h"
#include "recmart/engine/bundle.h"

namespace recmart::engine {
namespace {

using models::DatasetBuilder;

ModelBundle SmallBundle() {
  DatasetBuilder b;
  // Popularity: i0 (4 users) > i1 (3) > i2 (2) > i3 (1); i4, i5 cold.
  for (int u = 0; u < 4; ++u) {
    for (int i = 0; i < 4 - u; ++i)
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(i), 1, 0, 0);
  }
  b.AddItem("i4");
  b.AddItem("i5");
  models::Dataset d = std::move(b).Build();
  d.attributes.Resize(d.items.size());
  d.attributes.created[d.items.Find("i4")] = 100;
  d.attributes.created[d.items.Find("i5")] = 200;
  StatusOr<ModelBundle> m = ModelBundle::Train(d, "popularity", nlohmann::json::object(), {});
  EXPECT_OK(m.status());
  return std::move(m).value();
}

std::vector<std::string> Names(const ModelBundle& b, const Recommendation& r) {
  std::vector<std::string> out;
  for (const auto& s : r.items) out.push_back(b.items().name(s.item));
  return out;
}

// A bundle trained on moved data (the ids and matrix taken, not copied) is
// the bundle trained on a copy.
TEST(BundleTest, TrainingOnMovedDataGivesTheSameBundle) {
  DatasetBuilder b;
  for (int u = 0; u < 20; ++u) {
    for (int i = 0; i < 12; ++i) {
      if ((u * 5 + i * 3) % 4 != 0)
        b.AddPair("u" + std::to_string(u), "i" + std::to_string(i), 1, u, u + i);
    }
  }
  models::Dataset d = std::move(b).Build();
  const nlohmann::json params = {{"factors", 4}, {"iterations", 3}};
  ASSERT_OK_AND_ASSIGN(ModelBundle copied, ModelBundle::Train(d, "als", params, {}));
  ASSERT_OK_AND_ASSIGN(ModelBundle moved, ModelBundle::Train(std::move(d), "als", params, {}));
  EXPECT_EQ(moved.users().names(), copied.users().names());
  EXPECT_EQ(moved.items().names(), copied.items().names());
  auto vec = [](const auto& a) { return std::vector(a.data(), a.data() + a.size()); };
  EXPECT_EQ(vec(moved.history().indptr), vec(copied.history().indptr));
  EXPECT_EQ(vec(moved.history().indices), vec(copied.history().indices));
  EXPECT_EQ(vec(moved.history().values), vec(copied.history().values));
  RecommendOptions o;
  o.num_results = 5;
  for (const char* user : {"u0", "u7", "nobody"}) {
    EXPECT_EQ(Names(copied, RecommendForUser(copied, user, o)),
              Names(moved, RecommendForUser(moved, user, o)))
        << user;
  }
}

TEST(RecommendTest, PagesDoNotRepeatItems) {
  ModelBundle b = SmallBundle();
  RecommendOptions o;
  o.num_results = 2;
  o.exclude_seen = false;
  EXPECT_THAT(Names(b, RecommendForUser(b, "x", o)), ::testing::ElementsAre("i0", "i1"));
  o.offset = 2;
  EXPECT_THAT(Names(b, RecommendForUser(b, "x", o)), ::testing::ElementsAre("i2", "i3"));
}

TEST(RecommendTest, FiltersAndExclusions) {
  ModelBundle b = SmallBundle();
  RecommendOptions o;
  o.num_results = 3;
  o.allowed.assign(b.items().size(), 1);
  o.allowed[b.items().Find("i0")] = 0;
  o.exclude = {"i2", "not-an-item"};
  EXPECT_THAT(Names(b, RecommendForUser(b, "x", o)), ::testing::ElementsAre("i1", "i3", "i4"));
  // u3 has seen only i0.
  o.allowed.clear();
  o.exclude.clear();
  EXPECT_THAT(Names(b, RecommendForUser(b, "u3", o)), ::testing::ElementsAre("i1", "i2", "i3"));
}

TEST(RecommendTest, ExplorationGivesSlotsToColdItemsNewestFirst) {
  ModelBundle b = SmallBundle();
  RecommendOptions o;
  o.num_results = 4;
  o.exclude_seen = false;
  o.exploration = 0.5;
  EXPECT_THAT(Names(b, RecommendForUser(b, "x", o)),
              ::testing::ElementsAre("i0", "i1", "i5", "i4"));
  EXPECT_EQ(b.cold_items().size(), 2u);
}

TEST(RecommendTest, RankKeepsEveryItemAndPutsUnknownLast) {
  ModelBundle b = SmallBundle();
  ASSERT_OK_AND_ASSIGN(auto ranked, RankItems(b, "u0", {"x1", "i3", "i0", "x2"}));
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0].item, "i0");
  EXPECT_EQ(ranked[1].item, "i3");
  EXPECT_EQ(ranked[2].item, "x1");
  EXPECT_EQ(ranked[3].item, "x2");
  std::vector<std::string> many(501, "i0");
  EXPECT_THAT(RankItems(b, "u0", many).status(),
              testing::StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("at most 500")));
}

// A factor model over 3000 items in 30 clusters: large enough for the ANN
// index to be a real search, small enough to compare with a full scan.
ModelBundle ClusteredAls() {
  DatasetBuilder b;
  uint64_t x = 7;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(x >> 33);
  };
  for (int u = 0; u < 600; ++u) {
    const uint32_t cluster = static_cast<uint32_t>(u) % 30;
    for (int k = 0; k < 15; ++k) {
      const uint32_t item = cluster * 100 + next() % 100;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1, 0, 0);
    }
  }
  models::Dataset d = std::move(b).Build();
  StatusOr<ModelBundle> m = ModelBundle::Train(
      d, "als", {{"factors", 16}, {"iterations", 6}, {"regularization", 1.0}}, {});
  EXPECT_OK(m.status());
  return std::move(m).value();
}

TEST(RecommendTest, AnnIndexAgreesWithTheFullScanAndKeepsTheContracts) {
  ModelBundle full = ClusteredAls();
  ModelBundle ann = ClusteredAls();  // same seed: the same model
  ASSERT_OK(ann.AttachAnnIndex({}, ""));
  ASSERT_NE(ann.ann(), nullptr);
  RecommendOptions o;
  o.num_results = 10;
  size_t overlap = 0, total = 0;
  for (int u = 0; u < 600; u += 37) {
    const std::string user = "u" + std::to_string(u);
    std::vector<std::string> a = Names(full, RecommendForUser(full, user, o));
    std::vector<std::string> b = Names(ann, RecommendForUser(ann, user, o));
    ASSERT_EQ(b.size(), 10u);
    for (const std::string& id : b) overlap += std::count(a.begin(), a.end(), id);
    total += a.size();
  }
  EXPECT_GE(static_cast<double>(overlap) / static_cast<double>(total), 0.9);

  // A filter that keeps 1 item in 100 still fills the list (deeper search).
  RecommendOptions f = o;
  f.allow = [](models::ItemIndex i) { return i % 100 == 3; };
  Recommendation r = RecommendForUser(ann, "u5", f);
  ASSERT_EQ(r.items.size(), 10u);
  for (const auto& s : r.items) EXPECT_EQ(s.item % 100, 3u);
  EXPECT_EQ(r.source, "model");

  // Pages never repeat items.
  std::set<std::string> seen;
  for (size_t page = 0; page < 4; ++page) {
    RecommendOptions p = o;
    p.offset = page * 10;
    for (const std::string& id : Names(ann, RecommendForUser(ann, "u9", p)))
      EXPECT_TRUE(seen.insert(id).second) << id;
  }
  // Related items come from the index too, exactly rescored by cosine.
  ASSERT_OK_AND_ASSIGN(Recommendation rel, RelatedItems(ann, "i1503", "", o));
  ASSERT_EQ(rel.items.size(), 10u);
  for (size_t k = 1; k < rel.items.size(); ++k)
    EXPECT_GE(rel.items[k - 1].score, rel.items[k].score);
}

TEST(RecommendTest, SessionItemsPullSimilarItemsUp) {
  ModelBundle b = ClusteredAls();
  RecommendOptions o;
  o.num_results = 20;
  auto cluster_share = [&](const Recommendation& r, uint32_t cluster) {
    int n = 0;
    for (const auto& s : r.items)
      n += std::stoi(b.items().name(s.item).substr(1)) / 100 == static_cast<int>(cluster);
    return n;
  };
  // User u0 likes cluster 0; recent views in cluster 7 bring cluster 7 in.
  Recommendation before = RecommendForUser(b, "u0", o);
  o.session_items = {"i705", "i711", "i723"};
  o.session_weight = 2.0;
  Recommendation after = RecommendForUser(b, "u0", o);
  EXPECT_GT(cluster_share(after, 7), cluster_share(before, 7));
}

}  // namespace
}  // namespace recmart::engine
