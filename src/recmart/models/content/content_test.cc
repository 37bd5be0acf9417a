// Tokens, TF-IDF weights and cosines on tiny catalogs, save/load of the
// index, and the "content" recipe's scores.
#include "recmart/models/content/content.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "recmart/common/testing.h"

namespace recmart::models {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

ItemAttributes Catalog(size_t n) {
  ItemAttributes a;
  a.Resize(n);
  return a;
}

TEST(ItemContentIndexTest, TokensOfEveryField) {
  ItemAttributes a = Catalog(3);
  a.title[0] = "The Trail-Runner 2, with GRIP (size 9)";
  a.category_l1[0] = " Shoes ";
  a.category_l2[0] = "Running";
  a.category_l3[0] = "Trail";
  a.brand[0] = "ACME";
  a.price[0] = 15.0;
  ContentOptions o;
  EXPECT_THAT(ItemContentIndex::Tokens(a, 0, o),
              ElementsAre("c1:shoes", "c2:shoes>running", "c3:shoes>running>trail", "b:acme", "p:3",
                          "w:trail", "w:runner", "w:grip", "w:size"));
  // A level without its parent is no path; log-scale price buckets (ratio 2:
  // 9 and 15 in [8, 16), 17 in [16, 32), 0.5 in [0.5, 1)); no price <= 0.
  a.category_l2[1] = "Orphan";
  a.price[1] = 17.0;
  EXPECT_THAT(ItemContentIndex::Tokens(a, 1, o), ElementsAre("p:4"));
  a.price[1] = 9.0;
  EXPECT_THAT(ItemContentIndex::Tokens(a, 1, o), ElementsAre("p:3"));
  a.price[1] = 0.5;
  EXPECT_THAT(ItemContentIndex::Tokens(a, 1, o), ElementsAre("p:-1"));
  a.price[1] = 0.0;
  EXPECT_TRUE(ItemContentIndex::Tokens(a, 1, o).empty());
  EXPECT_TRUE(ItemContentIndex::Tokens(a, 2, o).empty());
}

// item0 {c1:a, b:x}, item1 {c1:a, b:y}, item2 {c1:b, b:y}, item3 nothing.
// N = 3 items with tokens; idf = ln((1 + N) / (1 + df)) + 1:
//   df 2 (c1:a, b:y): ln(4/3) + 1 = 1.287682;  df 1 (b:x, c1:b): ln 2 + 1 = 1.693147.
// item0 = (1.287682, 1.693147) / sqrt(1.658125 + 2.866747 = 4.524872 -> 2.127175)
//       = (c1:a 0.605349, b:x 0.795960); item2 likewise (b:y 0.605349,
//       c1:b 0.795960); item1 = (c1:a, b:y) each 1/sqrt 2 = 0.707107.
// cos(0,1) = 0.605349 * 0.707107 = 0.428043 = cos(1,2); cos(0,2) = 0.
ItemAttributes FourItems() {
  ItemAttributes a = Catalog(4);
  a.category_l1 = {"A", "A", "B", ""};
  a.brand = {"x", "y", "y", ""};
  return a;
}

TEST(ItemContentIndexTest, TfIdfCosinesMatchHandComputedValues) {
  ContentOptions o;
  o.min_df = 1;
  ItemContentIndex index = ItemContentIndex::Build(FourItems(), o);
  EXPECT_EQ(index.num_items(), 4u);
  EXPECT_EQ(index.num_tokens(), 4u);
  EXPECT_FALSE(index.HasFeatures(3));
  std::vector<float> out(4);
  index.Related(1, out);
  EXPECT_NEAR(out[0], 0.428043, 1e-5);
  EXPECT_NEAR(out[1], 1.0, 1e-6);
  EXPECT_NEAR(out[2], 0.428043, 1e-5);
  EXPECT_EQ(out[3], 0.0f);
  index.Related(0, out);
  EXPECT_EQ(out[2], 0.0f);
  index.Related(3, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.0f, 0.0f, 0.0f));

