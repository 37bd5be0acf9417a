#include "recmart/eval/split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::eval {
namespace {

using models::Dataset;
using models::DatasetBuilder;
using models::EventKind;
using models::ItemIndex;
using ::recmart::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<ItemIndex> Row(const Dataset& d, const std::string& user) {
  auto r = d.matrix.RowIndices(d.users.Find(user));
  return {r.begin(), r.end()};
}

std::vector<ItemIndex> HeldOut(const Split& s, const std::string& user) {
  return s.test[s.train.users.Find(user)];
}

ItemIndex I(const Dataset& d, int i) { return d.items.Find("i" + std::to_string(i)); }

// Users a (5 items), b (4), c (1), d (2); one event per pair at its last time;
// item i9 has metadata only.
Dataset CountsData() {
  DatasetBuilder b;
  auto add = [&](const std::string& u, std::initializer_list<int> items) {
    for (int i : items) {
      b.AddPair(u, "i" + std::to_string(i), 1.0f + i, 100 + i, 200 + i);
      b.AddEvent(u, "i" + std::to_string(i), 200 + i, EventKind::kPurchase);
    }
  };
  add("a", {0, 1, 2, 3, 4});
  add("b", {1, 2, 5, 6});
  add("c", {0});
  add("d", {3, 7});
  b.attributes().Resize(b.AddItem("i9") + 1);
  b.attributes().brand[b.AddItem("i9")] = "acme";
  return std::move(b).Build();
}

// What every split must keep: same ids and shape, train + test == input per
// user, attributes copied, entry times and events consistent with train.
void ExpectPartition(const Dataset& in, const Split& s) {
  const Dataset& t = s.train;
  EXPECT_EQ(t.users.names(), in.users.names());
  EXPECT_EQ(t.items.names(), in.items.names());
  EXPECT_EQ(t.matrix.rows, in.matrix.rows);
  EXPECT_EQ(t.matrix.cols, in.matrix.cols);
  EXPECT_EQ(t.attributes.brand, in.attributes.brand);
  ASSERT_EQ(s.test.size(), in.users.size());
  EXPECT_EQ(t.first_ts.size(), t.matrix.nnz());
  EXPECT_EQ(t.last_ts.size(), t.matrix.nnz());
  for (uint32_t u = 0; u < in.matrix.rows; ++u) {
    auto tr = t.matrix.RowIndices(u);
    std::vector<ItemIndex> both(tr.begin(), tr.end());
    both.insert(both.end(), s.test[u].begin(), s.test[u].end());
    std::sort(both.begin(), both.end());
    auto orig = in.matrix.RowIndices(u);
    EXPECT_EQ(both, std::vector<ItemIndex>(orig.begin(), orig.end())) << "user " << u;
    EXPECT_TRUE(std::is_sorted(s.test[u].begin(), s.test[u].end()));
    for (ItemIndex i : tr) EXPECT_EQ(t.matrix.At(u, i), in.matrix.At(u, i));
  }
  for (const models::Event& e : t.events) {
    EXPECT_FALSE(std::binary_search(s.test[e.user].begin(), s.test[e.user].end(), e.item))
        << "event of a held-out pair kept";
  }
}

TEST(RandomSplitTest, HoldsOutRoundedShareOfEachUser) {
  const Dataset d = CountsData();
  ASSERT_OK_AND_ASSIGN(Split s, RandomSplit(d, 0.5, 7));
  ExpectPartition(d, s);
  // a: round(2.5) = 3 of 5; b: 2 of 4; c: one item stays; d: round(1) = 1 of 2.
  EXPECT_EQ(HeldOut(s, "a").size(), 3u);
  EXPECT_EQ(HeldOut(s, "b").size(), 2u);
  EXPECT_THAT(HeldOut(s, "c"), IsEmpty());
  EXPECT_EQ(HeldOut(s, "d").size(), 1u);
  EXPECT_EQ(s.num_test_pairs(), 6u);
  EXPECT_EQ(s.num_test_users(), 3u);
  // Every kept pair keeps its event; the held-out pairs' events are gone.
  EXPECT_EQ(s.train.events.size(), d.events.size() - 6);
  EXPECT_EQ(s.train.matrix.nnz(), d.matrix.nnz() - 6);

  // Clamped to [1, n - 1]: a tiny ratio still holds one out, a large one keeps one.
  ASSERT_OK_AND_ASSIGN(Split tiny, RandomSplit(d, 0.01, 7));
  EXPECT_EQ(HeldOut(tiny, "a").size(), 1u);
  ASSERT_OK_AND_ASSIGN(Split big, RandomSplit(d, 0.99, 7));
  EXPECT_EQ(HeldOut(big, "a").size(), 4u);
  EXPECT_EQ(HeldOut(big, "d").size(), 1u);
}

TEST(RandomSplitTest, DeterministicForASeed) {
  // A bigger data set so that different seeds are all but sure to differ.
  DatasetBuilder b;
  for (int u = 0; u < 50; ++u) {
    for (int i = 0; i < 20; ++i) {
      if ((u * 7 + i * 3) % 4 != 0) {
        b.AddPair("u" + std::to_string(u), "i" + std::to_string(i), 1.0f, 1, 2);
      }
    }
  }
  const Dataset d = std::move(b).Build();
  ASSERT_OK_AND_ASSIGN(Split s1, RandomSplit(d, 0.25, 42));
  ASSERT_OK_AND_ASSIGN(Split s2, RandomSplit(d, 0.25, 42));
  ASSERT_OK_AND_ASSIGN(Split s3, RandomSplit(d, 0.25, 43));
  ExpectPartition(d, s1);
  EXPECT_EQ(s1.test, s2.test);
  EXPECT_NE(s1.test, s3.test);
}

// Per-pair event kinds follow their pairs into the training side; a time
// split drops them (they are all-time, and would leak what came later).
TEST(RandomSplitTest, KeepsEventKindsWithTheirPairs) {
  DatasetBuilder b;
  for (int u = 0; u < 10; ++u) {
    for (int i = 0; i < 8; ++i) {
      b.AddPair("u" + std::to_string(u), "i" + std::to_string(i), 1.0f, i, i,
                static_cast<uint8_t>(1 + (u + i) % 7));
    }
  }
  const Dataset d = std::move(b).Build();
  ASSERT_EQ(d.kinds.size(), d.matrix.nnz());
  ASSERT_OK_AND_ASSIGN(Split s, RandomSplit(d, 0.25, 3));
  const Dataset& t = s.train;
  ASSERT_EQ(t.kinds.size(), t.matrix.nnz());
  for (uint32_t u = 0; u < t.matrix.rows; ++u) {
    auto row = t.matrix.RowIndices(u);
    for (size_t k = 0; k < row.size(); ++k) {
      const int user = std::stoi(t.users.name(u).substr(1));
      const int item = std::stoi(t.items.name(row[k]).substr(1));
      EXPECT_EQ(t.kinds[static_cast<size_t>(t.matrix.indptr[u]) + k], 1 + (user + item) % 7);
    }
  }
  ASSERT_OK_AND_ASSIGN(Split by_time, TimeSplit(d, 4));
  EXPECT_TRUE(by_time.train.kinds.empty());
}

TEST(RandomSplitTest, RejectsBadRatio) {
  const Dataset d = CountsData();
  for (double r : {0.0, 1.0, -0.5, 2.0}) {
    EXPECT_THAT(RandomSplit(d, r, 1),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected a ratio in (0, 1)")));
  }
}

// a: i0 (10..10), i1 (20..40, straddles 30), i2 (30..30), i3 (35..50);
// b: only i2 (31..31), after the cut-off; c: i0 (5..5).
Dataset TimeData() {
  DatasetBuilder b;
  b.AddPair("a", "i0", 1, 10, 10);
  b.AddPair("a", "i1", 2, 20, 40);
  b.AddPair("a", "i2", 1, 30, 30);
  b.AddPair("a", "i3", 1, 35, 50);
  b.AddPair("b", "i2", 1, 31, 31);
  b.AddPair("c", "i0", 1, 5, 5);
  b.AddEvent("a", "i0", 10, EventKind::kView);
  b.AddEvent("a", "i1", 20, EventKind::kView);
  b.AddEvent("a", "i1", 40, EventKind::kPurchase);
  b.AddEvent("a", "i2", 30, EventKind::kView);
  b.AddEvent("a", "i3", 35, EventKind::kView);
  b.AddEvent("b", "i2", 31, EventKind::kView);
  b.AddEvent("c", "i0", 5, EventKind::kView);
  return std::move(b).Build();
}

TEST(TimeSplitTest, HoldsOutPairsFirstSeenAtOrAfterTheCutoff) {
  const Dataset d = TimeData();
  ASSERT_OK_AND_ASSIGN(Split s, TimeSplit(d, 30));
  const Dataset& t = s.train;
  // a keeps i0 and the straddling i1; i2 (first at the cut-off) and i3 are tested.
  EXPECT_THAT(Row(t, "a"), ElementsAre(I(d, 0), I(d, 1)));
  EXPECT_THAT(HeldOut(s, "a"), ElementsAre(I(d, 2), I(d, 3)));
  // b had nothing before the cut-off: dropped from both sides.
  EXPECT_THAT(Row(t, "b"), IsEmpty());
  EXPECT_THAT(HeldOut(s, "b"), IsEmpty());
  EXPECT_THAT(Row(t, "c"), ElementsAre(I(d, 0)));
  EXPECT_THAT(HeldOut(s, "c"), IsEmpty());
  // i1's confidence is kept whole, its last time clamped below the cut-off.
  EXPECT_EQ(t.matrix.At(t.users.Find("a"), I(d, 1)), 2.0f);
  EXPECT_THAT(t.first_ts, ElementsAre(10, 20, 5));
  EXPECT_THAT(t.last_ts, ElementsAre(10, 29, 5));
  // Only events before the cut-off remain; now is the latest remaining time.
  ASSERT_EQ(t.events.size(), 3u);
  for (const models::Event& e : t.events) EXPECT_LT(e.ts, 30);
  EXPECT_EQ(t.now, 29);
  EXPECT_EQ(d.now, 50);
}

TEST(TimeSplitTest, CutoffLastDays) {
  Dataset d = TimeData();
  d.now = 10 * 86400;
  EXPECT_EQ(CutoffLastDays(d, 3), 7 * 86400);
}

TEST(LeaveLastNSplitTest, HoldsOutMostRecentItems) {
  DatasetBuilder b;
  b.AddPair("a", "i0", 1, 0, 10);
  b.AddPair("a", "i1", 1, 0, 40);
  b.AddPair("a", "i2", 1, 0, 30);
  b.AddPair("a", "i3", 1, 0, 50);
  // e: i4 and i5 tie at 100; the higher index counts as more recent.
  b.AddPair("e", "i0", 1, 0, 50);
  b.AddPair("e", "i4", 1, 0, 100);
  b.AddPair("e", "i5", 1, 0, 100);
  b.AddPair("f", "i1", 1, 0, 10);
  b.AddEvent("a", "i3", 50, EventKind::kView);
  b.AddEvent("a", "i0", 10, EventKind::kView);
  const Dataset d = std::move(b).Build();

  ASSERT_OK_AND_ASSIGN(Split one, LeaveLastNSplit(d, 1));
  ExpectPartition(d, one);
  EXPECT_THAT(HeldOut(one, "a"), ElementsAre(I(d, 3)));
  EXPECT_THAT(HeldOut(one, "e"), ElementsAre(I(d, 5)));
  EXPECT_THAT(HeldOut(one, "f"), IsEmpty());  // only one item: stays in train
  ASSERT_EQ(one.train.events.size(), 1u);
  EXPECT_EQ(one.train.events[0].item, I(d, 0));
  EXPECT_EQ(one.train.now, 100);  // e's i4 remains

  ASSERT_OK_AND_ASSIGN(Split two, LeaveLastNSplit(d, 2));
  EXPECT_THAT(HeldOut(two, "a"), ElementsAre(I(d, 1), I(d, 3)));
  EXPECT_THAT(HeldOut(two, "e"), ElementsAre(I(d, 4), I(d, 5)));
  EXPECT_EQ(two.train.now, 50);

  EXPECT_THAT(LeaveLastNSplit(d, 0),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected n >= 1")));
}

TEST(SplitSpecTest, ParsesEachForm) {
  ASSERT_OK_AND_ASSIGN(SplitSpec r, ParseSplitSpec("random:0.25"));
  EXPECT_EQ(r.kind, SplitSpec::Kind::kRandom);
  EXPECT_EQ(r.ratio, 0.25);
  ASSERT_OK_AND_ASSIGN(SplitSpec t, ParseSplitSpec("time:2011-11-09"));
  EXPECT_EQ(t.kind, SplitSpec::Kind::kTime);
  EXPECT_EQ(t.cutoff, 1320796800);  // 2011-11-09T00:00:00Z
  EXPECT_EQ(t.last_days, 0);
  ASSERT_OK_AND_ASSIGN(SplitSpec days, ParseSplitSpec("time:30d"));
  EXPECT_EQ(days.kind, SplitSpec::Kind::kTime);
  EXPECT_EQ(days.last_days, 30);
  ASSERT_OK_AND_ASSIGN(SplitSpec last, ParseSplitSpec("last:2"));
  EXPECT_EQ(last.kind, SplitSpec::Kind::kLastN);
  EXPECT_EQ(last.n, 2);
}

TEST(SplitSpecTest, RejectsMalformedSpecs) {
  auto expect = [](const char* spec, const char* what) {
    EXPECT_THAT(ParseSplitSpec(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr(what)))
        << spec;
  };
  expect("random", "expected random:RATIO, time:YYYY-MM-DD, time:Nd or last:N");
  expect("shuffle:0.2", "expected random:RATIO, time:YYYY-MM-DD, time:Nd or last:N");
  expect("random:", "expected random:RATIO with RATIO in (0, 1)");
  expect("random:1.5", "expected random:RATIO with RATIO in (0, 1)");
  expect("random:0.2x", "expected random:RATIO with RATIO in (0, 1)");
  expect("time:2011-13-01", "expected time:YYYY-MM-DD");
  expect("time:2011-02-30", "expected time:YYYY-MM-DD");
  expect("time:11-11-09", "expected time:YYYY-MM-DD");
  expect("time:0d", "time:Nd");
  expect("time:xd", "time:Nd");
  expect("last:0", "expected last:N with an integer N >= 1");
  expect("last:one", "expected last:N with an integer N >= 1");
  EXPECT_THAT(ParseSplitSpec("last:x"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("split \"last:x\"")));
}

TEST(SplitSpecTest, MakeSplitAppliesTheSpec) {
  const Dataset d = TimeData();
  SplitSpec spec;
  spec.kind = SplitSpec::Kind::kTime;
  spec.cutoff = 30;
  ASSERT_OK_AND_ASSIGN(Split s, MakeSplit(d, spec, 1));
  EXPECT_THAT(HeldOut(s, "a"), ElementsAre(I(d, 2), I(d, 3)));
  // "time:1d" cuts one day before now: at 30 when now is 30 + 86400.
  Dataset later = TimeData();
  later.now = 30 + 86400;
  ASSERT_OK_AND_ASSIGN(SplitSpec days, ParseSplitSpec("time:1d"));
  ASSERT_OK_AND_ASSIGN(Split by_days, MakeSplit(later, days, 1));
  EXPECT_EQ(by_days.test, s.test);
  ASSERT_OK_AND_ASSIGN(SplitSpec last, ParseSplitSpec("last:1"));
  ASSERT_OK_AND_ASSIGN(Split l, MakeSplit(d, last, 1));
  EXPECT_THAT(HeldOut(l, "a"), ElementsAre(I(d, 3)));
}

}  // namespace
}  // namespace recmart::eval
