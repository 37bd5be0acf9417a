#include "recmart/lake/duckdb.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::lake {
namespace {

namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using ::testing::StartsWith;

MATCHER(IsOneLine, "") { return arg.find('\n') == std::string::npos; }

// Opening a DuckDB database costs ~0.1 s under the sanitizers (its
// allocations go through ASan), so the tests share one and each gets a fresh,
// empty in-memory catalog of its own (ATTACH + USE on its connection).
class DuckDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DatabaseOptions opts;
    opts.threads = 2;
    opts.memory_limit = "512MB";
    StatusOr<std::unique_ptr<Database>> db = Database::Open("", opts);
    ASSERT_OK(db);
    db_ = std::move(db).value();
  }
  static void TearDownTestSuite() { db_.reset(); }

  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "recmart_duckdb_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_NE(db_, nullptr);
    ASSERT_OK_AND_ASSIGN(Connection c, db_->Connect());
    conn_ = std::make_unique<Connection>(std::move(c));
    static int counter = 0;
    attached_ = "test_db_" + std::to_string(++counter);
    ASSERT_OK(conn_->Execute("ATTACH ':memory:' AS " + attached_ + "; USE " + attached_));
  }
  void TearDown() override {
    if (conn_) {
      EXPECT_OK(conn_->Execute("USE memory; DETACH " + attached_));
    }
    conn_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Scalar(const std::string& sql) {
    StatusOr<std::optional<std::string>> v = conn_->QueryScalar(sql);
    EXPECT_OK(v) << sql;
    if (!v.ok() || !v->has_value()) return "<null>";
    return **v;
  }

  static std::unique_ptr<Database> db_;
  std::string dir_;
  std::string attached_;
  std::unique_ptr<Connection> conn_;
};
std::unique_ptr<Database> DuckDbTest::db_;

// ---------------------------------------------------------------------------
// Database

// A streamed result arrives in several chunks, typed, with NULLs; every row
// once, in order.
TEST_F(DuckDbTest, StreamReadsEveryRowTyped) {
  size_t rows = 0, chunks = 0;
  int64_t sum = 0;
  double dsum = 0;
  size_t nulls = 0;
  std::string texts;
  ASSERT_OK(conn_->Stream(
      "SELECT i, 'id' || i AS s, i / 2.0 AS d, CASE WHEN i % 1000 = 0 THEN NULL ELSE i END AS n, "
      "i::INTEGER AS k, i % 2 = 0 AS b FROM range(10000) t(i) ORDER BY i",
      [&](const ChunkView& c) -> Status {
        ++chunks;
        for (size_t r = 0; r < c.size(); ++r) {
          const int64_t i = c.Int64(0, r);
          if (i != static_cast<int64_t>(rows)) return Status::Internal("out of order");
          if (c.Text(1, r) != "id" + std::to_string(i)) return Status::Internal("bad text");
          if (c.Int64(4, r) != i || c.Int64(5, r) != (i % 2 == 0 ? 1 : 0))
            return Status::Internal("bad integer");
          if (i < 3) texts += std::string(c.Text(1, r)) + ",";
          sum += i;
          dsum += c.Double(2, r);
          if (c.IsNull(3, r)) ++nulls;
          ++rows;
        }
        return Status::OK();
      }));
  EXPECT_EQ(rows, 10000u);
  EXPECT_GT(chunks, 1u);
  EXPECT_EQ(sum, 49995000);
  EXPECT_DOUBLE_EQ(dsum, 49995000 / 2.0);
  EXPECT_EQ(nulls, 10u);
  EXPECT_EQ(texts, "id0,id1,id2,");
}

