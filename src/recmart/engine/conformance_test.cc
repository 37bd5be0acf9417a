// The conformance suite every recipe passes (one row per recipe in kCases):
//  - a small dataset with a planted answer is recovered: two groups of users
//    who each use one group of items; a personalised recipe recommends a
//    user's unseen items of their own group, a non-personalised one puts the
//    planted best item first, an item-to-item one relates items of a group;
//  - same seed -> byte-identical bundle, whatever the number of threads;
//  - save/load round-trip -> bit-identical scores;
//  - unknown users (with or without live history) and unknown items are
//    answered, never an error or NaN;
//  - seen and explicitly excluded items never come back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/engine/bundle.h"
#include "recmart/engine/recipes.h"
#include "recmart/engine/recommend.h"

namespace recmart::engine {
namespace {

using models::Dataset;
using models::DatasetBuilder;
using models::EventKind;
using models::ItemIndex;
using nlohmann::json;
using ::recmart::testing::TempDir;

struct Case {
  const char* recipe;
  // Params for the small planted data (defaults are tuned for real data).
  const char* params;
  // Names a second case of the same recipe (a variant worth its own run).
  const char* variant = nullptr;
};

const Case kCases[] = {
    {"popularity", "{}"},
    {"trending", R"({"window_days": 3})"},
    {"als", R"({"factors": 8, "iterations": 15})"},
    {"bpr", R"({"factors": 8, "epochs": 60, "learning_rate": 0.05, "negative_candidates": 1})"},
    {"item-knn", R"({"neighbours": 20})"},
    {"ease", R"({"lambda": 10})"},  // sequence-weighted: the planted data has times
    {"ease", R"({"lambda": 10, "sequence_window": 0})", "plain"},
    {"content", "{}"},
    {"blend", R"({"components": [{"recipe": "ease", "params": {"lambda": 10}},
                                 {"recipe": "als", "params": {"factors": 8}, "weight": 0.5}]})"},
};

constexpr int kUsersPerGroup = 20;
constexpr int kItemsPerGroup = 12;
constexpr int kItemsPerUser = 7;
constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kDay = 86400;

bool InGroupA(const std::string& item) { return item[0] == 'a'; }

// Users "ua<n>" use items "a<n>", users "ub<n>" items "b<n>". Item a0 is used
// by every A user and a quarter of B users, all within the last day (the
// planted best seller and trend); everything else is spread over 30 days.
// Item "new" has metadata but no interactions.
Dataset PlantedData() {
  DatasetBuilder b;
  std::mt19937_64 rng(7);
  for (char g : {'a', 'b'}) {
    for (int u = 0; u < kUsersPerGroup; ++u) {
      std::string user = std::string("u") + g + std::to_string(u);
      std::vector<int> items(kItemsPerGroup - 1);
      for (int i = 0; i < kItemsPerGroup - 1; ++i) items[i] = i + 1;
      std::shuffle(items.begin(), items.end(), rng);
      items.resize(kItemsPerUser - 1);
      if (g == 'a' || u % 4 == 0) items.push_back(0);
      for (size_t k = 0; k < items.size(); ++k) {
        std::string item = std::string(1, items[k] == 0 ? 'a' : g) + std::to_string(items[k]);
        int64_t ts = items[k] == 0 ? kNow - static_cast<int64_t>(k) * 60
                                   : kNow - (2 + static_cast<int64_t>(rng() % 28)) * kDay;
        float w = items[k] == 0 ? 1.0f : 1.0f + static_cast<float>(rng() % 3);
        b.AddPair(user, item, w, ts, ts);
        EventKind kind = k % 3 == 0 ? EventKind::kPurchase : EventKind::kView;
        b.AddEvent(user, item, ts, kind, user + "-s" + std::to_string(k / 3));
      }
    }
  }
  ItemIndex fresh = b.AddItem("new");
  for (char g : {'a', 'b'}) {
    for (int i = 0; i < kItemsPerGroup; ++i) b.AddItem(std::string(1, g) + std::to_string(i));
  }
  Dataset d = std::move(b).Build();
  d.attributes.Resize(d.items.size());
  for (ItemIndex i = 0; i < d.items.size(); ++i) {
    const std::string& name = d.items.name(i);
    d.attributes.category_l1[i] = name == "new" ? "A" : (InGroupA(name) ? "A" : "B");
    d.attributes.price[i] = 10.0 + i;
  }
  d.attributes.created[fresh] = kNow;
  return d;
}

class ConformanceTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    info_ = FindRecipe(GetParam().recipe);
    ASSERT_NE(info_, nullptr) << GetParam().recipe;
    params_ = json::parse(GetParam().params);
    data_ = PlantedData();
  }

  ModelBundle TrainOrDie(int threads, uint64_t seed = 42) {
    models::TrainContext ctx;
    ctx.threads = threads;
    ctx.seed = seed;
    StatusOr<ModelBundle> b = ModelBundle::Train(data_, GetParam().recipe, params_, ctx);
    EXPECT_OK(b.status());
    if (!b.ok()) std::abort();
    return std::move(b).value();
  }

  std::vector<float> Scores(const ModelBundle& b, models::UserIndex u) {
    const auto& h = b.history();
    std::vector<float> s(b.items().size());
    b.model().ScoreUser({u, h.RowIndices(u), h.RowValues(u), true}, s);
    return s;
  }

  const RecipeInfo* info_ = nullptr;
  json params_;
  Dataset data_;
};

TEST_P(ConformanceTest, RecoversThePlantedAnswer) {
  ModelBundle b = TrainOrDie(2);
  RecommendOptions o;
  o.num_results = 5;
  if (info_->personalized) {
    int in_group = 0, total = 0;
    for (const std::string& user : data_.users.names()) {
      Recommendation r = RecommendForUser(b, user, o);
      EXPECT_EQ(r.source, "model");
      for (const auto& s : r.items) {
        in_group += InGroupA(b.items().name(s.item)) == (user[1] == 'a');
        ++total;
      }
    }
    EXPECT_GE(in_group, total * 9 / 10) << in_group << " of " << total << " in the user's group";
  } else {
    Recommendation r = RecommendForUser(b, "somebody new", o);
    ASSERT_FALSE(r.items.empty());
    EXPECT_EQ(b.items().name(r.items[0].item), "a0");
  }
  if (info_->related) {
    for (const char* item : {"a3", "b5"}) {
      StatusOr<Recommendation> r = RelatedItems(b, item, "", o);
      ASSERT_OK(r.status());
      int same = 0;
      for (const auto& s : r->items) same += InGroupA(b.items().name(s.item)) == (item[0] == 'a');
      EXPECT_GE(same, 4) << "related items of " << item;
    }
  }
}

TEST_P(ConformanceTest, SameSeedGivesTheSameBundleWhateverTheThreads) {
  TempDir dir;
  ASSERT_OK(TrainOrDie(1).Save(dir.path() + "/one"));
  ASSERT_OK(TrainOrDie(2).Save(dir.path() + "/two"));
  ASSERT_OK(TrainOrDie(2).Save(dir.path() + "/again"));
  ASSERT_OK_AND_ASSIGN(std::string one, ReadFileToString(dir.path() + "/one/arrays.bin"));
  ASSERT_OK_AND_ASSIGN(std::string two, ReadFileToString(dir.path() + "/two/arrays.bin"));
  ASSERT_OK_AND_ASSIGN(std::string again, ReadFileToString(dir.path() + "/again/arrays.bin"));
  EXPECT_TRUE(one == two) << "1 thread and 2 threads differ";
  EXPECT_TRUE(two == again) << "two runs with the same seed differ";
}

TEST_P(ConformanceTest, SaveLoadRoundTripGivesIdenticalScores) {
  TempDir dir;
  ModelBundle b = TrainOrDie(2);
  ASSERT_OK(b.Save(dir.path() + "/m"));
  EXPECT_THAT(b.Save(dir.path() + "/m"),
              testing::StatusIs(StatusCode::kAlreadyExists, ::testing::HasSubstr("exists")));
  ASSERT_OK_AND_ASSIGN(ModelBundle loaded, ModelBundle::Load(dir.path() + "/m"));
  EXPECT_EQ(loaded.recipe(), b.recipe());
  EXPECT_EQ(loaded.manifest()["params"], b.manifest()["params"]);
  ASSERT_EQ(loaded.items().names(), b.items().names());
  for (models::UserIndex u = 0; u < b.users().size(); ++u) {
    std::vector<float> x = Scores(b, u), y = Scores(loaded, u);
    ASSERT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * sizeof(float))) << "user " << u;
  }
  for (ItemIndex i = 0; i < b.items().size(); ++i) {
    std::vector<float> x(b.items().size()), y(b.items().size());
    ASSERT_EQ(b.model().ScoreRelated(i, x), loaded.model().ScoreRelated(i, y));
    ASSERT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * sizeof(float))) << "item " << i;
  }
}

