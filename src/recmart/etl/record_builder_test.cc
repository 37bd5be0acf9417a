#include "recmart/etl/record_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace recmart::etl {
namespace {

using ::testing::Optional;

config::SourceConfig Events() {
  config::SourceConfig s;
  s.name = "e";
  s.kind = config::SourceKind::kEvents;
  s.columns = {{"USER_ID", "u"},
               {"ITEM_ID", "i"},
               {"TIMESTAMP", "t"},
               {"EVENT_TYPE", "type"},
               {"EVENT_VALUE", "v"}};
  s.timestamp.format = ingest::TimestampFormat::kAuto;
  return s;
}

// Builds a row whose values follow builder.source_columns() from a name→value map.
struct RowFixture {
  std::vector<std::string> storage;
  ingest::Row row;
  RowFixture(const RecordBuilder& b, const std::map<std::string, std::optional<std::string>>& v) {
    storage.reserve(b.source_columns().size());
    for (const auto& c : b.source_columns()) {
      auto it = v.find(c);
      if (it == v.end() || !it->second) {
        storage.emplace_back();
        row.values.push_back(std::nullopt);
      } else {
        storage.push_back(*it->second);
        row.values.push_back(std::string_view(storage.back()));
      }
    }
    row.line = 2;
  }
};

TEST(RecordBuilder, MapsAnEvent) {
  config::SourceConfig s = Events();
  s.event_types = {{"addtocart", "add_to_cart"}};
  RecordBuilder b(s);
  RowFixture f(b, {{"u", " 17850.0 "},
                   {"i", "85123A"},
                   {"t", "2010-12-01T08:26:00Z"},
                   {"type", "AddToCart"},
                   {"v", "2.55"}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_FALSE(out.rejection) << out.rejection->detail;
  ASSERT_TRUE(out.has_event);
  EXPECT_EQ(out.event.user_id, "17850");
  EXPECT_EQ(out.event.item_id, "85123A");
  EXPECT_EQ(out.event.timestamp, 1291191960);
  // "AddToCart" normalises to "add_to_cart", which is already canonical.
  EXPECT_EQ(out.event.event_type, "add_to_cart");
  EXPECT_THAT(out.event.event_value, Optional(2.55));
  EXPECT_THAT(out.event_day, Optional(ingest::EpochDay(1291191960)));
}

TEST(RecordBuilder, MapsThroughTheEventTypeTable) {
  config::SourceConfig s = Events();
  s.event_types = {{"transaction", "purchase"}};
  RecordBuilder b(s);
  RowFixture f(b, {{"u", "a"}, {"i", "b"}, {"t", "1700000000"}, {"type", " Transaction "}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_TRUE(out.has_event);
  EXPECT_EQ(out.event.event_type, "purchase");
  EXPECT_FALSE(out.event.event_value.has_value());
}

TEST(RecordBuilder, UnknownEventTypesKeptOrQuarantined) {
  config::SourceConfig s = Events();
  RowFixture* unused = nullptr;
  (void)unused;
  {
    RecordBuilder b(s);
    RowFixture f(b, {{"u", "a"}, {"i", "b"}, {"t", "1700000000"}, {"type", "Wish List"}});
    BuildOutput out;
    b.Build(f.row, &out);
    ASSERT_TRUE(out.has_event);
    EXPECT_EQ(out.event.event_type, "wish_list");
  }
  s.quarantine_unknown_event_types = true;
  RecordBuilder b(s);
  RowFixture f(b, {{"u", "a"}, {"i", "b"}, {"t", "1700000000"}, {"type", "Wish List"}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "unknown_event_type");
  EXPECT_FALSE(out.has_event);
}

TEST(RecordBuilder, RejectionsNameTheFieldAndColumn) {
  RecordBuilder b(Events());
  BuildOutput out;
  RowFixture bad_ts(b, {{"u", "a"}, {"i", "b"}, {"t", "soon"}, {"type", "view"}});
  b.Build(bad_ts.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "invalid_timestamp");
  EXPECT_EQ(out.rejection->detail,
            "TIMESTAMP (column t): 'soon' is not a timestamp in the configured format");
  EXPECT_FALSE(out.event_day);

  RowFixture no_user(b, {{"i", "b"}, {"t", "1700000000"}, {"type", "view"}});
  b.Build(no_user.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "missing_user_id");
  // A rejected row with a good timestamp still has its day, for reconciliation.
  EXPECT_THAT(out.event_day, Optional(ingest::EpochDay(1700000000)));

  RowFixture bad_value(
      b, {{"u", "a"}, {"i", "b"}, {"t", "1700000000"}, {"type", "view"}, {"v", "1,5"}});
  b.Build(bad_value.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "invalid_event_value");

  RowFixture long_id(b, {{"u", std::string(kMaxIdBytes + 1, 'x')},
                         {"i", "b"},
                         {"t", "1700000000"},
                         {"type", "view"}});
  b.Build(long_id.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "id_too_long");
}

TEST(RecordBuilder, EventTypeConstantWhenUnmapped) {
  config::SourceConfig s = Events();
  s.columns.erase("EVENT_TYPE");
  s.event_type_constant = "view";
  RecordBuilder b(s);
  RowFixture f(b, {{"u", "a"}, {"i", "b"}, {"t", "1700000000"}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_TRUE(out.has_event);
  EXPECT_EQ(out.event.event_type, "view");
}

config::SourceConfig Transactions() {
  config::SourceConfig s;
  s.name = "orders";
  s.kind = config::SourceKind::kTransactions;
  s.event_type_constant = "purchase";
  s.columns = {{"USER_ID", "c"},  {"ITEM_ID", "sku"}, {"TIMESTAMP", "t"},
               {"ORDER_ID", "o"}, {"QUANTITY", "q"},  {"UNIT_PRICE", "p"}};
  s.rules.cancelled_order_prefix = "C";
  return s;
}

TEST(RecordBuilder, TransactionValueIsQuantityTimesPrice) {
  RecordBuilder b(Transactions());
  RowFixture f(
      b,
      {{"c", "1"}, {"sku", "x"}, {"t", "1700000000"}, {"o", "536365"}, {"q", "6"}, {"p", "2.55"}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_TRUE(out.has_event);
  EXPECT_EQ(out.event.event_type, "purchase");
  EXPECT_DOUBLE_EQ(*out.event.event_value, 15.3);
  EXPECT_EQ(out.event.session_id, "536365");
}

TEST(RecordBuilder, TransactionRulesCanKeepAdjustments) {
  config::SourceConfig s = Transactions();
  BuildOutput out;
  {
    RecordBuilder b(s);
    RowFixture f(
        b, {{"c", "1"}, {"sku", "x"}, {"t", "1700000000"}, {"o", "1"}, {"q", "-2"}, {"p", "3"}});
    b.Build(f.row, &out);
    ASSERT_TRUE(out.rejection);
    EXPECT_EQ(out.rejection->reason, "non_positive_quantity");
    RowFixture c(
        b, {{"c", "1"}, {"sku", "x"}, {"t", "1700000000"}, {"o", "C1"}, {"q", "-2"}, {"p", "3"}});
    b.Build(c.row, &out);
    ASSERT_TRUE(out.rejection);
    EXPECT_EQ(out.rejection->reason, "cancelled_order");  // the cancellation rule comes first
  }
  s.rules.quarantine_non_positive_quantity = false;
  RecordBuilder b(s);
  RowFixture f(
      b, {{"c", "1"}, {"sku", "x"}, {"t", "1700000000"}, {"o", "1"}, {"q", "-2"}, {"p", "3"}});
  b.Build(f.row, &out);
  ASSERT_FALSE(out.rejection);
  EXPECT_DOUBLE_EQ(*out.event.event_value, -6);
}

TEST(RecordBuilder, ItemMetadataOnEventRows) {
  config::SourceConfig s = Events();
  s.item_columns = {{"CATEGORY_PATH", "cat"}, {"PRICE", "v"}, {"BRAND", "brand"}};
  RecordBuilder b(s);
  RowFixture f(b, {{"u", "a"},
                   {"i", "b"},
                   {"t", "1700000000"},
                   {"type", "view"},
                   {"v", "9.5"},
                   {"cat", "a.b.c.d"},
                   {"brand", ""}});
  BuildOutput out;
  b.Build(f.row, &out);
  ASSERT_TRUE(out.has_event);
  ASSERT_TRUE(out.has_item);
  EXPECT_EQ(out.item.item_id, "b");
  EXPECT_THAT(out.item.category_l1, Optional(std::string_view("a")));
  EXPECT_THAT(out.item.category_l2, Optional(std::string_view("b")));
  // The third level keeps the rest of a deeper path.
  EXPECT_THAT(out.item.category_l3, Optional(std::string_view("c.d")));
  EXPECT_FALSE(out.item.brand.has_value());  // empty is unknown, not ""
  EXPECT_THAT(out.item.price, Optional(9.5));
  EXPECT_THAT(out.item.updated_at, Optional(int64_t{1700000000}));
}

TEST(RecordBuilder, ItemsSourceAvailability) {
  config::SourceConfig s;
  s.name = "catalog";
  s.kind = config::SourceKind::kItems;
  s.columns = {{"ITEM_ID", "id"}, {"AVAILABLE", "stock"}};
  RecordBuilder b(s);
  BuildOutput out;
  for (const auto& [raw, want] :
       std::vector<std::pair<std::string, std::string>>{{"Yes", "yes"},
                                                        {"1", "yes"},
                                                        {"in_stock", "yes"},
                                                        {"FALSE", "no"},
                                                        {"out_of_stock", "no"}}) {
    RowFixture f(b, {{"id", "p1"}, {"stock", raw}});
    b.Build(f.row, &out);
    ASSERT_TRUE(out.has_item) << raw;
    EXPECT_THAT(out.item.available, Optional(std::string_view(want))) << raw;
  }
  RowFixture f(b, {{"id", "p1"}, {"stock", "perhaps"}});
  b.Build(f.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "invalid_available");
  EXPECT_FALSE(out.has_event);
}

TEST(RecordBuilder, ItemsAndUsersSourcesMayStateWhenARecordWasTrue) {
  config::SourceConfig items;
  items.name = "catalog";
  items.kind = config::SourceKind::kItems;
  items.columns = {{"ITEM_ID", "id"}, {"PRICE", "p"}, {"UPDATED_AT", "changed"}};
  RecordBuilder b(items);
  BuildOutput out;
  RowFixture f(b, {{"id", "p1"}, {"p", "3"}, {"changed", "2024-01-10T00:00:00Z"}});
  b.Build(f.row, &out);
  ASSERT_TRUE(out.has_item);
  EXPECT_THAT(out.item.updated_at, Optional(int64_t{1704844800}));
  RowFixture bad(b, {{"id", "p1"}, {"p", "3"}, {"changed", "soon"}});
  b.Build(bad.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "invalid_timestamp");

  config::SourceConfig users;
  users.name = "crm";
  users.kind = config::SourceKind::kUsers;
  users.columns = {{"USER_ID", "id"}, {"UPDATED_AT", "changed"}};
  RecordBuilder u(users);
  RowFixture g(u, {{"id", "c1"}, {"changed", "1700000000"}});
  u.Build(g.row, &out);
  ASSERT_TRUE(out.has_user);
  EXPECT_THAT(out.user.updated_at, Optional(int64_t{1700000000}));
}

TEST(RecordBuilder, ItemIdRulesThenTitleMatches) {
  config::SourceConfig s = Events();
  s.item_id_rules = {"trim", "upper", "strip_prefix:SKU-", "strip_leading_zeros"};
  auto matches = std::make_shared<ItemIdMap>();
  (*matches)["BLUE MUG"] = "42";
  RecordBuilder b(s, matches);
  BuildOutput out;
  RowFixture f(b, {{"u", "a"}, {"i", "sku-0042"}, {"t", "2024-01-01T00:00:00Z"}, {"type", "view"}});
  b.Build(f.row, &out);
  ASSERT_FALSE(out.rejection) << out.rejection->detail;
  EXPECT_EQ(out.event.item_id, "42");
  RowFixture g(b, {{"u", "a"}, {"i", "blue mug"}, {"t", "2024-01-01T00:00:00Z"}, {"type", "view"}});
  b.Build(g.row, &out);
  ASSERT_FALSE(out.rejection) << out.rejection->detail;
  EXPECT_EQ(out.event.item_id, "42");  // normalised to "BLUE MUG", then matched
  RowFixture h(b, {{"u", "a"}, {"i", "SKU-"}, {"t", "2024-01-01T00:00:00Z"}, {"type", "view"}});
  b.Build(h.row, &out);
  ASSERT_TRUE(out.rejection);
  EXPECT_EQ(out.rejection->reason, "missing_item_id");
}

}  // namespace
}  // namespace recmart::etl
