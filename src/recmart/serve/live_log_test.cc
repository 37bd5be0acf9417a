// The live logs' record lines and segment order, and the user table over
// the lake's users with live records on top.
#include "recmart/serve/live_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "recmart/abtest/abtest.h"
#include "recmart/common/testing.h"
#include "recmart/serve/catalog.h"

namespace recmart::serve {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Record MakeRecord(std::span<const FieldDef> defs,
                  std::vector<std::pair<std::string_view, std::string>> strings,
                  std::vector<std::pair<std::string_view, double>> numbers) {
  Record r;
  r.strings.assign(defs.size(), "");
  r.numbers.assign(defs.size(), kNaN);
  for (auto& [name, v] : strings) {
    const int f = FieldIndex(defs, name);
    r.strings[static_cast<size_t>(f)] = v;
    r.present |= 1u << f;
  }
  for (auto& [name, v] : numbers) {
    const int f = FieldIndex(defs, name);
    r.numbers[static_cast<size_t>(f)] = v;
    r.present |= 1u << f;
  }
  return r;
}

TEST(LiveLogTest, ItemLinesCarryTheSentFieldsAndReadBack) {
  const Record r =
      MakeRecord(kItemFieldDefs, {{"TITLE", "Mug \"large\" \\ caf\xc3\xa9"}, {"AVAILABLE", "no"}},
                 {{"PRICE", 19.99}, {"CREATION_TIMESTAMP", 1732000000}});
  std::string line;
  AppendRecordLine(LiveLogKind::kItems, "i\"9", r, 1732000000456, &line);
  EXPECT_EQ(line,
            "{\"itemId\":\"i\\\"9\",\"receivedAt\":1732000000456,\"TITLE\":\"Mug \\\"large\\\" "
            "\\\\ caf\xc3\xa9\",\"AVAILABLE\":\"no\",\"PRICE\":19.99,"
            "\"CREATION_TIMESTAMP\":1732000000}\n");
  auto back =
      ParseRecordLine(LiveLogKind::kItems, std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first, "i\"9");
  EXPECT_EQ(back->second.present, r.present);
  EXPECT_EQ(back->second.strings, r.strings);
  EXPECT_EQ(back->second.numbers[6], 19.99);
  EXPECT_EQ(back->second.numbers[7], 1732000000);
  EXPECT_TRUE(std::isnan(back->second.numbers[0]));
}

TEST(LiveLogTest, UserLinesAndWhatIsNotARecord) {
  const Record r = MakeRecord(kUserFieldDefs, {{"SEGMENT", "b2b"}}, {});
  std::string line;
  AppendRecordLine(LiveLogKind::kUsers, "u1", r, 5, &line);
  EXPECT_EQ(line, "{\"userId\":\"u1\",\"receivedAt\":5,\"SEGMENT\":\"b2b\"}\n");
  auto back = ParseRecordLine(LiveLogKind::kUsers, line);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->second.strings[0], "b2b");
  EXPECT_EQ(back->second.present, 1u);
  // Torn, foreign or id-less lines are not records; a user line is not an item.
  EXPECT_FALSE(ParseRecordLine(LiveLogKind::kUsers, "{\"userId\":\"u1\",\"SEG").has_value());
  EXPECT_FALSE(ParseRecordLine(LiveLogKind::kUsers, "{\"SEGMENT\":\"b2b\"}").has_value());
  EXPECT_FALSE(ParseRecordLine(LiveLogKind::kUsers, "{\"userId\":\"\"}").has_value());
  EXPECT_FALSE(ParseRecordLine(LiveLogKind::kItems, line).has_value());
  EXPECT_FALSE(ParseRecordLine(LiveLogKind::kUsers, "[1]").has_value());
  // A value of the wrong type is skipped, not a crash.
  auto odd = ParseRecordLine(LiveLogKind::kUsers, "{\"userId\":\"u2\",\"SEGMENT\":7}");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->second.present, 0u);
}

