// The feature store end to end on a small lake built by the ETL: the
// values, the offline snapshot, the online store with its TTL, and the
// point-in-time training set — with planted late events that must not leak.
#include "recmart/features/features.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/etl/pipeline.h"
#include "recmart/lake/duckdb.h"

namespace recmart::features {
namespace {

using config::FeatureGroup;
using ::testing::HasSubstr;
using testing::StatusIs;

constexpr char kProject[] = R"([project]
lake = "lake"
[[sources]]
name = "events"
kind = "events"
path = "events.csv"
format = "csv"
[sources.columns]
USER_ID = "u"
ITEM_ID = "i"
TIMESTAMP = "t"
EVENT_TYPE = "e"
EVENT_VALUE = "v"
SESSION_ID = "s"
[[sources]]
name = "items"
kind = "items"
path = "items.csv"
format = "csv"
[sources.columns]
ITEM_ID = "i"
CATEGORY_L1 = "cat"
PRICE = "price"
CREATION_TIMESTAMP = "created"
[features.user]
features = ["recency_days", "frequency", "monetary", "events", "favourite_categories", "average_price"]
ttl_hours = 24
[features.item]
features = ["popularity", "conversion", "price_band", "age_days"]
windows_days = [1, 7]
price_band_edges = [50, 100]
[features.user_item]
features = ["events", "purchases", "recency_days"]
)";

// User a: view, cart and a purchase of x before Jan 5; a purchase of y at
// exactly 2024-01-05 00:00 (a label at that instant must not see it); a late
// purchase of x on Jan 10 (planted: it changes monetary, frequency, recency
// and the pair's purchases if it leaks).
constexpr char kEvents[] =
    "u,i,t,e,v,s\n"
    "a,x,2024-01-01T10:00:00Z,view,,s1\n"
    "a,x,2024-01-01T10:05:00Z,add_to_cart,,s1\n"
    "a,x,2024-01-02T00:00:00Z,purchase,10,o1\n"
    "b,x,2024-01-03T00:00:00Z,view,,s2\n"
    "b,y,2024-01-04T12:00:00Z,view,,s2\n"
    "a,y,2024-01-05T00:00:00Z,purchase,500,o2\n"
    "a,x,2024-01-10T00:00:00Z,purchase,1000,o3\n";
constexpr char kItems[] =
    "i,cat,price,created\n"
    "x,home,10,2023-12-01T00:00:00Z\n"
    "y,toys,120,2023-12-31T00:00:00Z\n"
    "z,toys,60,2024-02-01T00:00:00Z\n";

class FeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "events.csv") << kEvents;
    std::ofstream(dir_ / "items.csv") << kItems;
    auto p = config::ParseProject(kProject, dir_ / "recmart.toml", dir_.path());
    ASSERT_TRUE(p.ok()) << p.status();
    project_ = *p;
    auto r = etl::RunEtl(project_, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  nlohmann::json Online(FeatureGroup g, const std::string& id, int64_t now) {
    auto store = OnlineStore::Open(project_.features.online_store, true);
    EXPECT_TRUE(store.ok()) << store.status();
    auto f = ReadOnline(**store, project_.features, g, id, now);
    EXPECT_TRUE(f.ok()) << f.status();
    return OnlineFeaturesJson("id", id, *f, project_.features.group(g).ttl_hours);
  }
  testing::TempDir dir_;
  config::Project project_;
};

constexpr int64_t kWritten = 1800000000;

