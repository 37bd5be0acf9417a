// LoadLakeData against a lake built by the real ETL: the matrix streamed in,
// with or without the events, and the event kinds a bundle keeps per pair.
#include "recmart/training/lake_dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "recmart/common/testing.h"
#include "recmart/engine/bundle.h"
#include "recmart/etl/pipeline.h"

namespace recmart::training {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

config::Project ShopProject(const ::recmart::testing::TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  std::ofstream(dir / "data/events.jsonl")
      << "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:00:00Z\",\"e\":\"view\"}\n"
         "{\"u\":\"a\",\"i\":\"x\",\"t\":\"2024-01-01T00:01:00Z\",\"e\":\"add_to_cart\"}\n"
         "{\"u\":\"a\",\"i\":\"y\",\"t\":\"2024-01-01T00:02:00Z\",\"e\":\"purchase\",\"v\":5}\n"
         "{\"u\":\"b\",\"i\":\"x\",\"t\":\"2024-01-02T00:00:00Z\",\"e\":\"purchase\",\"v\":5}\n"
         "{\"u\":\"b\",\"i\":\"z\",\"t\":\"2024-01-02T00:03:00Z\",\"e\":\"view\"}\n"
         "{\"u\":\"c\",\"i\":\"z\",\"t\":\"2024-01-03T00:00:00Z\",\"e\":\"share\"}\n";
  auto p = config::ParseProject(
      "[project]\nlake = \"lake\"\n[[sources]]\nname = \"s\"\nkind = \"events\"\n"
      "path = \"data/*.jsonl\"\nformat = \"jsonl\"\n[sources.columns]\nUSER_ID = \"u\"\n"
      "ITEM_ID = \"i\"\nTIMESTAMP = \"t\"\nEVENT_TYPE = \"e\"\nEVENT_VALUE = \"v\"\n",
      dir / "recmart.toml", dir.path());
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

TEST(LakeDatasetTest, EmptyLakeIsAFailedPrecondition) {
  ::recmart::testing::TempDir dir;
  config::Project p = ShopProject(dir);
  EXPECT_THAT(LoadLakeData(p, {}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("recmart etl")));
}

// Without the events, the matrix is the same and a bundle's per-pair event
// kinds come from the matrix's counts: the same as from the events.
TEST(LakeDatasetTest, WithoutEventsTheMatrixAndHistoryKindsAreTheSame) {
  ::recmart::testing::TempDir dir;
  config::Project p = ShopProject(dir);
  ASSERT_OK(etl::RunEtl(p, {}).status());
  LoadOptions with, without;
  without.events = false;
  ASSERT_OK_AND_ASSIGN(LakeData a, LoadLakeData(p, with));
  ASSERT_OK_AND_ASSIGN(LakeData b, LoadLakeData(p, without));
  EXPECT_EQ(a.dataset.events.size(), 6u);
  EXPECT_TRUE(b.dataset.events.empty());
  const models::CsrMatrix& m = b.dataset.matrix;
  ASSERT_EQ(m.nnz(), 5u);  // a-x, a-y, b-x, b-z, c-z
  auto vec = [](const auto& array) {
    return std::vector(array.data(), array.data() + array.size());
  };
  EXPECT_EQ(vec(a.dataset.matrix.indices), vec(m.indices));
  EXPECT_EQ(vec(a.dataset.matrix.indptr), vec(m.indptr));
  EXPECT_EQ(vec(a.dataset.matrix.values), vec(m.values));
  EXPECT_EQ(a.dataset.first_ts, b.dataset.first_ts);
  EXPECT_EQ(a.dataset.last_ts, b.dataset.last_ts);
  EXPECT_EQ(a.dataset.now, b.dataset.now);

  ASSERT_OK_AND_ASSIGN(engine::ModelBundle from_events,
                       engine::ModelBundle::Train(a.dataset, "popularity", {}, {}));
  ASSERT_OK_AND_ASSIGN(engine::ModelBundle from_matrix,
                       engine::ModelBundle::Train(b.dataset, "popularity", {}, {}));
  std::vector<uint8_t> ke(from_events.history_kinds().begin(), from_events.history_kinds().end());
  std::vector<uint8_t> km(from_matrix.history_kinds().begin(), from_matrix.history_kinds().end());
  EXPECT_EQ(ke, km);
  auto bit = [](models::EventKind k) { return uint8_t(1u << unsigned(k)); };
  // CSR order: users a, b, c; items x, y, z.
  EXPECT_EQ(km, (std::vector<uint8_t>{
                    uint8_t(bit(models::EventKind::kView) | bit(models::EventKind::kAddToCart)),
                    bit(models::EventKind::kPurchase), bit(models::EventKind::kPurchase),
                    bit(models::EventKind::kView), bit(models::EventKind::kOther)}));
}

}  // namespace
}  // namespace recmart::training
