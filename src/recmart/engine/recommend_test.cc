// Recommendation answers beyond the conformance suite: paging, filters,
// exploration of cold items, popularity top-up.
#include "recmart/engine/recommend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "recmart/common/testing.h"
#include "recmart/engine/bundle.h"
#include "recmart/models/factors.h"

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
  // Users of every cluster (7 and 30 are coprime): a search from the graph's
  // entry alone misses whole clusters of this data for their users (4 of
  // 30); seeded with the user's items it finds them.
  size_t overlap = 0, total = 0;
  for (int u = 0; u < 600; u += 7) {
    const std::string user = "u" + std::to_string(u);
    std::vector<std::string> a = Names(full, RecommendForUser(full, user, o));
    std::vector<std::string> b = Names(ann, RecommendForUser(ann, user, o));
    ASSERT_EQ(b.size(), 10u);
    size_t mine = 0;
    for (const std::string& id : b) mine += std::count(a.begin(), a.end(), id);
    EXPECT_GE(mine, 5u) << user;
    overlap += mine;
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

TEST(AnnIndexTest, ACacheFileIsUsedOnlyWhenItMatches) {
  testing::TempDir dir;
  const std::string path = dir / "ann.bin";
  ModelBundle b = ClusteredAls();
  models::FactorView f;
  ASSERT_TRUE(b.model().Factors(&f));
  const AnnOptions o;
  bool loaded = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AnnIndex> built, AnnIndex::LoadOrBuild(f, o, path, &loaded));
  EXPECT_FALSE(loaded);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AnnIndex> again, AnnIndex::LoadOrBuild(f, o, path, &loaded));
  EXPECT_TRUE(loaded);
  // The same answers from the built and the loaded graph, seeded or not,
  // best first by inner product; seeds out of range are ignored.
  const models::ItemIndex seeds[] = {5, 1503, 99999};
  for (models::ItemIndex q : {0u, 777u, 2800u}) {
    const float* x = f.items->rows.row(q);
    for (std::span<const models::ItemIndex> s :
         {std::span<const models::ItemIndex>(), std::span<const models::ItemIndex>(seeds)}) {
      std::vector<models::ItemIndex> a = built->Search(x, 20, s);
      ASSERT_EQ(a.size(), 20u);
      EXPECT_EQ(a, again->Search(x, 20, s));
      for (size_t k = 1; k < a.size(); ++k) {
        EXPECT_GE(models::simd::Dot(x, f.items->rows.row(a[k - 1]), f.items->width()) + 1e-5f,
                  models::simd::Dot(x, f.items->rows.row(a[k]), f.items->width()));
      }
    }
  }
  EXPECT_EQ(built->Search(f.items->rows.row(0), 5000).size(), built->size());
  // A damaged file is rebuilt, not trusted.
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4000);
    file.put('\x55');
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AnnIndex> rebuilt,
                       AnnIndex::LoadOrBuild(f, o, path, &loaded));
  EXPECT_FALSE(loaded);
  EXPECT_EQ(rebuilt->Search(f.items->rows.row(7), 20), built->Search(f.items->rows.row(7), 20));
  // Other options do not take this file.
  AnnOptions deeper = o;
  deeper.ef_construction = 50;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AnnIndex> fresh,
                       AnnIndex::LoadOrBuild(f, deeper, path, &loaded));
  EXPECT_FALSE(loaded);
}

// Bundles of ClusteredAls with the ANN index, and with candidate lists too.
struct ListedBundles {
  ModelBundle ann = ClusteredAls();
  ModelBundle listed = ClusteredAls();
  ListedBundles() {
    EXPECT_OK(ann.AttachAnnIndex({}, ""));
    EXPECT_OK(listed.AttachAnnIndex({}, ""));
    EXPECT_OK(listed.AttachCandidateLists({.per_user = 32}, ""));
  }
};