TEST_F(DuckDbTest, StreamStopsAtTheFirstError) {
  // The callback's error ends the stream and is returned.
  size_t calls = 0;
  EXPECT_THAT(conn_->Stream("SELECT i FROM range(100000) t(i)",
                            [&](const ChunkView&) -> Status {
                              ++calls;
                              return Status::Internal("enough");
                            }),
              StatusIs(StatusCode::kInternal, HasSubstr("enough")));
  EXPECT_EQ(calls, 1u);
  // A type it cannot read in place is refused, naming the column.
  EXPECT_THAT(conn_->Stream("SELECT DATE '2024-01-01' AS day",
                            [](const ChunkView&) { return Status::OK(); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("day")));
  // So is bad SQL, and an error while running, in one line.
  EXPECT_THAT(conn_->Stream("SELEC 1", [](const ChunkView&) { return Status::OK(); }),
              StatusIs(StatusCode::kInternal, IsOneLine()));
  EXPECT_THAT(conn_->Stream("SELECT CAST('x' || i AS INTEGER) FROM range(10) t(i)",
                            [](const ChunkView&) { return Status::OK(); }),
              StatusIs(StatusCode::kInternal, HasSubstr("x0")));
  // The connection is usable afterwards.
  EXPECT_OK(conn_->Execute("SELECT 1"));
}

TEST_F(DuckDbTest, InMemoryDatabasesAreIndependent) {
  ASSERT_OK(conn_->Execute("CREATE TABLE memory.main.shared_t (a INTEGER)"));
  ASSERT_OK_AND_ASSIGN(auto other, Database::Open(""));
  ASSERT_OK_AND_ASSIGN(Connection c, other->Connect());
  EXPECT_THAT(c.Query("SELECT * FROM shared_t"),
              StatusIs(StatusCode::kInternal, HasSubstr("shared_t")));
  // Two connections of one database share it.
  ASSERT_OK_AND_ASSIGN(Connection c2, db_->Connect());
  EXPECT_OK(c2.Query("SELECT * FROM shared_t"));
  EXPECT_OK(c2.Execute("DROP TABLE shared_t"));
}

TEST_F(DuckDbTest, OptionsAreApplied) {
  EXPECT_EQ(Scalar("SELECT current_setting('threads')"), "2");
  EXPECT_THAT(Scalar("SELECT current_setting('memory_limit')"), HasSubstr("MiB"));
  EXPECT_EQ(Scalar("SELECT current_setting('autoinstall_known_extensions')"), "false");
  // Defaults: no thread cap given means DuckDB's own choice (>= 1).
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(""));
  ASSERT_OK_AND_ASSIGN(Connection c, db->Connect());
  ASSERT_OK_AND_ASSIGN(auto threads, c.QueryScalar("SELECT current_setting('threads')"));
  ASSERT_TRUE(threads.has_value());
  EXPECT_GE(std::stoi(*threads), 1);
}

TEST_F(DuckDbTest, FileDatabasePersistsAcrossReopen) {
  const std::string path = dir_ + "/db.duckdb";
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_OK_AND_ASSIGN(Connection c, db->Connect());
    ASSERT_OK(c.Execute(
        "CREATE TABLE kv (k VARCHAR, v BIGINT); INSERT INTO kv VALUES ('a', 1), ('b', 2);"));
  }
  EXPECT_TRUE(fs::exists(path));
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
  ASSERT_OK_AND_ASSIGN(Connection c, db->Connect());
  ASSERT_OK_AND_ASSIGN(auto v, c.QueryScalar("SELECT sum(v) FROM kv"));
  EXPECT_THAT(v, Optional(std::string("3")));
}

TEST_F(DuckDbTest, OpenFailuresAreOneLineIOErrors) {
  const std::string missing_dir = dir_ + "/no/such/dir/db.duckdb";
  StatusOr<std::unique_ptr<Database>> db = Database::Open(missing_dir);
  EXPECT_THAT(db, StatusIs(StatusCode::kIOError, AllOf(HasSubstr(missing_dir), IsOneLine())));

  const std::string junk = dir_ + "/junk.duckdb";
  std::ofstream(junk) << std::string(10000, 'x');
  db = Database::Open(junk);
  EXPECT_THAT(db, StatusIs(StatusCode::kIOError, HasSubstr(junk)));
  EXPECT_THAT(db.status().message(), IsOneLine());
}

// ---------------------------------------------------------------------------
// Execute / Query

