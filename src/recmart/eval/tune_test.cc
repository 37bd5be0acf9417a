#include "recmart/eval/tune.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::eval {
namespace {

using models::Dataset;
using models::DatasetBuilder;
using nlohmann::json;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kGroups = 3, kGroupSize = 10;

// Users belong to groups of items and interact with 8 of their group's 10.
// A model that knows the groups ranks the held-out items (same group) first.
Dataset GroupData() {
  DatasetBuilder b;
  for (int u = 0; u < 60; ++u) {
    const int g = u % kGroups;
    for (int j = 0; j < 8; ++j) {
      const int item = g * kGroupSize + (u / kGroups + j) % kGroupSize;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1.0f, 1, 1);
    }
  }
  return std::move(b).Build();
}

// Scores same-group items first only when |x - 5| <= 1, else other groups'
// items first (so nothing relevant reaches the top 10).
class GroupModel : public models::Model {
 public:
  // `fit_nnz`, when set, receives the number of pairs Fit saw.
  explicit GroupModel(json params, size_t* fit_nnz = nullptr)
      : params_(std::move(params)), fit_nnz_(fit_nnz) {}
  std::string_view recipe() const override { return "group"; }
  json params() const override { return params_; }
  Status Fit(const Dataset& data, const models::TrainContext&) override {
    num_items_ = data.items.size();
    names_ = data.items.names();
    if (fit_nnz_) *fit_nnz_ = data.matrix.nnz();
    if (fit_now) *fit_now = data.now;
    return Status::OK();
  }
  uint32_t num_items() const override { return num_items_; }
  void ScoreUser(const models::UserQuery& q, std::span<float> out) const override {
    const bool good = std::abs(params_.value("x", 0.0) - 5.0) <= 1.0;
    const int group = q.items.empty() ? -1 : Group(q.items[0]);
    for (uint32_t i = 0; i < num_items_; ++i) out[i] = (Group(i) == group) == good ? 1.0f : 0.0f;
  }
  Status Save(models::ArrayWriter&) const override { return Status::OK(); }
  Status Load(const models::ArrayReader&) override { return Status::OK(); }

  // When set, receives the `now` of the data Fit saw.
  int64_t* fit_now = nullptr;

 private:
  int Group(uint32_t item) const { return std::stoi(names_[item].substr(1)) / kGroupSize; }

  json params_;
  uint32_t num_items_ = 0;
  std::vector<std::string> names_;
  size_t* fit_nnz_;
};

StatusOr<std::unique_ptr<models::Model>> MakeGroupModel(const json& params) {
  return std::unique_ptr<models::Model>(std::make_unique<GroupModel>(params));
}

TEST(TuneTest, RandomSearchFindsTheGoodRange) {
  const Dataset train = GroupData();
  TuneOptions o;
  o.space = {{"x", {{"min", 0}, {"max", 10}}}};
  o.base = {{"y", 1}, {"x", -1}};
  o.trials = 15;
  o.seed = 3;
  ASSERT_OK_AND_ASSIGN(TuneResult r, Tune(train, o, MakeGroupModel));
  EXPECT_EQ(r.metric, "ndcg@10");
  EXPECT_EQ(r.trials.size(), 15u);
  const double x = r.best_params["x"].get<double>();
  EXPECT_LE(std::abs(x - 5.0), 1.0) << r.ToJson().dump();
  EXPECT_EQ(r.best_params["y"], 1);  // base kept, x overridden
  EXPECT_GT(r.best_score, 0.5);
  for (const Trial& t : r.trials) {
    EXPECT_EQ(t.users, 60u);
    EXPECT_TRUE(t.params.contains("x"));
    EXPECT_FALSE(t.params.contains("y"));
    if (std::abs(t.params["x"].get<double>() - 5.0) > 1.0) {
      EXPECT_EQ(t.score, 0.0);
    }
  }
}

