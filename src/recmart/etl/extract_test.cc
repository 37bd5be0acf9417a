// SQLite sources end to end: extraction by high-water mark, mixed with file
// sources in one lake, schema drift in the database, and the bad inputs
// (missing database, vanished table, query error) that must fail the run with
// one line and leave the lake as it was. PostgreSQL: extract_postgres_test.cc.
#include "recmart/etl/extract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/etl/mixed_sources_testlib.h"
#include "recmart/etl/pipeline.h"

namespace recmart::etl {
namespace {
namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testlib::WriteCatalogAndClicks(tmp_.path());
    db_path_ = tmp_ / "data/shop.db";
    Sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, order_id TEXT, customer_id TEXT, "
        "product_id TEXT, quantity INTEGER, unit_price REAL, ordered_at TEXT)");
    AddOrders(1, 5);
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  // Orders first..last: customer c<n%3+1> buys p<n%4+1>, one a day.
  void AddOrders(int first, int last, const std::string& extra_cols = "",
                 const std::string& extra_vals = "") {
    for (int n = first; n <= last; ++n) {
      Sql("INSERT INTO orders (order_id, customer_id, product_id, quantity, unit_price, "
          "ordered_at" +
          extra_cols + ") VALUES ('o" + std::to_string(n) + "', 'c" + std::to_string(n % 3 + 1) +
          "', 'p" + std::to_string(n % 4 + 1) + "', " + std::to_string(n % 2 + 1) + ", 9.5, '" +
          "2024-03-" + (n < 10 ? "0" : "") + std::to_string(n) + " 12:00:00'" + extra_vals + ")");
    }
  }

  config::Project Project(const std::string& extra = "incremental_column = \"id\"\n") {
    return testlib::ParseOrDie(tmp_.path(),
                               testlib::ProjectText("type = \"sqlite\"\nconnection = "
                                                    "\"data/shop.db\"\ntable = \"orders\"\n"
                                                    "batch_rows = 2\n" +
                                                    extra));
  }

  testing::TempDir tmp_;
  std::string db_path_;
};

TEST_F(SqliteSourceTest, OrdersFromTheDatabaseLandBesideFileSources) {
  config::Project p = Project();
  ASSERT_OK_AND_ASSIGN(EtlResult r, RunEtl(p, {}));
  EXPECT_EQ(r.accepted, 15u);  // 6 clicks, 5 orders, 4 products
  EXPECT_THAT(testlib::Rows(p, "SELECT SOURCE, count(*) FROM interactions GROUP BY ALL ORDER BY 1"),
              ElementsAre("clicks|6", "orders|5"));
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM items"), ElementsAre("4"));
  EXPECT_THAT(testlib::Rows(p,
                            "SELECT USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, EVENT_VALUE FROM "
                            "interactions WHERE SOURCE = 'orders' ORDER BY TIMESTAMP LIMIT 1"),
              ElementsAre("c2|p2|1709294400|purchase|19.0"));

  // Nothing new in the database: no extract, no run.
  ASSERT_OK_AND_ASSIGN(r, RunEtl(p, {}));
  EXPECT_TRUE(r.nothing_new);

  // Three new orders: only they are read (high-water mark id = 5).
  AddOrders(6, 8);
  std::vector<std::string> lines;
  EtlRunOptions o;
  o.log = [&](const std::string& l) { lines.push_back(l); };
  ASSERT_OK_AND_ASSIGN(r, RunEtl(p, o));
  EXPECT_EQ(r.files, 1);
  EXPECT_EQ(r.raw_rows, 3u);
  EXPECT_THAT(lines, Contains(HasSubstr("3 new rows from sqlite")));
  EXPECT_THAT(lines, Contains(HasSubstr("(high-water mark 8)")));
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM interactions WHERE SOURCE = 'orders'"),
              ElementsAre("8"));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> extracts, SourceFiles(p, p.sources[2]));
  ASSERT_EQ(extracts.size(), 2u);
  EXPECT_THAT(extracts[1], HasSubstr("/_recmart/extracts/orders/00000002.jsonl"));
  ASSERT_OK_AND_ASSIGN(std::vector<catalog::ColumnSchema> cols, ExtractSchema(extracts[1]));
  ASSERT_EQ(cols.size(), 7u);
  EXPECT_EQ(cols[0], (catalog::ColumnSchema{"id", "INTEGER"}));
  EXPECT_EQ(cols[5], (catalog::ColumnSchema{"unit_price", "REAL"}));
}