TEST_F(DuckDbTest, ExecuteRunsEveryStatement) {
  ASSERT_OK(
      conn_->Execute("CREATE TABLE t (a INTEGER);\n"
                     "INSERT INTO t VALUES (1), (2);\n"
                     "INSERT INTO t SELECT a + 10 FROM t;"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "4");
  EXPECT_EQ(Scalar("SELECT sum(a) FROM t"), "26");
}

TEST_F(DuckDbTest, ErrorsAreOneLineInternalStatuses) {
  Status s = conn_->Execute("SELEC 1");
  EXPECT_THAT(
      s, StatusIs(StatusCode::kInternal, AllOf(StartsWith("duckdb: "), HasSubstr("syntax error"))));
  EXPECT_THAT(s.message(), IsOneLine());

  // DuckDB's own message has a "Did you mean" line and a caret display.
  ASSERT_OK(conn_->Execute("CREATE TABLE interactions_x (a INTEGER)"));
  StatusOr<QueryResult> r = conn_->Query("SELECT * FROM interactions_y");
  EXPECT_THAT(r, StatusIs(StatusCode::kInternal, AllOf(HasSubstr("interactions_y"), IsOneLine())));

  r = conn_->Query("SELECT CAST('abc' AS INTEGER)");
  EXPECT_THAT(r, StatusIs(StatusCode::kInternal, AllOf(HasSubstr("abc"), IsOneLine())));

  // A failing statement in the middle of a script reports that statement's error.
  s = conn_->Execute(
      "CREATE TABLE m (a INTEGER); INSERT INTO m VALUES ('x'); INSERT INTO m VALUES (2);");
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, AllOf(HasSubstr("x"), IsOneLine())));

  // The connection stays usable.
  EXPECT_EQ(Scalar("SELECT 41 + 1"), "42");
}

