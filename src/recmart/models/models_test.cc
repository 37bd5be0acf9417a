#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "recmart/common/testing.h"
#include "recmart/models/array_file.h"
#include "recmart/models/dataset.h"
#include "recmart/models/matrix.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"
#include "recmart/models/topk.h"

namespace recmart::models {
namespace {

using ::recmart::testing::StatusIs;
using ::recmart::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CsrMatrixTest, FromTripletsSortsAndSumsDuplicates) {
  CsrMatrix m =
      CsrMatrix::FromTriplets(3, 4, {{2, 1, 1.0f}, {0, 3, 2.0f}, {0, 1, 1.0f}, {2, 1, 0.5f}});
  EXPECT_EQ(m.nnz(), 3u);
  EXPECT_THAT(std::vector<uint32_t>(m.RowIndices(0).begin(), m.RowIndices(0).end()),
              ElementsAre(1u, 3u));
  EXPECT_EQ(m.RowSize(1), 0u);
  EXPECT_FLOAT_EQ(m.At(2, 1), 1.5f);
  EXPECT_FLOAT_EQ(m.At(1, 1), 0.0f);
  CsrMatrix t = m.Transposed();
  EXPECT_EQ(t.rows, 4u);
  EXPECT_EQ(t.cols, 3u);
  EXPECT_FLOAT_EQ(t.At(1, 2), 1.5f);
  EXPECT_FLOAT_EQ(t.At(3, 0), 2.0f);
  EXPECT_THAT(std::vector<uint32_t>(t.RowIndices(1).begin(), t.RowIndices(1).end()),
              ElementsAre(0u, 2u));
}

TEST(DatasetBuilderTest, MergesPairsAndSortsEvents) {
  DatasetBuilder b;
  b.AddPair("u1", "i1", 1.0f, 10, 20);
  b.AddPair("u2", "i2", 2.0f, 5, 5);
  b.AddPair("u1", "i1", 0.5f, 3, 30);
  b.AddEvent("u1", "i2", 50, EventKind::kPurchase, "o1");
  b.AddEvent("u1", "i1", 40, EventKind::kView);
  ItemIndex cold = b.AddItem("i3");
  b.attributes().Resize(3);
  b.attributes().category_l1[cold] = "shoes";
  Dataset d = std::move(b).Build();
  EXPECT_EQ(d.users.size(), 2u);
  EXPECT_EQ(d.items.size(), 3u);
  EXPECT_EQ(d.matrix.nnz(), 2u);
  EXPECT_FLOAT_EQ(d.matrix.At(d.users.Find("u1"), d.items.Find("i1")), 1.5f);
  EXPECT_EQ(d.first_ts[0], 3);
  EXPECT_EQ(d.last_ts[0], 30);
  ASSERT_EQ(d.events.size(), 2u);
  EXPECT_EQ(d.events[0].ts, 40);
  EXPECT_EQ(d.events[0].session, kNoSession);
  EXPECT_NE(d.events[1].session, kNoSession);
  EXPECT_EQ(d.now, 50);
  EXPECT_TRUE(d.attributes.HasMetadata(cold));
  EXPECT_FALSE(d.attributes.HasMetadata(d.items.Find("i1")));
}

struct DemoOptions {
  int factors = 8;
  double reg = 0.1;
  bool flag = false;
  std::string mode = "a";
  void Visit(ParamReader& r) {
    r.Get("factors", factors, 1, 100, "latent factors");
    r.Get("reg", reg, 0.0, 10.0, "regularization");
    r.Get("flag", flag, "a flag");
    r.Get("mode", mode, {"a", "b"}, "mode");
  }
};

// AddGroupedPair gives what AddPair gives, for grouped input (items in any
// order within a user, repeats summed), for input that turns out not to be
// grouped, and mixed with AddPair.
TEST(DatasetBuilderTest, GroupedPairsGiveTheSameDatasetAsPairs) {
  struct In {
    const char* user;
    const char* item;
    float score;
    int64_t first, last;
    uint8_t kinds;
  };
  const std::vector<In> grouped = {{"a", "x", 1, 5, 6, 1}, {"a", "z", 2, 1, 9, 4},
                                   {"a", "y", 1, 3, 3, 2}, {"a", "z", 0.5f, 0, 4, 1},
                                   {"b", "y", 3, 7, 7, 4}, {"d", "w", 1, 2, 2, 0}};
  const std::vector<In> scattered = [&] {
    std::vector<In> v = grouped;
    v.push_back({"a", "w", 2, 8, 8, 2});  // a again, after b and d
    return v;
  }();
  auto expect_same = [](const Dataset& want, const Dataset& got) {
    auto vec = [](const auto& a) { return std::vector(a.data(), a.data() + a.size()); };
    EXPECT_EQ(got.users.names(), want.users.names());
    EXPECT_EQ(got.items.names(), want.items.names());
    EXPECT_EQ(got.matrix.rows, want.matrix.rows);
    EXPECT_EQ(got.matrix.cols, want.matrix.cols);
    EXPECT_EQ(vec(got.matrix.indptr), vec(want.matrix.indptr));
    EXPECT_EQ(vec(got.matrix.indices), vec(want.matrix.indices));
    EXPECT_EQ(vec(got.matrix.values), vec(want.matrix.values));
    EXPECT_EQ(got.first_ts, want.first_ts);
    EXPECT_EQ(got.last_ts, want.last_ts);
    EXPECT_EQ(got.kinds, want.kinds);
    EXPECT_EQ(got.now, want.now);
  };
  for (const auto* input : {&grouped, &scattered}) {
    DatasetBuilder pairs, by_user, mixed;
    for (DatasetBuilder* b : {&pairs, &by_user, &mixed}) b->AddUser("c");  // a user without pairs
    for (size_t k = 0; k < input->size(); ++k) {
      const In& p = (*input)[k];
      pairs.AddPair(p.user, p.item, p.score, p.first, p.last, p.kinds);
      by_user.AddGroupedPair(p.user, p.item, p.score, p.first, p.last, p.kinds);
      if (k == 2) {
        mixed.AddPair(p.user, p.item, p.score, p.first, p.last, p.kinds);
      } else {
        mixed.AddGroupedPair(p.user, p.item, p.score, p.first, p.last, p.kinds);
      }
    }
    const Dataset want = std::move(pairs).Build();
    expect_same(want, std::move(by_user).Build());
    expect_same(want, std::move(mixed).Build());
    // a's z is summed (2 + 0.5) over both of its times and kinds.
    const UserIndex a = want.users.Find("a");
    const ItemIndex z = want.items.Find("z");
    EXPECT_EQ(want.matrix.At(a, z), 2.5f);
    ASSERT_EQ(want.kinds.size(), want.matrix.nnz());
  }
}

TEST(ParamReaderTest, FillsDefaultsAndOverrides) {
  DemoOptions o;
  nlohmann::json eff;
  ASSERT_OK(ReadParams(nlohmann::json{{"factors", 16}, {"mode", "b"}}, "p.json", o, &eff));
  EXPECT_EQ(o.factors, 16);
  EXPECT_EQ(o.mode, "b");
  EXPECT_DOUBLE_EQ(o.reg, 0.1);
  EXPECT_EQ(eff["factors"], 16);
  EXPECT_EQ(eff["reg"], 0.1);
  EXPECT_EQ(eff["flag"], false);
}

TEST(ParamReaderTest, RejectsBadValuesAndUnknownKeys) {
  DemoOptions o;
  EXPECT_THAT(ReadParams(nlohmann::json{{"factors", 1.5}}, "p.json", o),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("p.json: factors: expected an integer in [1, 100], got 1.5")));
  EXPECT_THAT(ReadParams(nlohmann::json{{"factors", 1000}}, "p.json", o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got 1000")));
  EXPECT_THAT(ReadParams(nlohmann::json{{"mode", "c"}}, "p.json", o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected one of a|b")));
  EXPECT_THAT(ReadParams(nlohmann::json{{"flag", 1}}, "p.json", o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("true or false")));
  EXPECT_THAT(ReadParams(nlohmann::json{{"factorz", 3}}, "p.json", o),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("factorz: unknown parameter (known: factors, reg, flag, mode)")));
  EXPECT_THAT(ReadParams(nlohmann::json::array(), "p.json", o),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected a JSON object")));
}

TEST(ArrayFileTest, RoundTripsEveryTypeThroughAMapping) {
  TempDir dir;
  ArrayWriter w;
  std::vector<float> f = {1.5f, -2.0f, 3.25f};
  std::vector<uint32_t> u = {7, 8};
  w.Add("f", std::span<const float>(f));
  w.Scoped("sub/").Add("u", std::span<const uint32_t>(u));
  w.AddStrings("ids", {"a", "", "ccc"});
  w.Add("m", DenseMatrix{2, 2, Array<float>(std::vector<float>{1, 2, 3, 4})});
  w.Add("csr", CsrMatrix::FromTriplets(2, 3, {{0, 2, 1.0f}, {1, 0, 2.0f}}));
  w.SetMeta("k", 42);
  std::string path = dir.path() + "/arrays.bin";
  ASSERT_OK_AND_ASSIGN(nlohmann::json index, w.WriteFile(path));

  ASSERT_OK_AND_ASSIGN(ArrayReader r, ArrayReader::Open(path, index));
  ASSERT_OK_AND_ASSIGN(Array<float> f2, r.Floats("f"));
  EXPECT_THAT(std::vector<float>(f2.begin(), f2.end()), ElementsAre(1.5f, -2.0f, 3.25f));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f2.data()) % 64, 0u);
  ASSERT_OK_AND_ASSIGN(Array<uint32_t> u2, r.Scoped("sub/").Uint32s("u"));
  EXPECT_THAT(std::vector<uint32_t>(u2.begin(), u2.end()), ElementsAre(7u, 8u));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids, r.Strings("ids"));
  EXPECT_THAT(ids, ElementsAre("a", "", "ccc"));
  ASSERT_OK_AND_ASSIGN(DenseMatrix m, r.Dense("m"));
  EXPECT_FLOAT_EQ(m.row(1)[0], 3.0f);
  ASSERT_OK_AND_ASSIGN(CsrMatrix c, r.Csr("csr"));
  EXPECT_FLOAT_EQ(c.At(1, 0), 2.0f);
  ASSERT_OK_AND_ASSIGN(nlohmann::json k, r.Meta("k"));
  EXPECT_EQ(k, 42);
  EXPECT_THAT(r.Floats("u").status(), StatusIs(StatusCode::kDataLoss, HasSubstr("missing")));
  EXPECT_THAT(r.Scoped("sub/").Floats("u").status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("is not f32")));
}