  // Profile of {item0, item2}: the four tokens at 0.605349 / 0.795960, norm
  // sqrt(2); item0 and item2 score (0.605349^2 + 0.795960^2) / sqrt 2 =
  // 0.707107, item1 2 * 0.605349 * 0.707107 / sqrt 2 = 0.605349.
  std::vector<ItemIndex> items = {0, 2, 3};
  index.FromHistory(items, {}, out);
  EXPECT_NEAR(out[0], 0.707107, 1e-5);
  EXPECT_NEAR(out[1], 0.605349, 1e-5);
  EXPECT_NEAR(out[2], 0.707107, 1e-5);
  EXPECT_EQ(out[3], 0.0f);
  // Weights tilt the profile: only item0 counts.
  std::vector<float> weights = {1.0f, 0.0f, 7.0f};
  index.FromHistory(items, weights, out);
  EXPECT_NEAR(out[0], 1.0, 1e-6);
  EXPECT_NEAR(out[1], 0.428043, 1e-5);
  // Nothing with features: all 0.
  items = {3};
  index.FromHistory(items, {}, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.0f, 0.0f, 0.0f));
}

TEST(ItemContentIndexTest, RareTokensAreDropped) {
  // min_df 2 drops b:x and c1:b: item0 = {c1:a}, item1 = {c1:a, b:y} with
  // equal idf (df 2 both), cos = 1/sqrt 2.
  ItemContentIndex index = ItemContentIndex::Build(FourItems(), ContentOptions{});
  EXPECT_EQ(index.num_tokens(), 2u);
  std::vector<float> out(4);
  index.Related(0, out);
  EXPECT_NEAR(out[1], 0.707107, 1e-5);
}

TEST(ItemContentIndexTest, DeeperSharedCategoriesAreMoreSimilar) {
  ItemAttributes a = Catalog(4);
  a.category_l1 = {"Shoes", "Shoes", "Shoes", "Bags"};
  a.category_l2 = {"Running", "Running", "Hiking", "Travel"};
  a.title = {"light runner", "fast runner", "boot", "light bag"};
  ItemContentIndex index = ItemContentIndex::Build(a, ContentOptions{});
  std::vector<float> out(4);
  index.Related(0, out);
  EXPECT_GT(out[1], out[2]);  // same l2 and a title word
  EXPECT_GT(out[2], 0.0f);    // same l1
  EXPECT_GT(out[3], 0.0f);    // a title word
}

TEST(ItemContentIndexTest, SaveLoadRoundTrip) {
  ContentOptions o;
  o.min_df = 1;
  ItemContentIndex index = ItemContentIndex::Build(FourItems(), o);
  ArrayWriter w;
  index.Save(w);
  std::string path = std::filesystem::temp_directory_path() /
                     ("recmart_content_" + std::to_string(::getpid()) + ".bin");
  ASSERT_OK_AND_ASSIGN(json arrays, w.WriteFile(path));
  ASSERT_OK_AND_ASSIGN(ArrayReader r, ArrayReader::Open(path, arrays));
  ItemContentIndex loaded;
  ASSERT_OK(loaded.Load(r));
  std::filesystem::remove(path);
  std::vector<float> x(4), y(4);
  for (ItemIndex i = 0; i < 4; ++i) {
    index.Related(i, x);
    loaded.Related(i, y);
    EXPECT_EQ(x, y);
  }
}

TEST(ContentModelTest, ScoresFromHistoryAndRelatesByMetadata) {
  DatasetBuilder b;
  b.AddPair("u1", "i0", 1.0f);
  for (const char* item : {"i1", "i2", "i3"}) b.AddItem(item);
  Dataset d = std::move(b).Build();
  d.attributes.category_l1 = {"A", "A", "B", ""};
  d.attributes.brand = {"x", "y", "y", ""};
  ASSERT_OK_AND_ASSIGN(auto m, NewContentModel({{"min_df", 1}}));
  ASSERT_OK(m->Fit(d, TrainContext{}));
  EXPECT_EQ(m->num_items(), 4u);
  std::vector<float> out(4);
  m->ScoreUser({0, d.matrix.RowIndices(0), d.matrix.RowValues(0), true}, out);
  EXPECT_NEAR(out[1], 0.428043, 1e-5);  // cos(item0, item1) from the catalog above
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_TRUE(m->ScoreRelated(2, out));
  EXPECT_NEAR(out[1], 0.428043, 1e-5);
  EXPECT_FALSE(m->ScoreRelated(3, out)) << "no metadata, no related items";
  EXPECT_THAT(NewContentModel({{"price_bucket_ratio", 1}}).status(),
              ::recmart::testing::StatusIs(StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("content: price_bucket_ratio")));
}

}  // namespace
}  // namespace recmart::models