TEST_P(ConformanceTest, AnswersUnknownUsersAndItems) {
  ModelBundle b = TrainOrDie(2);
  RecommendOptions o;
  o.num_results = 5;
  Recommendation r = RecommendForUser(b, "nobody", o);
  EXPECT_EQ(r.items.size(), 5u);
  for (const auto& s : r.items) EXPECT_FALSE(std::isnan(s.score));

  // An unknown user with live history is folded in from that history.
  std::vector<ExtraInteraction> live = {{"a1"}, {"a2"}, {"a3"}, {"a4"}, {"a0"}};
  r = RecommendForUser(b, "nobody", o, live);
  ASSERT_EQ(r.items.size(), 5u);
  int in_a = 0;
  for (const auto& s : r.items) {
    EXPECT_FALSE(std::isnan(s.score));
    std::string name = b.items().name(s.item);
    EXPECT_THAT(name, ::testing::Not(::testing::AnyOf("a0", "a1", "a2", "a3", "a4")));
    in_a += InGroupA(name);
  }
  if (info_->personalized) {
    EXPECT_GE(in_a, 4);
  }

  std::vector<float> s(b.items().size());
  b.model().ScoreUser({}, s);
  for (float x : s) ASSERT_FALSE(std::isnan(x));

  EXPECT_THAT(RelatedItems(b, "no such item", "", o).status(),
              testing::StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("no such item")));
  StatusOr<Recommendation> related = RelatedItems(b, "new", "", o);
  ASSERT_OK(related.status());
  EXPECT_FALSE(related->items.empty());

  ASSERT_OK_AND_ASSIGN(std::vector<RankedItem> ranked,
                       RankItems(b, "ua1", {"zzz", "b1", "a5", "a0"}));
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked.back().item, "zzz");
  EXPECT_FALSE(ranked.back().known);
}

TEST_P(ConformanceTest, ExcludesSeenAndRequestedItems) {
  ModelBundle b = TrainOrDie(2);
  RecommendOptions o;
  o.num_results = 30;
  o.exclude = {"a1", "b1"};
  for (const std::string& user : data_.users.names()) {
    models::UserIndex u = b.users().Find(user);
    auto seen = b.history().RowIndices(u);
    Recommendation r = RecommendForUser(b, user, o);
    for (const auto& s : r.items) {
      ASSERT_FALSE(std::binary_search(seen.begin(), seen.end(), s.item)) << user;
      ASSERT_NE(b.items().name(s.item), "a1");
      ASSERT_NE(b.items().name(s.item), "b1");
    }
  }
  // Seen items may come back when asked.
  o.exclude_seen = false;
  o.exclude.clear();
  o.num_results = static_cast<size_t>(b.items().size());
  Recommendation all = RecommendForUser(b, "ua0", o);
  EXPECT_EQ(all.items.size(), b.items().size());
}

INSTANTIATE_TEST_SUITE_P(EveryRecipe, ConformanceTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.recipe;
                           if (info.param.variant) name += std::string("_") + info.param.variant;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(RecipeTableTest, EveryRecipeIsInTheConformanceSuite) {
  for (const RecipeInfo& r : Recipes()) {
    bool found = false;
    for (const Case& c : kCases) found |= r.name == c.recipe;
    EXPECT_TRUE(found) << r.name << " is not in kCases";
  }
}

TEST(RecipeTableTest, UnknownRecipesAndBadParamsAreOneLine) {
  EXPECT_THAT(NewModel("nope", json::object()).status(),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("unknown recipe 'nope' (known: popularity")));
  EXPECT_THAT(NewModel("popularity", json{{"signal", "likes"}}).status(),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("popularity: signal: expected one of")));
  EXPECT_NE(FindRecipe("popularity-count"), nullptr);
}

TEST(RecipeTableTest, BlendChecksItsComponents) {
  EXPECT_THAT(NewModel("blend", json{{"components", json::array()}}).status(),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("expected a non-empty list")));
  EXPECT_THAT(
      NewModel("blend", json::parse(R"({"components": [{"recipe": "blend"}]})")).status(),
      testing::StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("cannot contain")));
  EXPECT_THAT(NewModel("blend", json::parse(R"({"components": [{"recipe": "als", "wieght": 2}]})"))
                  .status(),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("components[0]: wieght: unknown key")));
  EXPECT_THAT(NewModel("blend", json::parse(R"({"components": [{"recipe": "als",
                                                "params": {"factors": 0}}]})"))
                  .status(),
              testing::StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("factors")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<models::Model> m,
                       NewModel("blend", json::parse(R"({"components": [{"recipe": "ease"}]})")));
  // The recorded params spell out every component's effective params.
  json p = m->params();
  EXPECT_EQ(p["components"][0]["recipe"], "ease");
  EXPECT_TRUE(p["components"][0]["params"].contains("lambda"));
  EXPECT_EQ(p["components"][0]["weight"], 1.0);
}

}  // namespace
}  // namespace recmart::engine