TEST(TuneTest, TrainsOnTheCarvedTrainingSideOnly) {
  const Dataset train = GroupData();
  TuneOptions o;
  o.space = {{"x", {5}}};
  o.trials = 1;
  size_t fit_nnz = 0;
  ASSERT_OK_AND_ASSIGN(
      TuneResult r, Tune(train, o, [&](const json& p) {
        return StatusOr<std::unique_ptr<models::Model>>(std::make_unique<GroupModel>(p, &fit_nnz));
      }));
  ASSERT_EQ(r.trials.size(), 1u);
  // 8 items per user, 20% held out: round(1.6) = 2 per user, 60 users.
  EXPECT_EQ(fit_nnz, train.matrix.nnz() - 2 * 60);
  EXPECT_EQ(r.trials[0].users, 60u);
  EXPECT_EQ(r.best_params, json({{"x", 5}}));
}

// GroupData's pairs, user u's j-th on day j + 1 (so the last day is day 8).
Dataset DatedGroupData() {
  DatasetBuilder b;
  for (int u = 0; u < 60; ++u) {
    const int g = u % kGroups;
    for (int j = 0; j < 8; ++j) {
      const int item = g * kGroupSize + (u / kGroups + j) % kGroupSize;
      const int64_t ts = int64_t{j + 1} * 86400;
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(item), 1.0f, ts, ts);
    }
  }
  return std::move(b).Build();
}

