#include "recmart/engine/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "recmart/common/testing.h"

namespace recmart::engine {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    models::DatasetBuilder b;
    b.AddPair("u1", "i1", 1, 0, 0);
    b.AddPair("u2", "i2", 1, 0, 0);
    b.AddPair("u2", "i1", 1, 0, 0);
    data_ = std::move(b).Build();
  }

  ModelBundle Bundle(const std::string& recipe) {
    StatusOr<ModelBundle> b = ModelBundle::Train(data_, recipe, nlohmann::json::object(), {});
    EXPECT_OK(b.status());
    return std::move(b).value();
  }

  ::recmart::testing::TempDir tmp_;
  const std::string& dir_ = tmp_.path();
  models::Dataset data_;
};

TEST_F(RegistryTest, VersionsPromotionAndRollback) {
  ASSERT_OK_AND_ASSIGN(ModelRegistry reg, ModelRegistry::Open(dir_ + "/models"));
  ASSERT_OK_AND_ASSIGN(std::string live, reg.Live());
  EXPECT_EQ(live, "");
  EXPECT_THAT(reg.Load("live").status(), StatusIs(StatusCode::kNotFound, HasSubstr("no live")));

  ModelBundle a = Bundle("popularity");
  ModelBundle b = Bundle("trending");
  ASSERT_OK_AND_ASSIGN(std::string v1, reg.Add(a));
  ASSERT_OK_AND_ASSIGN(std::string v2, reg.Add(b));
  EXPECT_EQ(v1, "v1");
  EXPECT_EQ(v2, "v2");
  ASSERT_OK_AND_ASSIGN(live, reg.Live());
  EXPECT_EQ(live, "v1") << "the first model becomes live";

  ASSERT_OK(reg.Promote("v2", "better"));
  ASSERT_OK_AND_ASSIGN(ModelBundle loaded, reg.Load(""));
  EXPECT_EQ(loaded.recipe(), "trending");
  EXPECT_EQ(loaded.manifest()["version"], "v2");

  ASSERT_OK_AND_ASSIGN(std::vector<VersionInfo> list, reg.List());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_FALSE(list[0].live);
  EXPECT_TRUE(list[1].live);
  EXPECT_EQ(list[0].recipe, "popularity");

  ASSERT_OK_AND_ASSIGN(std::string back, reg.Rollback());
  EXPECT_EQ(back, "v1");
  EXPECT_THAT(reg.Rollback().status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("no earlier live model")));

  ASSERT_OK(reg.UpdateMetrics("v2", {{"ndcg@10", 0.5}}));
  ASSERT_OK_AND_ASSIGN(nlohmann::json m, reg.Manifest("v2"));
  EXPECT_EQ(m["metrics"]["ndcg@10"], 0.5);
  EXPECT_FALSE(m.contains("arrays"));
  EXPECT_THAT(reg.Manifest("v9").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("'v9' does not exist")));
  EXPECT_THAT(reg.Promote("../etc"), StatusIs(StatusCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(RegistryTest, ACorruptBundleIsReportedNotLoaded) {
  ASSERT_OK_AND_ASSIGN(ModelRegistry reg, ModelRegistry::Open(dir_ + "/models"));
  ModelBundle a = Bundle("popularity");
  ASSERT_OK(reg.Add(a).status());
  // Truncate the arrays: the index now points past the end of the file.
  ASSERT_EQ(0, ::truncate((dir_ + "/models/v1/arrays.bin").c_str(), 10));
  EXPECT_THAT(reg.Load("v1").status(), StatusIs(StatusCode::kDataLoss, HasSubstr("outside")));
}

}  // namespace
}  // namespace recmart::engine