TEST_F(DuckDbTest, QueryNamesTypesAndValues) {
  ASSERT_OK_AND_ASSIGN(
      QueryResult r,
      conn_->Query("SELECT * FROM (VALUES "
                   "(1::BIGINT, 'x'::VARCHAR, 1.5::DOUBLE, DATE '2024-02-29', true, 7::INTEGER, "
                   "'\\xAA\\x00'::BLOB, TIMESTAMP '2024-01-02 03:04:05', 12.34::DECIMAL(10,2)), "
                   "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                   "(-9223372036854775807, 'üñí', -0.25, DATE '1970-01-01', false, -1, ''::BLOB, "
                   "TIMESTAMP '1970-01-01 00:00:00', -1.00)"
                   ") AS t(big, str, dbl, day, flag, i32, bin, ts, dec) ORDER BY big NULLS LAST"));
  EXPECT_EQ(r.column_count(), 9u);
  EXPECT_EQ(r.row_count(), 3u);
  EXPECT_THAT(r.column_names(),
              ElementsAre("big", "str", "dbl", "day", "flag", "i32", "bin", "ts", "dec"));
  EXPECT_EQ(r.column_name(3), "day");
  EXPECT_EQ(r.column_type(0), "BIGINT");
  EXPECT_EQ(r.column_type(1), "VARCHAR");
  EXPECT_EQ(r.column_type(2), "DOUBLE");
  EXPECT_EQ(r.column_type(3), "DATE");
  EXPECT_EQ(r.column_type(4), "BOOLEAN");
  EXPECT_EQ(r.column_type(5), "INTEGER");
  EXPECT_EQ(r.column_type(6), "BLOB");
  EXPECT_EQ(r.column_type(7), "TIMESTAMP");
  EXPECT_THAT(r.column_type(8), StartsWith("DECIMAL"));
  EXPECT_TRUE(r.column_is_numeric(0));
  EXPECT_FALSE(r.column_is_numeric(1));
  EXPECT_TRUE(r.column_is_numeric(2));
  EXPECT_FALSE(r.column_is_numeric(3));
  EXPECT_FALSE(r.column_is_numeric(4));
  EXPECT_TRUE(r.column_is_numeric(5));
  EXPECT_TRUE(r.column_is_numeric(8));

  // Row 0: the negative one (ORDER BY big).
  EXPECT_EQ(r.GetInt64(0, 0), -9223372036854775807LL);
  EXPECT_THAT(r.GetString(1, 0), Optional(std::string("üñí")));
  EXPECT_DOUBLE_EQ(r.GetDouble(2, 0), -0.25);
  EXPECT_THAT(r.GetString(3, 0), Optional(std::string("1970-01-01")));
  EXPECT_THAT(r.GetString(4, 0), Optional(std::string("false")));
  EXPECT_EQ(r.GetInt64(5, 0), -1);
  EXPECT_THAT(r.GetString(6, 0), Optional(std::string("")));
  EXPECT_FALSE(r.IsNull(6, 0));  // empty is not NULL

  // Row 1.
  EXPECT_EQ(r.GetInt64(0, 1), 1);
  EXPECT_THAT(r.GetString(0, 1), Optional(std::string("1")));
  EXPECT_THAT(r.GetString(1, 1), Optional(std::string("x")));
  EXPECT_DOUBLE_EQ(r.GetDouble(2, 1), 1.5);
  EXPECT_THAT(r.GetString(2, 1), Optional(std::string("1.5")));
  EXPECT_THAT(r.GetString(3, 1), Optional(std::string("2024-02-29")));
  EXPECT_THAT(r.GetString(4, 1), Optional(std::string("true")));
  EXPECT_EQ(r.GetInt64(4, 1), 1);
  EXPECT_EQ(r.GetInt64(5, 1), 7);
  EXPECT_DOUBLE_EQ(r.GetDouble(5, 1), 7.0);
  EXPECT_THAT(r.GetString(6, 1), Optional(std::string("\\xAA\\x00")));
  EXPECT_THAT(r.GetString(7, 1), Optional(std::string("2024-01-02 03:04:05")));
  EXPECT_THAT(r.GetString(8, 1), Optional(std::string("12.34")));
  EXPECT_DOUBLE_EQ(r.GetDouble(8, 1), 12.34);

  // Row 2: NULLs.
  for (size_t c = 0; c < r.column_count(); ++c) {
    SCOPED_TRACE(c);
    EXPECT_TRUE(r.IsNull(c, 2));
    EXPECT_EQ(r.GetString(c, 2), std::nullopt);
    EXPECT_EQ(r.GetInt64(c, 2), 0);
    EXPECT_EQ(r.GetDouble(c, 2), 0.0);
    EXPECT_FALSE(r.IsNull(c, 1));
  }
}

TEST_F(DuckDbTest, EmptyResultHasColumnsButNoRows) {
  ASSERT_OK_AND_ASSIGN(QueryResult r, conn_->Query("SELECT 1 AS one, 'a' AS two WHERE false"));
  EXPECT_EQ(r.row_count(), 0u);
  EXPECT_THAT(r.column_names(), ElementsAre("one", "two"));
  EXPECT_EQ(r.column_type(0), "INTEGER");
}

TEST_F(DuckDbTest, StatementWithoutResultRows) {
  ASSERT_OK_AND_ASSIGN(QueryResult r, conn_->Query("CREATE TABLE z (a INTEGER)"));
  EXPECT_EQ(r.row_count(), 0u);
}

TEST_F(DuckDbTest, QueryResultsMove) {
  ASSERT_OK_AND_ASSIGN(QueryResult a, conn_->Query("SELECT 5 AS v"));
  QueryResult b = std::move(a);
  EXPECT_EQ(b.GetInt64(0, 0), 5);
  ASSERT_OK_AND_ASSIGN(QueryResult c, conn_->Query("SELECT 'q' AS w, 2 AS x"));
  b = std::move(c);
  EXPECT_THAT(b.column_names(), ElementsAre("w", "x"));
  EXPECT_THAT(b.GetString(0, 0), Optional(std::string("q")));
}

TEST_F(DuckDbTest, QueryScalar) {
  ASSERT_OK_AND_ASSIGN(auto v, conn_->QueryScalar("SELECT 'a' || 'b', 2"));
  EXPECT_THAT(v, Optional(std::string("ab")));
  ASSERT_OK_AND_ASSIGN(v, conn_->QueryScalar("SELECT NULL"));
  EXPECT_EQ(v, std::nullopt);
  EXPECT_THAT(conn_->QueryScalar("SELECT 1 WHERE false"),
              StatusIs(StatusCode::kNotFound, HasSubstr("no rows")));
  EXPECT_THAT(conn_->QueryScalar("SELECT nope"),
              StatusIs(StatusCode::kInternal, HasSubstr("nope")));
}

TEST_F(DuckDbTest, ConnectionsMove) {
  ASSERT_OK_AND_ASSIGN(Connection a, db_->Connect());
  Connection b = std::move(a);
  EXPECT_OK(b.Execute("SELECT 1"));
  ASSERT_OK_AND_ASSIGN(Connection c, db_->Connect());
  b = std::move(c);  // the old connection of b is closed, c's is taken over
  EXPECT_OK(b.Execute("SELECT 1"));
}

TEST_F(DuckDbTest, InterruptStopsARunningQuery) {
  ASSERT_OK_AND_ASSIGN(Connection c, db_->Connect());
  std::atomic<bool> done{false};
  auto running = std::async(std::launch::async, [&] {
    Status s = c.Query("SELECT count(*) FROM range(1000000000000) a, range(1000) b").status();
    done = true;
    return s;
  });
  // Keep interrupting until the query is gone (it may not have started yet).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    c.Interrupt();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(done) << "query was not interrupted";
  Status s = running.get();
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, HasSubstr("nterrupt")));
  EXPECT_THAT(s.message(), IsOneLine());
}