TEST(LiveLogTest, EventLinesAsTheLiveStoreKeepsThem) {
  abtest::LoggedEvent e;
  e.event_id = "e-1";
  e.session_id = "s1";
  e.event_type = "purchase";
  e.item_id = "i9";
  e.sent_at = 1732000000;
  auto back = ParseLiveEventLine(abtest::FormatEventLine(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->key, "s1");  // no user: the session
  EXPECT_EQ(back->event.item, "i9");
  EXPECT_EQ(back->event.event_type, "purchase");
  EXPECT_EQ(back->event.ts, 1732000000);
  EXPECT_EQ(back->event.session, "s1");
  e.user_id = "u1";
  EXPECT_EQ(ParseLiveEventLine(abtest::FormatEventLine(e))->key, "u1");
  EXPECT_FALSE(ParseLiveEventLine("{\"eventType\":\"view\",\"itemId\":\"i\"}").has_value());
}

TEST(LiveLogTest, SegmentsInTheOrderTheyWereWritten) {
  testing::TempDir dir;
  for (const char* name :
       {"events-1000-7-1.jsonl.open", "events-999-7-0.jsonl", "events-1000-7-0.jsonl",
        "events-1000-3-9.jsonl", "old.jsonl", "notes.txt"}) {
    std::ofstream(dir.path() + "/" + name) << "{}\n";
  }
  auto segs = ListSegments(dir.path(), "events");
  ASSERT_TRUE(segs.ok()) << segs.status().ToString();
  std::vector<std::string> names;
  for (const std::string& p : *segs) names.push_back(std::filesystem::path(p).filename().string());
  // Numeric, not lexicographic: 999 ms comes before 1000 ms.
  EXPECT_THAT(names,
              ::testing::ElementsAre("old.jsonl", "events-999-7-0.jsonl", "events-1000-3-9.jsonl",
                                     "events-1000-7-0.jsonl", "events-1000-7-1.jsonl.open"));
  auto none = ListSegments(dir.path() + "/absent", "events");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(UserTableTest, LiveRecordsOverTheLakesUsers) {
  auto base = std::make_shared<BaseRecords>(kUserFieldDefs);
  base->Add("u1", MakeRecord(kUserFieldDefs, {{"SEGMENT", "b2c"}, {"COUNTRY", "FR"}},
                             {{"CREATION_TIMESTAMP", 100}}));
  base->Add("u2", MakeRecord(kUserFieldDefs, {{"COUNTRY", "FR"}}, {}));
  LiveStore live;
  live.SetUserBase(base);
  live.PutUsers({{"u1", MakeRecord(kUserFieldDefs, {{"SEGMENT", "b2b"}}, {})},
                 {"u3", MakeRecord(kUserFieldDefs, {{"COUNTRY", "DE"}}, {})}});
  UserTable t(live.user_base(), live.users());
  const int64_t u1 = t.Row("u1"), u2 = t.Row("u2"), u3 = t.Row("u3");
  ASSERT_GE(u1, 0);
  ASSERT_GE(u2, 0);
  ASSERT_GE(u3, 0);
  EXPECT_EQ(t.Row("u4"), -1);
  // A live field replaces the lake's; fields not sent fall back to it.
  EXPECT_EQ(t.String("SEGMENT", static_cast<size_t>(u1)), "b2b");
  EXPECT_EQ(t.String("COUNTRY", static_cast<size_t>(u1)), "FR");
  EXPECT_EQ(t.Number("CREATION_TIMESTAMP", static_cast<size_t>(u1)), 100);
  // Lake-only and live-only users.
  EXPECT_EQ(t.String("COUNTRY", static_cast<size_t>(u2)), "FR");
  EXPECT_EQ(t.String("SEGMENT", static_cast<size_t>(u2)), "");
  EXPECT_TRUE(std::isnan(t.Number("CREATION_TIMESTAMP", static_cast<size_t>(u2))));
  EXPECT_EQ(t.String("COUNTRY", static_cast<size_t>(u3)), "DE");
  // Setting a base changes the table's version (cached results go stale).
  const uint64_t v = t.version();
  live.SetUserBase(std::make_shared<BaseRecords>(kUserFieldDefs));
  UserTable empty_base(live.user_base(), live.users());
  EXPECT_NE(empty_base.version(), v);
  EXPECT_EQ(empty_base.Row("u2"), -1);
  EXPECT_EQ(empty_base.String("COUNTRY", static_cast<size_t>(empty_base.Row("u1"))), "");
}

}  // namespace
}  // namespace recmart::serve