TEST_F(FeaturesTest, MaterializeAsOfADayWritesSnapshotsAndTheOnlineStore) {
  MaterializeOptions o;
  o.date = "2024-01-04";  // as of 2024-01-05 00:00: the purchase at that instant is out
  o.now = kWritten;
  auto r = Materialize(project_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->snapshot_date, "2024-01-04");
  EXPECT_EQ(r->as_of, 1704412800);
  ASSERT_EQ(r->groups.size(), 3u);
  EXPECT_EQ(r->groups[0].rows, 2u);  // users a, b
  EXPECT_EQ(r->groups[1].rows, 2u);  // items x, y (z is created later)
  EXPECT_EQ(r->groups[2].rows, 3u);  // (a,x) (b,x) (b,y)
  EXPECT_EQ(r->groups[0].file,
            project_.lake_root + "/features/user/snapshot_date=2024-01-04/part.parquet");

  nlohmann::json a = Online(FeatureGroup::kUser, "a", kWritten + 3600);
  EXPECT_EQ(a["status"], "ok");
  EXPECT_EQ(a["features"]["monetary"], 10.0);
  EXPECT_EQ(a["features"]["frequency"], 1);
  EXPECT_EQ(a["features"]["events"], 3);
  EXPECT_EQ(a["features"]["favourite_categories"], nlohmann::json::array({"home"}));
  EXPECT_DOUBLE_EQ(a["features"]["recency_days"].get<double>(), 3.0);  // Jan 2 → Jan 5
  EXPECT_EQ(a["asOf"], 1704412800);
  nlohmann::json x = Online(FeatureGroup::kItem, "x", kWritten);
  EXPECT_EQ(x["features"]["popularity_7d"], 2);
  EXPECT_EQ(x["features"]["popularity_1d"], 0);
  EXPECT_EQ(x["features"]["views"], 2);
  EXPECT_DOUBLE_EQ(x["features"]["view_to_cart"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(x["features"]["cart_to_purchase"].get<double>(), 1.0);
  EXPECT_EQ(x["features"]["price_band"], "<50");
  EXPECT_DOUBLE_EQ(x["features"]["age_days"].get<double>(), 35.0);
  EXPECT_EQ(Online(FeatureGroup::kItem, "y", kWritten)["features"]["price_band"], ">=100");
  nlohmann::json ax = Online(FeatureGroup::kUserItem, std::string("a\0x", 3), kWritten);
  EXPECT_EQ(ax["features"]["purchases"], 1);

  // Past the TTL (24 h): "expired", and none of the stale values.
  nlohmann::json old = Online(FeatureGroup::kUser, "a", kWritten + 24 * 3600 + 1);
  EXPECT_EQ(old["status"], "expired");
  EXPECT_FALSE(old.contains("features"));

  auto store = OnlineStore::Open(project_.features.online_store, true);
  ASSERT_TRUE(store.ok());
  EXPECT_THAT(ReadOnline(**store, project_.features, FeatureGroup::kUser, "nobody", kWritten),
              StatusIs(StatusCode::kNotFound, HasSubstr("no user features for 'nobody'")));

  // The offline snapshot is plain Parquet.
  auto db = lake::Database::Open("");
  auto conn = (*db)->Connect();
  auto n = conn->QueryScalar("SELECT monetary FROM read_parquet(" +
                             lake::SqlString(r->groups[0].file) + ") WHERE USER_ID = 'a'");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(**n, "10.0");
}

TEST_F(FeaturesTest, LaterSnapshotSeesLaterEvents) {
  MaterializeOptions o;  // default: the day of the latest event (Jan 10)
  o.now = kWritten;
  auto r = Materialize(project_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->snapshot_date, "2024-01-10");
  EXPECT_EQ(Online(FeatureGroup::kUser, "a", kWritten)["features"]["monetary"], 1510.0);
}

TEST_F(FeaturesTest, TrainingSetIsPointInTimeCorrect) {
  std::ofstream(dir_ / "labels.csv") << "user_id,item_id,timestamp,label\n"
                                        "a,x,2024-01-05T00:00:00Z,1\n"
                                        "a,x,1705017600,0\n"  // 2024-01-12
                                        "b,y,2024-01-04T00:00:00Z,1\n"
                                        "c,x,2024-01-05T00:00:00Z,0\n";
  TrainingSetOptions o{dir_ / "labels.csv", dir_ / "train.parquet"};
  auto r = BuildTrainingSet(project_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rows, 4u);
  EXPECT_THAT(r->columns, ::testing::IsSupersetOf({"user_id", "label", "user_monetary",
                                                   "item_popularity_7d", "ui_purchases"}));
  auto db = lake::Database::Open("");
  auto conn = (*db)->Connect();
  auto q = conn->Query(
      "SELECT user_monetary, user_frequency, user_events, ui_purchases, ui_recency_days, "
      "item_purchases FROM read_parquet(" +
      lake::SqlString(dir_ / "train.parquet") + ")");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->row_count(), 4u);
  // Label 1 (Jan 5 00:00): neither the purchase at that instant (500) nor the
  // planted late one (1000) is visible.
  EXPECT_EQ(q->GetDouble(0, 0), 10.0);
  EXPECT_EQ(q->GetInt64(1, 0), 1);
  EXPECT_EQ(q->GetInt64(2, 0), 3);
  EXPECT_EQ(q->GetInt64(3, 0), 1);
  EXPECT_DOUBLE_EQ(q->GetDouble(4, 0), 3.0);
  EXPECT_EQ(q->GetInt64(5, 0), 1);
  // Label 2 (Jan 12): both are in.
  EXPECT_EQ(q->GetDouble(0, 1), 1510.0);
  EXPECT_EQ(q->GetInt64(1, 1), 3);
  EXPECT_EQ(q->GetInt64(3, 1), 2);
  EXPECT_DOUBLE_EQ(q->GetDouble(4, 1), 2.0);
  EXPECT_EQ(q->GetInt64(5, 1), 2);
  // Label 3 (b, Jan 4 00:00): b's view of y at noon that day is in the future.
  auto b = conn->Query("SELECT user_events, ui_events FROM read_parquet(" +
                       lake::SqlString(dir_ / "train.parquet") + ") WHERE user_id = 'b'");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->GetInt64(0, 0), 1);
  EXPECT_EQ(b->GetInt64(1, 0), 0);
  // Label 4: a user with no history gets zero counts and NULL recency.
  auto c = conn->Query(
      "SELECT user_events, user_recency_days IS NULL, ui_purchases, item_purchases "
      "FROM read_parquet(" +
      lake::SqlString(dir_ / "train.parquet") + ") WHERE user_id = 'c'");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->GetInt64(0, 0), 0);
  EXPECT_EQ(c->GetString(1, 0), "true");
  EXPECT_EQ(c->GetString(2, 0), "0");  // a count, not NULL
  EXPECT_EQ(c->GetString(3, 0), "1");
}