TEST_F(DuckDbTest, InterruptOfAnIdleConnectionDoesNotCancelTheNextQuery) {
  conn_->Interrupt();
  EXPECT_EQ(Scalar("SELECT 7"), "7");
}

TEST_F(DuckDbTest, OtherScalarTypesReadAsText) {
  ASSERT_OK_AND_ASSIGN(
      QueryResult r,
      conn_->Query("SELECT TIME '01:02:03' AS t, INTERVAL 1 DAY AS iv, 1.5::FLOAT AS f, "
                   "12.3::DECIMAL(18,3) AS d, 2::UBIGINT AS u, 3::HUGEINT AS h"));
  EXPECT_THAT(r.GetString(0, 0), Optional(std::string("01:02:03")));
  EXPECT_THAT(r.GetString(1, 0), Optional(std::string("1 day")));
  EXPECT_THAT(r.GetString(2, 0), Optional(std::string("1.5")));
  EXPECT_THAT(r.GetString(3, 0), Optional(std::string("12.300")));
  EXPECT_EQ(r.GetInt64(4, 0), 2);
  EXPECT_EQ(r.GetInt64(5, 0), 3);
  EXPECT_EQ(r.column_type(2), "FLOAT");
  EXPECT_EQ(r.column_type(4), "UBIGINT");
  EXPECT_EQ(r.column_type(5), "HUGEINT");
  EXPECT_TRUE(r.column_is_numeric(2));
  EXPECT_TRUE(r.column_is_numeric(3));
  EXPECT_TRUE(r.column_is_numeric(4));
}

// BUG: duckdb.cc QueryResult::GetString/IsNull (lines 168-179) use the
// deprecated duckdb_value_* accessors, which do not support nested and
// several other types: a non-NULL TIMESTAMP WITH TIME ZONE (e.g. now()),
// LIST, STRUCT, MAP, ENUM, TIMESTAMP_NS/_MS, BIT or ARRAY value reads as
// nullopt although IsNull() is false, so `recmart sql "SELECT now()"` prints
// NULL. Fix: read results through the chunk API (duckdb_fetch_chunk /
// duckdb_result_get_chunk) and convert values there, or cast such columns to
// VARCHAR in SQL before reading them as text.
TEST_F(DuckDbTest, GetStringOfNestedAndZonedTypesIsTheirText) {
  ASSERT_OK(conn_->Execute("SET TimeZone = 'UTC'"));
  ASSERT_OK_AND_ASSIGN(
      QueryResult r, conn_->Query("SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' AS tz, [1, 2] AS l, "
                                  "{'x': 1} AS s, 'a'::ENUM('a', 'b') AS e, "
                                  "TIMESTAMP_NS '2024-01-01 00:00:00' AS ns"));
  for (size_t c = 0; c < r.column_count(); ++c) {
    SCOPED_TRACE(r.column_name(c));
    EXPECT_FALSE(r.IsNull(c, 0));
    EXPECT_NE(r.GetString(c, 0), std::nullopt);
  }
  EXPECT_THAT(r.GetString(0, 0), Optional(StartsWith("2024-01-01 00:00:00")));
  EXPECT_THAT(r.GetString(1, 0), Optional(std::string("[1, 2]")));
  EXPECT_THAT(r.GetString(2, 0), Optional(std::string("{'x': 1}")));
  EXPECT_THAT(r.GetString(3, 0), Optional(std::string("a")));
}