TEST_F(SqliteSourceTest, ExtractIsTheBookmarkAcrossAKilledRun) {
  config::Project p = Project();
  // Extraction alone (as a run killed before its commit would leave it).
  ASSERT_OK_AND_ASSIGN(auto ex, ExtractDatabaseSources(p, {}));
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].rows, 5);
  // Leftovers of a run killed while writing are removed, never ingested.
  std::ofstream(ExtractDir(p, p.sources[2]) + "/00000002.jsonl.tmp") << "{\"half\":";
  AddOrders(6, 6);
  ASSERT_OK_AND_ASSIGN(EtlResult r, RunEtl(p, {}));
  EXPECT_EQ(r.files, 4);  // products, clicks and the two extracts
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM interactions WHERE SOURCE = 'orders'"),
              ElementsAre("6"));
  EXPECT_FALSE(fs::exists(ExtractDir(p, p.sources[2]) + "/00000002.jsonl.tmp"));
}

TEST_F(SqliteSourceTest, SnapshotWithoutIncrementalColumnIsKeptOnlyWhenChanged) {
  config::Project p = Project("");
  ASSERT_OK_AND_ASSIGN(auto ex, ExtractDatabaseSources(p, {}));
  EXPECT_EQ(ex[0].rows, 5);
  ASSERT_OK_AND_ASSIGN(ex, ExtractDatabaseSources(p, {}));
  EXPECT_EQ(ex[0].rows, 0);
  EXPECT_EQ(ex[0].file, "");
  Sql("UPDATE orders SET quantity = 7 WHERE id = 1");
  ASSERT_OK_AND_ASSIGN(ex, ExtractDatabaseSources(p, {}));
  EXPECT_EQ(ex[0].rows, 5);
  EXPECT_THAT(ex[0].file, HasSubstr("00000002.jsonl"));
}

TEST_F(SqliteSourceTest, AddedColumnIsSchemaDriftUnderThePolicy) {
  config::Project fail = Project("incremental_column = \"id\"\non_schema_change = \"fail\"\n");
  ASSERT_OK(RunEtl(fail, {}).status());
  const auto before = testlib::LakeFiles(fail);
  Sql("ALTER TABLE orders ADD COLUMN coupon TEXT");
  AddOrders(6, 7, ", coupon", ", 'SPRING'");
  EXPECT_THAT(RunEtl(fail, {}),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("source 'orders': column 'coupon' added (TEXT) in")));
  EXPECT_EQ(testlib::LakeFiles(fail), before);

  // Under "log" the same extract goes in, the change recorded as observed.
  config::Project log = Project("incremental_column = \"id\"\non_schema_change = \"log\"\n");
  std::vector<std::string> lines;
  EtlRunOptions o;
  o.log = [&](const std::string& l) { lines.push_back(l); };
  ASSERT_OK_AND_ASSIGN(EtlResult r, RunEtl(log, o));
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_THAT(lines, Contains(HasSubstr("column 'coupon' added (TEXT)")));
  ASSERT_OK_AND_ASSIGN(auto cat, catalog::Catalog::Open(log.catalog_path));
  ASSERT_OK_AND_ASSIGN(auto history, cat->SchemaHistory("orders"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].state, "observed");
}