// The catalog changes after the first load: x moves from "home" at 10 to
// "garden" at 200. The lake learns it when its newest event is Jan 10, so a
// label before then must see the old values and a label after, the new.
TEST_F(FeaturesTest, TrainingSetSeesItemMetadataAsItWasAtTheLabel) {
  std::ofstream(dir_ / "items.csv", std::ios::trunc) << "i,cat,price,created\n"
                                                        "x,garden,200,2023-12-01T00:00:00Z\n"
                                                        "y,toys,120,2023-12-31T00:00:00Z\n"
                                                        "z,toys,60,2024-02-01T00:00:00Z\n";
  auto r2 = etl::RunEtl(project_, {});
  ASSERT_TRUE(r2.ok()) << r2.status();
  auto db = lake::Database::Open("");
  auto conn = (*db)->Connect();
  auto history = conn->Query("SELECT ITEM_ID, PRICE, CATEGORY_L1, EFFECTIVE_TS FROM read_parquet(" +
                             lake::SqlString((dir_ / "lake/item_history") + "/*.parquet") +
                             ") ORDER BY ITEM_ID, EFFECTIVE_TS NULLS FIRST");
  ASSERT_TRUE(history.ok()) << history.status();
  // x twice (first record: since ever; the change: from Jan 10); y and z
  // once, since their second delivery repeats the first.
  ASSERT_EQ(history->row_count(), 4u);
  EXPECT_EQ(history->GetString(0, 1), "x");
  EXPECT_EQ(history->GetDouble(1, 1), 200.0);
  EXPECT_EQ(history->GetInt64(3, 1), 1704844800);  // 2024-01-10, the newest event
  EXPECT_TRUE(history->IsNull(3, 0));
  EXPECT_EQ(history->GetString(0, 2), "y");

  std::ofstream(dir_ / "labels.csv") << "user_id,item_id,timestamp,label\n"
                                        "a,x,2024-01-05T00:00:00Z,1\n"
                                        "a,x,2024-01-10T00:00:00Z,1\n"
                                        "a,x,2024-01-12T00:00:00Z,0\n";
  TrainingSetOptions o{dir_ / "labels.csv", dir_ / "train.parquet"};
  auto r = BuildTrainingSet(project_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  auto q = conn->Query(
      "SELECT item_price_band, user_average_price, user_favourite_categories::VARCHAR "
      "FROM read_parquet(" +
      lake::SqlString(dir_ / "train.parquet") + ") ORDER BY timestamp");
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->row_count(), 3u);
  // Jan 5: the old catalog. a saw x three times (10) before then.
  EXPECT_EQ(q->GetString(0, 0), "<50");
  EXPECT_DOUBLE_EQ(q->GetDouble(1, 0), 10.0);
  EXPECT_EQ(q->GetString(2, 0), "[home]");
  // Jan 10 00:00, the instant the change holds from: still before it.
  EXPECT_EQ(q->GetString(0, 1), "<50");
  // Jan 12: the new one — x at 200 (four events) and y at 120 (one).
  EXPECT_EQ(q->GetString(0, 2), ">=100");
  EXPECT_DOUBLE_EQ(q->GetDouble(1, 2), (4 * 200.0 + 120.0) / 5);
  EXPECT_EQ(q->GetString(2, 2), "[garden, toys]");

  // The same catalog again (a new mtime): read, but nothing new to record.
  std::filesystem::last_write_time(dir_ / "items.csv",
                                   std::filesystem::file_time_type::clock::now());
  auto r3 = etl::RunEtl(project_, {});
  ASSERT_TRUE(r3.ok()) << r3.status();
  auto again = conn->Query("SELECT count(*) FROM read_parquet(" +
                           lake::SqlString((dir_ / "lake/item_history") + "/*.parquet") + ")");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->GetInt64(0, 0), 4);
}

TEST_F(FeaturesTest, BadInputsAreOneLineErrors) {
  std::ofstream(dir_ / "bad.csv") << "user,item,ts,label\na,x,1,1\n";
  EXPECT_THAT(BuildTrainingSet(project_, {dir_ / "bad.csv", dir_ / "o.csv"}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("expected the columns user_id,item_id,timestamp,label")));
  std::ofstream(dir_ / "bad2.csv") << "user_id,item_id,timestamp,label\na,x,1,1\na,x,yesterday,0\n";
  EXPECT_THAT(BuildTrainingSet(project_, {dir_ / "bad2.csv", dir_ / "o.csv"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad2.csv:3: expected")));
  EXPECT_THAT(Materialize(project_, {.date = "2024-13-01"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("is not a date")));
  config::Project none = project_;
  none.features.user.enabled = none.features.item.enabled = none.features.user_item.enabled = false;
  EXPECT_THAT(Materialize(none, {}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("no feature groups configured")));
}

}  // namespace
}  // namespace recmart::features