TEST(RecommendTest, CandidateListsHoldTheBestUnseenItems) {
  ListedBundles b;
  ModelBundle full = ClusteredAls();  // no index: exact full scans
  const CandidateLists* lists = b.listed.candidate_lists();
  ASSERT_NE(lists, nullptr);
  ASSERT_EQ(lists->users(), 600u);
  RecommendOptions o;
  o.num_results = 32;
  size_t overlap = 0, total = 0;
  for (models::UserIndex u = 0; u < 600; ++u) {
    std::span<const models::ItemIndex> list = lists->For(u);
    ASSERT_EQ(list.size(), 32u) << u;
    auto seen = b.listed.history().RowIndices(u);
    std::set<models::ItemIndex> distinct(list.begin(), list.end());
    EXPECT_EQ(distinct.size(), list.size());
    for (models::ItemIndex i : list) EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), i));
    if (u % 10 != 0) continue;
    // Against the exact answer of a full scan: a list finds at least what a
    // request's own (shallower) search finds, and nearly all of it.
    const std::string user = b.listed.users().name(u);
    std::set<models::ItemIndex> searched;
    for (const auto& s : RecommendForUser(b.ann, user, o).items) searched.insert(s.item);
    size_t in_list = 0, in_search = 0;
    for (const auto& s : RecommendForUser(full, user, o).items) {
      in_list += distinct.count(s.item);
      in_search += searched.count(s.item);
    }
    EXPECT_GE(in_list, in_search) << user;
    overlap += in_list;
    total += 32;
  }
  EXPECT_GE(static_cast<double>(overlap) / static_cast<double>(total), 0.95);

  // The same lists whatever the number of threads.
  for (int threads : {1, 2}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<CandidateLists> again,
                         BuildCandidateLists(b.listed, {.per_user = 32, .threads = threads}));
    for (models::UserIndex u = 0; u < 600; ++u) {
      ASSERT_TRUE(std::ranges::equal(again->For(u), lists->For(u))) << u;
    }
  }
  // Lists need the index.
  EXPECT_THAT(BuildCandidateLists(full, {}).status(),
              testing::StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(full.AttachCandidateLists({}, ""),
              testing::StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
}

TEST(RecommendTest, AnswersFromCandidateListsKeepTheContracts) {
  ListedBundles b;
  RecommendOptions o;
  o.num_results = 10;
  for (int u = 0; u < 600; u += 41) {
    const std::string user = "u" + std::to_string(u);
    // A plain request is the head of the list, scored as a search scores it.
    Recommendation r = RecommendForUser(b.listed, user, o);
    std::span<const models::ItemIndex> list =
        b.listed.candidate_lists()->For(b.listed.users().Find(user));
    ASSERT_EQ(r.items.size(), 10u);
    EXPECT_EQ(r.source, "model");
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(r.items[k].item, list[k]);
      if (k > 0) {
        EXPECT_GE(r.items[k - 1].score, r.items[k].score);
      }
    }
    // Whatever the list cannot answer is the index's answer: live additions,
    // session items, seen items allowed, a page past the list, a filter that
    // rejects most of it.
    const std::vector<ExtraInteraction> extra = {{"i1503", 1.0f}};
    EXPECT_EQ(Names(b.listed, RecommendForUser(b.listed, user, o, extra)),
              Names(b.ann, RecommendForUser(b.ann, user, o, extra)));
    RecommendOptions session = o;
    session.session_items = {"i705"};
    session.session_weight = 2.0;
    EXPECT_EQ(Names(b.listed, RecommendForUser(b.listed, user, session)),
              Names(b.ann, RecommendForUser(b.ann, user, session)));
    RecommendOptions with_seen = o;
    with_seen.exclude_seen = false;
    EXPECT_EQ(Names(b.listed, RecommendForUser(b.listed, user, with_seen)),
              Names(b.ann, RecommendForUser(b.ann, user, with_seen)));
    RecommendOptions deep = o;
    deep.offset = 30;
    EXPECT_EQ(Names(b.listed, RecommendForUser(b.listed, user, deep)),
              Names(b.ann, RecommendForUser(b.ann, user, deep)));
    RecommendOptions narrow = o;
    narrow.allow = [](models::ItemIndex i) { return i % 100 == 3; };
    Recommendation n = RecommendForUser(b.listed, user, narrow);
    ASSERT_EQ(n.items.size(), 10u);
    for (const auto& s : n.items) EXPECT_EQ(s.item % 100, 3u);
    EXPECT_EQ(Names(b.listed, n), Names(b.ann, RecommendForUser(b.ann, user, narrow)));
    // A gate that leaves enough of the list: the list's accepted items, in order.
    RecommendOptions some = o;
    some.exclude = {b.listed.items().name(list[0]), b.listed.items().name(list[3])};
    std::vector<std::string> want;
    for (size_t k = 0; k < list.size() && want.size() < 10; ++k) {
      if (k != 0 && k != 3) want.push_back(b.listed.items().name(list[k]));
    }
    EXPECT_EQ(Names(b.listed, RecommendForUser(b.listed, user, some)), want);
  }
  // Unknown users still get popularity.
  EXPECT_EQ(RecommendForUser(b.listed, "nobody", o).source, "popularity");
}

TEST(RecommendTest, CandidateListsAreCachedAndADamagedCacheIsRebuilt) {
  testing::TempDir dir;
  const std::string path = dir / "cands.bin";
  // A fresh bundle with its lists attached through the cache file; `how`
  // says whether they were built or loaded.
  auto attach = [&](const std::string& how) {
    ModelBundle b = ClusteredAls();
    EXPECT_OK(b.AttachAnnIndex({}, ""));
    EXPECT_OK(b.AttachCandidateLists({}, path));
    EXPECT_TRUE(b.manifest()["timings"].contains("candidate_lists_" + how + "_seconds")) << how;
    return b;
  };
  auto same = [](const ModelBundle& a, const ModelBundle& b) {
    for (models::UserIndex u = 0; u < 600; ++u) {
      if (!std::ranges::equal(a.candidate_lists()->For(u), b.candidate_lists()->For(u)))
        return false;
    }
    return true;
  };
  ModelBundle first = attach("build");
  EXPECT_TRUE(same(first, attach("load")));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  EXPECT_TRUE(same(first, attach("build")));
  // ... and written again, whole.
  attach("load");
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