TEST_F(SqliteSourceTest, BadInputsFailWithOneLineAndKeepTheLake) {
  config::Project p = Project();
  ASSERT_OK(RunEtl(p, {}).status());
  const auto before = testlib::LakeFiles(p);
  ASSERT_FALSE(before.empty());
  auto one_line = Not(HasSubstr("\n"));

  // A query the database rejects.
  config::Project bad_query = testlib::ParseOrDie(
      tmp_.path(), testlib::ProjectText("type = \"sqlite\"\nconnection = \"data/shop.db\"\n"
                                        "query = \"SELECT id, nonsense FROM orders\"\n"
                                        "incremental_column = \"id\"\n"));
  StatusOr<EtlResult> r = RunEtl(bad_query, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument,
                          HasSubstr("source 'orders': query failed: no such column: nonsense")));
  EXPECT_THAT(r.status().message(), one_line);

  // The table vanished.
  Sql("DROP TABLE orders");
  r = RunEtl(p, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument,
                          HasSubstr("source 'orders': query failed: no such table: orders")));

  // The database file vanished.
  fs::remove(db_path_);
  r = RunEtl(p, {});
  EXPECT_THAT(r, StatusIs(StatusCode::kUnavailable,
                          HasSubstr("source 'orders': cannot open SQLite database")));
  EXPECT_THAT(r.status().message(), one_line);
  EXPECT_FALSE(fs::exists(db_path_)) << "a read must never create the database";
  EXPECT_EQ(testlib::LakeFiles(p), before);
  EXPECT_THAT(testlib::Rows(p, "SELECT count(*) FROM interactions"), ElementsAre("11"));
}

TEST(DatabaseSourceConfigTest, SecretsStayOutOfTheProjectFile) {
  auto parse = [](const std::string& block) {
    return config::ParseProject(
        "[project]\nlake = \"lake\"\n[[sources]]\nname = \"o\"\nkind = \"users\"\n" + block +
            "\n[sources.columns]\nUSER_ID = \"id\"\n",
        "shop.toml", "/srv/shop");
  };
  EXPECT_THAT(parse("type = \"postgres\"\nconnection = \"host=db password=hunter2\"\ntable = "
                    "\"users\""),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("shop.toml:7: sources[0].connection: must not contain a "
                                       "password"),
                             Not(HasSubstr("hunter2")))));
  EXPECT_THAT(parse("type = \"postgres\"\nconnection = \"postgresql://shop:hunter2@db/shop\"\n"
                    "table = \"users\""),
              StatusIs(StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
  EXPECT_THAT(parse("type = \"postgres\"\nconnection = \"postgresql://db/shop?password=hunter2\"\n"
                    "table = \"users\""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must not contain a password")));
  EXPECT_OK(parse("type = \"postgres\"\nconnection = \"host=db dbname=password_resets\"\n"
                  "table = \"users\"")
                .status());
  EXPECT_THAT(parse("type = \"sqlite\"\nconnection = \"shop.db\"\ntable = \"users\"\npath = "
                    "\"x.csv\""),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("sources[0].path: not used with type = \"sqlite\"")));
  EXPECT_THAT(
      parse("type = \"sqlite\"\nconnection = \"shop.db\"\ntable = \"users\"\nquery = "
            "\"SELECT 1\""),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected exactly one of table or query")));
  EXPECT_THAT(parse("type = \"postgres\"\nconnection = \"host=db\"\ntable = \"users\"\n"
                    "password_env = \"not a name\""),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("password_env: expected the name of an environment variable")));
  ASSERT_OK_AND_ASSIGN(config::Project p,
                       parse("type = \"postgres\"\nconnection = \"postgresql://shop@db/shop\"\n"
                             "password_env = \"SHOP_PG_PASSWORD\"\ntable = \"users\""));
  EXPECT_EQ(p.sources[0].path, "/srv/shop/lake/_recmart/extracts/o/*.jsonl");
  EXPECT_EQ(p.sources[0].database.password_env, "SHOP_PG_PASSWORD");
  ASSERT_OK_AND_ASSIGN(p, parse("type = \"sqlite\"\nconnection = \"data/shop.db\"\ntable = "
                                "\"users\""));
  EXPECT_EQ(p.sources[0].database.connection, "/srv/shop/data/shop.db");
}

}  // namespace
}  // namespace recmart::etl
