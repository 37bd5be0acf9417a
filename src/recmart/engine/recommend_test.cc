// Recommendation answers beyond the conformance suite: paging, filters,
// exploration of cold items, popularity top-up.
#include "recmart/engine/recommend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace recmart::engine