TEST(ArrayFileTest, RejectsAnIndexPointingOutsideTheFile) {
  TempDir dir;
  ArrayWriter w;
  std::vector<float> f = {1.0f};
  w.Add("f", std::span<const float>(f));
  std::string path = dir.path() + "/arrays.bin";
  ASSERT_OK_AND_ASSIGN(nlohmann::json index, w.WriteFile(path));
  index["f"]["count"] = 1000;
  EXPECT_THAT(ArrayReader::Open(path, index).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("outside the file")));
}

TEST(TopKTest, OrdersByScoreThenIndexAndHonoursExclusions) {
  std::vector<float> s = {0.5f, 2.0f, 1.0f, 2.0f, std::nanf(""), 3.0f};
  auto top = TopK(s, {.k = 3});
  EXPECT_THAT(top, ElementsAre(ScoredItem{5, 3.0f}, ScoredItem{1, 2.0f}, ScoredItem{3, 2.0f}));
  std::vector<ItemIndex> ex = {1, 5};
  top = TopK(s, {.k = 3, .exclude = ex});
  EXPECT_THAT(top, ElementsAre(ScoredItem{3, 2.0f}, ScoredItem{2, 1.0f}, ScoredItem{0, 0.5f}));
  std::vector<uint8_t> allowed = {1, 0, 1, 0, 1, 0};
  top = TopK(s, {.k = 5, .allowed = allowed});
  EXPECT_THAT(top, ElementsAre(ScoredItem{2, 1.0f}, ScoredItem{0, 0.5f}));
  EXPECT_TRUE(TopK(s, {.k = 0}).empty());
}

TEST(ParallelForTest, CoversTheRangeOnceWithFixedChunks) {
  std::vector<std::atomic<int>> hits(1000);
  std::atomic<int> chunks{0};
  ParallelFor(2, hits.size(), 64, [&](size_t b, size_t e) {
    EXPECT_EQ(b % 64, 0u);
    ++chunks;
    for (size_t i = b; i < e; ++i) ++hits[i];
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_EQ(chunks.load(), 16);
}

}  // namespace
}  // namespace recmart::models