// BUG: same cause as above, worse outcome: in a result with a UUID column
// the deprecated accessors break for *every* column of the result: reading
// the plain INTEGER column `w` returns a wrong value (here) or dereferences
// NULL inside DuckDB (CanFetchValue) and segfaults the process (seen with a
// standalone program calling IsNull then GetInt64/GetString, as the CLI
// printer does: `recmart sql "SELECT uuid(), 7"` crashes). The death test
// runs the reads in a child so that the bug is reported instead of crashing
// the test binary.
// (Not a fixture test: a death test's child would leave the fixture's temp
// dir behind.)
TEST(DuckDbDeathTest, ResultWithAUuidColumnReadsCorrectly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const char* sql : {"SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS id, 7 AS w",
                          "SELECT uuid() AS id, 7 AS w"}) {
    SCOPED_TRACE(sql);
    EXPECT_EXIT(
        {
          StatusOr<std::unique_ptr<Database>> db = Database::Open("");
          if (!db.ok()) std::exit(5);
          StatusOr<Connection> conn = (*db)->Connect();
          if (!conn.ok()) std::exit(6);
          StatusOr<QueryResult> r = conn->Query(sql);
          if (!r.ok()) std::exit(2);
          if (r->GetInt64(1, 0) != 7) std::exit(3);
          std::optional<std::string> id = r->GetString(0, 0);
          if (!id || id->size() != 36) std::exit(4);
          std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
  }
}

// BUG: duckdb.cc QueryResult::GetString (line 174) uses duckdb_value_varchar,
// which DuckDB documents as not working for strings with NUL bytes: a VARCHAR
// "\0x" reads as "". Fix: use duckdb_value_string (with its size) or the
// chunk API.
TEST_F(DuckDbTest, GetStringKeepsEmbeddedNulBytes) {
  ASSERT_OK_AND_ASSIGN(QueryResult r, conn_->Query("SELECT chr(0) || 'x' AS v"));
  EXPECT_THAT(r.GetString(0, 0), Optional(std::string("\0x", 2)));
}

// BUG (minor): duckdb.cc QueryResult::column_type (lines 67-145) maps every
// type not in its switch to "OTHER" (TIME, INTERVAL, UUID, TIMESTAMP_NS/MS/S,
// ENUM, MAP, UHUGEINT, ...) and drops DECIMAL's width, although the header
// promises "DuckDB's type name". Fix: use the logical type's SQL name
// (e.g. DESCRIBE, or typeof() in SQL) or extend the switch.
TEST_F(DuckDbTest, ColumnTypeNamesOfOtherTypes) {
  ASSERT_OK_AND_ASSIGN(QueryResult r,
                       conn_->Query("SELECT TIME '01:02:03' AS a, INTERVAL 1 DAY AS b, "
                                    "TIMESTAMP_NS '2024-01-01' AS c, 1.5::DECIMAL(18,3) AS d"));
  EXPECT_EQ(r.column_type(0), "TIME");
  EXPECT_EQ(r.column_type(1), "INTERVAL");
  EXPECT_EQ(r.column_type(2), "TIMESTAMP_NS");
  EXPECT_EQ(r.column_type(3), "DECIMAL(18,3)");
}

// ---------------------------------------------------------------------------
// Appender

TEST_F(DuckDbTest, AppenderEveryTypeWithNullsAcrossManyChunks) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (v VARCHAR, b BIGINT, d DOUBLE, x BLOB, i INTEGER)"));
  ASSERT_OK_AND_ASSIGN(
      Appender a,
      conn_->CreateAppender("t", {ColumnType::kVarchar, ColumnType::kBigint, ColumnType::kDouble,
                                  ColumnType::kBlob, ColumnType::kInteger}));
  const std::string blob("\xff\xfe\x00\x80\xc3(", 6);  // not UTF-8, with a NUL
  const int kRows = 5000;                              // 2 full chunks of 2048 + a partial one
  for (int r = 0; r < kRows; ++r) {
    if (r % 7 == 3) {
      for (size_t c = 0; c < 5; ++c) a.SetNull(c);
    } else {
      // Long strings (> 12 bytes) are not inlined by DuckDB: exercise both.
      a.SetString(0,
                  r % 2 ? "row-" + std::to_string(r) + "-with-a-long-suffix" : std::to_string(r));
      a.SetInt64(1, int64_t{r} * 1000000000LL);
      a.SetDouble(2, r + 0.5);
      a.SetString(3, blob + std::to_string(r));
      a.SetInt32(4, -r);
    }
    ASSERT_OK(a.EndRow());
  }
  EXPECT_EQ(a.rows_appended(), static_cast<uint64_t>(kRows));
  ASSERT_OK(a.Close());
  EXPECT_OK(a.Close());  // closing twice is harmless

  int nulls = 0;
  int64_t sum_b = 0;
  for (int r = 0; r < kRows; ++r) {
    if (r % 7 == 3) {
      ++nulls;
    } else {
      sum_b += r;
    }
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), std::to_string(kRows));
  EXPECT_EQ(Scalar("SELECT count(*) FROM t WHERE v IS NULL AND b IS NULL AND d IS NULL AND x IS "
                   "NULL AND i IS NULL"),
            std::to_string(nulls));
  EXPECT_EQ(Scalar("SELECT count(*) FROM t WHERE v IS NULL OR b IS NULL OR d IS NULL OR x IS NULL "
                   "OR i IS NULL"),
            std::to_string(nulls));
  EXPECT_EQ(Scalar("SELECT sum(b // 1000000000) FROM t"), std::to_string(sum_b));
  EXPECT_EQ(Scalar("SELECT sum(i) FROM t"), std::to_string(-sum_b));
  // Every row's values belong together (no shifts between chunks).
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM t WHERE b IS NOT NULL AND ("
             "b // 1000000000 <> -i OR d <> -i + 0.5 OR "
             "v <> CASE WHEN -i % 2 = 1 THEN 'row-' || (-i)::VARCHAR || '-with-a-long-suffix' "
             "ELSE (-i)::VARCHAR END OR "
             "x <> '\\xFF\\xFE\\x00\\x80\\xC3('::BLOB || (-i)::VARCHAR::BLOB)"),
      "0");
  // Rows at the chunk boundaries.
  EXPECT_EQ(Scalar("SELECT count(*) FROM t WHERE i = -2047"), "0");  // 2047 % 7 == 3: NULL
  EXPECT_EQ(Scalar("SELECT v FROM t WHERE i = -2049"), "row-2049-with-a-long-suffix");
  EXPECT_EQ(Scalar("SELECT v FROM t WHERE i = -2046"), "2046");
  EXPECT_EQ(Scalar("SELECT v FROM t WHERE i = -2048"), "2048");
  EXPECT_EQ(Scalar("SELECT v FROM t WHERE i = -4999"), "row-4999-with-a-long-suffix");
  EXPECT_EQ(Scalar("SELECT hex(x) FROM t WHERE i = -4096"),
            "FFFE0080C328"
            "34303936");
  EXPECT_EQ(Scalar("SELECT octet_length(x) FROM t WHERE i = -1"), "7");
}