TEST(TuneTest, ValidationSplitIsOfTheKindAsked) {
  const Dataset train = DatedGroupData();
  TuneOptions o;
  o.space = {{"x", {5}}};
  o.trials = 1;
  size_t fit_nnz = 0;
  int64_t fit_now = 0;
  auto make = [&](const json& p) {
    auto m = std::make_unique<GroupModel>(p, &fit_nnz);
    return StatusOr<std::unique_ptr<models::Model>>(std::move(m));
  };
  // Random per user with the evaluation's ratio: half of 8 is 4 per user.
  o.validation_split = {SplitSpec::Kind::kRandom, 0.5};
  ASSERT_OK_AND_ASSIGN(TuneResult r, Tune(train, o, make));
  EXPECT_EQ(fit_nnz, train.matrix.nnz() - 4 * 60);
  // The last 2 days of the training data: the cut-off is day 6, so days 6 to
  // 8 are held out, and the candidate never sees them.
  ASSERT_OK_AND_ASSIGN(o.validation_split, ParseSplitSpec("time:2d"));
  ASSERT_OK_AND_ASSIGN(r, Tune(train, o, [&](const json& p) {
                         auto m = std::make_unique<GroupModel>(p, &fit_nnz);
                         m->fit_now = &fit_now;
                         return StatusOr<std::unique_ptr<models::Model>>(std::move(m));
                       }));
  EXPECT_EQ(fit_nnz, train.matrix.nnz() - 3 * 60);
  EXPECT_EQ(fit_now, 5 * 86400);
  EXPECT_EQ(r.trials[0].users, 60u);
  // Leave the last one out.
  ASSERT_OK_AND_ASSIGN(o.validation_split, ParseSplitSpec("last:1"));
  ASSERT_OK_AND_ASSIGN(r, Tune(train, o, make));
  EXPECT_EQ(fit_nnz, train.matrix.nnz() - 60);
  // A bad ratio is the split's error, in context.
  o.validation_split = {SplitSpec::Kind::kRandom, 1.5};
  EXPECT_THAT(Tune(train, o, make),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tune validation split")));
}

TEST(TuneTest, MirrorSplitKeepsTheKindAndTheLengthOfTheEvaluation) {
  const Dataset data = DatedGroupData();  // now = day 8
  ASSERT_OK_AND_ASSIGN(SplitSpec random, ParseSplitSpec("random:0.25"));
  SplitSpec m = MirrorSplit(random, data);
  EXPECT_EQ(m.kind, SplitSpec::Kind::kRandom);
  EXPECT_EQ(m.ratio, 0.25);
  ASSERT_OK_AND_ASSIGN(SplitSpec days, ParseSplitSpec("time:30d"));
  m = MirrorSplit(days, data);
  EXPECT_EQ(m.kind, SplitSpec::Kind::kTime);
  EXPECT_EQ(m.last_days, 30);
  ASSERT_OK_AND_ASSIGN(SplitSpec last, ParseSplitSpec("last:3"));
  EXPECT_EQ(MirrorSplit(last, data).n, 3);
  // A fixed date 2.5 days before the end: a validation period of 3 days.
  SplitSpec dated{SplitSpec::Kind::kTime};
  dated.cutoff = 8 * 86400 - 2 * 86400 - 43200;
  m = MirrorSplit(dated, data);
  EXPECT_EQ(m.kind, SplitSpec::Kind::kTime);
  EXPECT_EQ(m.last_days, 3);
  // A cut-off at or after the end still holds out one day.
  dated.cutoff = 9 * 86400;
  EXPECT_EQ(MirrorSplit(dated, data).last_days, 1);
}

TEST(TuneTest, PointerKeysReachNestedParams) {
  const Dataset train = GroupData();
  TuneOptions o;
  o.base = {{"parts", json::array({{{"w", 1}}, {{"w", 2}}})}};
  o.space = {{"/parts/1/w", {0, 5}}};
  o.trials = 2;
  // The candidate is good when its second part's weight is near 5.
  auto make = [](const json& p) -> StatusOr<std::unique_ptr<models::Model>> {
    return MakeGroupModel({{"x", p.at("parts").at(1).at("w")}});
  };
  ASSERT_OK_AND_ASSIGN(TuneResult r, Tune(train, o, make));
  EXPECT_EQ(r.trials.size(), 2u);
  EXPECT_EQ(r.best_params, json({{"parts", json::array({{{"w", 1}}, {{"w", 5}}})}}));

  auto expect = [&](json space, const char* what) {
    o.space = std::move(space);
    EXPECT_THAT(Tune(train, o, make), StatusIs(StatusCode::kInvalidArgument, HasSubstr(what)))
        << o.space.dump();
  };
  expect({{"/missing/w", {1}}}, "\"/missing\" must be an object or array there");
  expect({{"/parts/7/w", {1}}}, "\"/parts/7\" must be an object or array there");
  expect({{"/parts/x", {1}}}, "expected an index below 2 into \"/parts\"");
  expect({{"/parts/2", {1}}}, "expected an index below 2");
  expect({{"/a~2", {1}}}, "expected a parameter name or a JSON pointer");
}

TEST(TuneTest, RandomSearchCoversASmallGridOnce) {
  const Dataset train = GroupData();
  TuneOptions o;
  o.space = {{"x", {1, 3, 5, 7, 9}}, {"y", {"a", "b"}}};
  o.trials = 30;
  o.max_users = 20;
  ASSERT_OK_AND_ASSIGN(TuneResult r, Tune(train, o, MakeGroupModel));
  EXPECT_EQ(r.trials.size(), 10u);  // the whole grid, no repeats
  EXPECT_EQ(r.best_params["x"], 5);
  for (const Trial& t : r.trials) EXPECT_EQ(t.users, 20u);
}

TuneOptions HalvingOptions() {
  TuneOptions o;
  o.strategy = "halving";
  o.space = {{"x", {{"min", 0}, {"max", 10}, {"int", true}}}};
  o.trials = 9;
  o.eta = 3;
  o.seed = 11;
  return o;
}

TEST(TuneTest, HalvingKeepsTheBestThirdOnMoreUsers) {
  const Dataset train = GroupData();
  const TuneOptions o = HalvingOptions();
  ASSERT_OK_AND_ASSIGN(TuneResult r, Tune(train, o, MakeGroupModel));
  // Rung 0: 9 candidates on 30 users; rung 1: the best 3 on all 60.
  ASSERT_EQ(r.trials.size(), 12u);
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(r.trials[i].rung, 0);
    EXPECT_EQ(r.trials[i].users, 30u);
    EXPECT_TRUE(r.trials[i].params["x"].is_number_integer());
  }
  for (size_t i = 9; i < 12; ++i) {
    EXPECT_EQ(r.trials[i].rung, 1);
    EXPECT_EQ(r.trials[i].users, 60u);
  }
  EXPECT_LE(std::abs(r.best_params["x"].get<int>() - 5), 1) << r.ToJson().dump();
  EXPECT_GT(r.best_score, 0.5);
}