TEST_F(DuckDbTest, AppenderDestructorFlushes) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT)"));
  {
    ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kBigint}));
    for (int i = 0; i < 3; ++i) {
      a.SetInt64(0, i);
      ASSERT_OK(a.EndRow());
    }
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "3");
}

TEST_F(DuckDbTest, AppenderFlushMakesRowsVisible) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kBigint}));
  a.SetInt64(0, 5);
  ASSERT_OK(a.EndRow());
  ASSERT_OK(a.Flush());
  EXPECT_EQ(Scalar("SELECT sum(a) FROM t"), "5");
  a.SetInt64(0, 6);
  ASSERT_OK(a.EndRow());
  ASSERT_OK(a.Close());
  EXPECT_EQ(Scalar("SELECT sum(a) FROM t"), "11");
}

TEST_F(DuckDbTest, AppenderExactlyOneChunk) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a INTEGER)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kInteger}));
  for (int i = 0; i < 2048; ++i) {
    a.SetInt32(0, i);
    ASSERT_OK(a.EndRow());
  }
  ASSERT_OK(a.Close());
  EXPECT_EQ(Scalar("SELECT count(DISTINCT a) FROM t"), "2048");
}

TEST_F(DuckDbTest, AppenderNoRows) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a INTEGER)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kInteger}));
  EXPECT_EQ(a.rows_appended(), 0u);
  ASSERT_OK(a.Close());
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "0");
}

TEST_F(DuckDbTest, AppenderIntoASchema) {
  ASSERT_OK(
      conn_->Execute("CREATE SCHEMA s; CREATE TABLE s.t (a VARCHAR); CREATE TABLE t (a VARCHAR)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kVarchar}, "s"));
  a.SetString(0, "in s");
  ASSERT_OK(a.EndRow());
  ASSERT_OK(a.Close());
  EXPECT_EQ(Scalar("SELECT count(*) FROM s.t"), "1");
  EXPECT_EQ(Scalar("SELECT count(*) FROM main.t"), "0");
}

TEST_F(DuckDbTest, AppenderColumnCountMismatch) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT, b VARCHAR, c DOUBLE)"));
  EXPECT_THAT(
      conn_->CreateAppender("t", {ColumnType::kBigint, ColumnType::kVarchar}),
      StatusIs(StatusCode::kInternal, AllOf(HasSubstr("appender for t"),
                                            HasSubstr("table has 3 columns, caller gave 2"))));
  EXPECT_THAT(conn_->CreateAppender("t", {ColumnType::kBigint, ColumnType::kVarchar,
                                          ColumnType::kDouble, ColumnType::kDouble}),
              StatusIs(StatusCode::kInternal, HasSubstr("caller gave 4")));
  // The table is untouched and the connection usable.
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "0");
}