TEST(TuneTest, DeterministicForASeed) {
  const Dataset train = GroupData();
  TuneOptions o = HalvingOptions();
  o.space["z"] = {{"min", 0.01}, {"max", 100}, {"log", true}};
  ASSERT_OK_AND_ASSIGN(TuneResult a, Tune(train, o, MakeGroupModel));
  ASSERT_OK_AND_ASSIGN(TuneResult b, Tune(train, o, MakeGroupModel));
  auto strip = [](json j) {
    for (json& t : j["trials"]) t.erase("seconds");
    return j;
  };
  EXPECT_EQ(strip(a.ToJson()), strip(b.ToJson()));
  o.seed = 12;
  ASSERT_OK_AND_ASSIGN(TuneResult c, Tune(train, o, MakeGroupModel));
  EXPECT_NE(strip(a.ToJson())["trials"], strip(c.ToJson())["trials"]);
  for (const Trial& t : a.trials) {
    const double z = t.params["z"].get<double>();
    EXPECT_GE(z, 0.01);
    EXPECT_LE(z, 100);
  }
}

TEST(TuneTest, RejectsMalformedSpace) {
  const Dataset train = GroupData();
  auto expect = [&](json space, const char* what) {
    TuneOptions o;
    o.space = std::move(space);
    EXPECT_THAT(Tune(train, o, MakeGroupModel),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(what)))
        << o.space.dump();
  };
  expect({{"x", "abc"}}, "tune space: \"x\": expected a non-empty list of choices");
  expect({{"x", json::array()}}, "\"x\": expected a non-empty list of choices");
  expect({{"x", {{"min", 1}}}}, "\"x\": expected a non-empty list");
  expect({{"x", {{"min", 2}, {"max", 1}}}}, "with min <= max");
  expect({{"x", {{"min", "a"}, {"max", 1}}}}, "\"x.min\": expected a number");
  expect({{"x", {{"min", 0}, {"max", 1}, {"log", true}}}}, "\"x\": expected min > 0");
  expect({{"x", {{"min", 0}, {"max", 1}, {"int", 1}}}}, "\"x.int\": expected true or false");
  expect({{"x", {{"min", 0.2}, {"max", 0.8}, {"int", true}}}}, "an integer between min and max");
  expect({{"x", {{"min", 0}, {"max", 1}, {"step", 1}}}}, "only the fields min, max, log and int");
  expect(json::array({1, 2}), "tune space: expected a JSON object");
}

TEST(TuneTest, RejectsBadOptionsAndPassesOnFactoryErrors) {
  const Dataset train = GroupData();
  TuneOptions o;
  o.space = {{"x", {1, 5}}};
  o.metric = "ndcg";
  EXPECT_THAT(Tune(train, o, MakeGroupModel),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected NAME@K")));
  o.metric = "ndcg@10";
  o.strategy = "grid";
  EXPECT_THAT(Tune(train, o, MakeGroupModel),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected random or halving")));
  o.strategy = "random";
  o.base = json::array();
  EXPECT_THAT(Tune(train, o, MakeGroupModel),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tune base params")));
  o.base = json::object();
  EXPECT_THAT(
      Tune(train, o,
           [](const json& p) -> StatusOr<std::unique_ptr<models::Model>> {
             if (p["x"] == 5) return Status::InvalidArgument("x: too good");
             return MakeGroupModel(p);
           }),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("tune: candidate {\"x\":5}: x: too good")));
}

}  // namespace
}  // namespace recmart::eval