TEST_F(DuckDbTest, AppenderForAMissingTableIsAOneLineError) {
  StatusOr<Appender> a = conn_->CreateAppender("nope", {ColumnType::kBigint});
  EXPECT_THAT(a, StatusIs(StatusCode::kInternal, HasSubstr("appender for nope")));
  EXPECT_THAT(a.status().message(), IsOneLine());
}

TEST_F(DuckDbTest, AppenderConstraintViolationSurfacesOnClose) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT NOT NULL)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kBigint}));
  a.SetNull(0);
  ASSERT_OK(a.EndRow());
  Status s = a.Close();
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, HasSubstr("NOT NULL")));
  EXPECT_THAT(s.message(), IsOneLine());
}

TEST_F(DuckDbTest, AppenderMovesKeepPendingRows) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kBigint}));
  a.SetInt64(0, 1);
  ASSERT_OK(a.EndRow());
  Appender b(std::move(a));
  b.SetInt64(0, 2);
  ASSERT_OK(b.EndRow());
  EXPECT_EQ(b.rows_appended(), 2u);
  Appender c;
  c = std::move(b);
  ASSERT_OK(c.Close());
  EXPECT_OK(a.Close());  // moved-from: nothing to do
  EXPECT_EQ(Scalar("SELECT sum(a) FROM t"), "3");
}

// BUG: duckdb.cc Appender::operator= (line 295) overwrites appender_/chunk_
// without flushing/destroying the ones it already holds: assigning a new
// appender to a live one leaks the old duckdb_appender and data chunk (LSan
// reports it) and silently drops its unflushed rows. Fix: release the
// current state first (as ~Appender does) or use copy-and-swap.
TEST_F(DuckDbTest, AppenderMoveAssignOntoALiveAppenderFlushesIt) {
  ASSERT_OK(conn_->Execute("CREATE TABLE t (a BIGINT); CREATE TABLE u (a BIGINT)"));
  ASSERT_OK_AND_ASSIGN(Appender a, conn_->CreateAppender("t", {ColumnType::kBigint}));
  a.SetInt64(0, 1);
  ASSERT_OK(a.EndRow());
  ASSERT_OK_AND_ASSIGN(Appender b, conn_->CreateAppender("u", {ColumnType::kBigint}));
  a = std::move(b);  // a's pending row for t must not be lost
  ASSERT_OK(a.Close());
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "1");
}

// ---------------------------------------------------------------------------
// Quoting

TEST(SqlQuoting, StringLiterals) {
  EXPECT_EQ(SqlString("plain"), "'plain'");
  EXPECT_EQ(SqlString(""), "''");
  EXPECT_EQ(SqlString("it's"), "'it''s'");
  EXPECT_EQ(SqlString("''"), "''''''");
  EXPECT_EQ(SqlString("a\"b"), "'a\"b'");
}

TEST(SqlQuoting, Identifiers) {
  EXPECT_EQ(SqlIdent("col"), "\"col\"");
  EXPECT_EQ(SqlIdent("my col"), "\"my col\"");
  EXPECT_EQ(SqlIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(SqlIdent("it's"), "\"it's\"");
  EXPECT_EQ(SqlIdent(""), "\"\"");
}

TEST_F(DuckDbTest, QuotedValuesRoundTripThroughDuckDb) {
  const std::vector<std::string> tricky = {
      "it's", "''", "a\"b", "back\\slash", "multi\nline", "üñí 😀", "'; DROP TABLE x; --", "%_*"};
  for (const std::string& s : tricky) {
    SCOPED_TRACE(s);
    ASSERT_OK_AND_ASSIGN(auto v, conn_->QueryScalar("SELECT " + SqlString(s)));
    EXPECT_THAT(v, Optional(s));
  }
  for (const std::string& name : {std::string("my \"odd\" col"), std::string("select"),
                                  std::string("it's"), std::string("UPPER lower")}) {
    SCOPED_TRACE(name);
    ASSERT_OK(conn_->Execute("CREATE OR REPLACE TABLE " + SqlIdent(name) + " (" + SqlIdent(name) +
                             " VARCHAR)"));
    ASSERT_OK(
        conn_->Execute("INSERT INTO " + SqlIdent(name) + " VALUES (" + SqlString(name) + ")"));
    ASSERT_OK_AND_ASSIGN(QueryResult r, conn_->Query("SELECT * FROM " + SqlIdent(name)));
    EXPECT_THAT(r.column_names(), ElementsAre(name));
    EXPECT_THAT(r.GetString(0, 0), Optional(name));
  }
}

}  // namespace
}  // namespace recmart::lake
