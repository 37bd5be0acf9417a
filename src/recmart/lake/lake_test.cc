#include "recmart/lake/lake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::lake {
namespace {

namespace fs = std::filesystem;
using ::recmart::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::StartsWith;

const TableDef& Table(std::string_view name) {
  const TableDef* t = FindTable(name);
  if (t == nullptr) std::abort();
  return *t;
}

// SELECT producing `n` rows with the table's columns in order (then the
// partition column, spread over `days` days from 2024-01-01).
std::string RowsSelect(const TableDef& table, int n, int days = 3, const std::string& tag = "v") {
  std::string out = "SELECT ";
  for (size_t c = 0; c < table.columns.size(); ++c) {
    const ColumnDef& col = table.columns[c];
    if (c) out += ", ";
    std::string value = "NULL";
    if (col.type == "VARCHAR") {
      value = "'" + tag + "' || i::VARCHAR";
    } else if (col.type == "BIGINT") {
      value = "i";
    } else if (col.type == "DOUBLE") {
      value = "i * 0.5";
    } else if (col.type == "BLOB") {
      value = "'\\xFF\\x00'";
    }
    out += "CAST(" + value + " AS " + std::string(col.type) + ") AS " + SqlIdent(col.name);
  }
  if (!table.partition_column.empty()) {
    out += ", DATE '2024-01-01' + CAST(i % " + std::to_string(days) + " AS INTEGER) AS " +
           std::string(table.partition_column);
  }
  return out + " FROM range(" + std::to_string(n) + ") t(i)";
}

class LakeTest : public ::testing::Test {
 protected:
  // One DuckDB database for the suite (opening one is slow under ASan); the
  // lake tests create nothing in it but views, which CreateViews replaces.
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
    std::string tmpl = ::testing::TempDir() + "recmart_lake_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = fs::path(tmpl).lexically_normal().string();
    root_ = dir_ + "/lake";
    ASSERT_OK_AND_ASSIGN(catalog_, catalog::Catalog::Open(root_ + "/_recmart/catalog.db"));
    ASSERT_OK_AND_ASSIGN(lake_, Lake::Open(root_, catalog_.get()));
    ASSERT_NE(db_, nullptr);
    ASSERT_OK_AND_ASSIGN(Connection c, db_->Connect());
    conn_ = std::make_unique<Connection>(std::move(c));
  }
  void TearDown() override {
    conn_.reset();
    lake_.reset();
    catalog_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  int64_t NewRun() {
    StatusOr<int64_t> id = catalog_->BeginRun("etl");
    EXPECT_OK(id);
    return id.ok() ? *id : -1;
  }

  std::string RunState(int64_t id) {
    StatusOr<std::optional<catalog::RunRecord>> r = catalog_->GetRun(id);
    if (!r.ok() || !r->has_value()) return "<none>";
    return (*r)->state;
  }

  std::string Scalar(const std::string& sql) {
    StatusOr<std::optional<std::string>> v = conn_->QueryScalar(sql);
    EXPECT_OK(v) << sql;
    if (!v.ok() || !v->has_value()) return "<null>";
    return **v;
  }

  std::string CountOf(const TableDef& t) {
    StatusOr<std::string> rel = lake_->TableRelation(t);
    EXPECT_OK(rel);
    if (!rel.ok()) return "<error>";
    return Scalar("SELECT count(*) FROM " + *rel);
  }

  std::vector<std::string> LivePaths(std::string_view table) {
    StatusOr<std::vector<catalog::LakeFile>> files = catalog_->LiveFiles(std::string(table));
    EXPECT_OK(files);
    std::vector<std::string> out;
    if (files.ok()) {
      for (const auto& f : *files) out.push_back(f.path);
    }
    return out;
  }

  // Stages and commits `n` rows of `table` in a new run; returns the run id.
  int64_t StageAndCommit(const TableDef& table, int n, std::vector<std::string> removed = {},
                         std::vector<StagedFile>* staged_out = nullptr) {
    int64_t run = NewRun();
    StatusOr<std::vector<StagedFile>> staged =
        lake_->Stage(*conn_, run, table, RowsSelect(table, n), "zstd");
    EXPECT_OK(staged);
    if (!staged.ok()) return run;
    catalog::RunCommit commit;
    commit.run_id = run;
    commit.removed = std::move(removed);
    EXPECT_OK(lake_->Commit(commit, *staged));
    if (staged_out) *staged_out = *staged;
    return run;
  }

  std::string dir_;
  std::string root_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<Lake> lake_;
  static std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};
std::unique_ptr<Database> LakeTest::db_;

// ---------------------------------------------------------------------------
// Layout

TEST_F(LakeTest, OpenCreatesTheLayoutAndNamesItsDirectories) {
  EXPECT_EQ(lake_->root(), root_);
  EXPECT_EQ(lake_->InternalDir(), root_ + "/_recmart");
  EXPECT_EQ(lake_->StagingDir(42), root_ + "/_staging/run-42");
  EXPECT_TRUE(fs::is_directory(root_ + "/_recmart"));
  EXPECT_FALSE(fs::exists(root_ + "/_staging"));
}

TEST_F(LakeTest, OpenMakesTheRootAbsoluteAndNormal) {
  const fs::path old = fs::current_path();
  fs::current_path(dir_);
  StatusOr<std::unique_ptr<Lake>> rel = Lake::Open("./x/../other_lake/", catalog_.get());
  fs::current_path(old);
  ASSERT_OK(rel);
  EXPECT_TRUE(fs::path((*rel)->root()).is_absolute());
  EXPECT_TRUE(fs::equivalent((*rel)->root(), dir_ + "/other_lake"));
  EXPECT_TRUE(fs::is_directory(dir_ + "/other_lake/_recmart"));
}

TEST_F(LakeTest, OpenFailsWhenTheRootCannotBeCreated) {
  std::ofstream(dir_ + "/plainfile") << "x";
  EXPECT_THAT(Lake::Open(dir_ + "/plainfile/lake", catalog_.get()),
              StatusIs(StatusCode::kIOError, HasSubstr("plainfile")));
}

TEST(LakeTables, EveryTableHasColumnsAndAnEmptySelect) {
  ASSERT_FALSE(LakeTables().empty());
  std::set<std::string_view> names;
  for (const TableDef& t : LakeTables()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_FALSE(t.columns.empty()) << t.name;
    EXPECT_EQ(FindTable(t.name), &t);
    EXPECT_EQ(t.partition_column.empty(), t.partition_type.empty()) << t.name;
    std::string sel = EmptySelect(t);
    EXPECT_THAT(sel, AllOf(StartsWith("SELECT CAST(NULL AS "), EndsWith(" WHERE false")));
  }
  EXPECT_EQ(FindTable("nope"), nullptr);
}

// ---------------------------------------------------------------------------
// Stage

TEST_F(LakeTest, StageUnpartitionedTable) {
  const TableDef& items = Table("items");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto staged,
                       lake_->Stage(*conn_, run, items, RowsSelect(items, 25), "zstd"));
  ASSERT_EQ(staged.size(), 1u);
  const StagedFile& f = staged[0];
  EXPECT_EQ(f.table, "items");
  EXPECT_EQ(f.partition, "");
  EXPECT_EQ(f.rows, 25u);
  EXPECT_EQ(f.final_path, "items/part-r" + std::to_string(run) + "-0.parquet");
  EXPECT_EQ(f.staged_path,
            lake_->StagingDir(run) + "/items/part-r" + std::to_string(run) + "-0.parquet");
  ASSERT_TRUE(fs::is_regular_file(f.staged_path));
  EXPECT_EQ(f.bytes, fs::file_size(f.staged_path));
  EXPECT_GT(f.bytes, 0u);
  // Nothing is live until the commit.
  EXPECT_THAT(LivePaths("items"), IsEmpty());
  EXPECT_FALSE(fs::exists(root_ + "/items"));
  // The staged file holds the rows with the table's column names.
  ASSERT_OK_AND_ASSIGN(QueryResult r,
                       conn_->Query("SELECT * FROM read_parquet(" + SqlString(f.staged_path) +
                                    ") ORDER BY UPDATED_AT"));
  EXPECT_EQ(r.row_count(), 25u);
  ASSERT_EQ(r.column_count(), items.columns.size());
  for (size_t c = 0; c < items.columns.size(); ++c)
    EXPECT_EQ(r.column_name(c), items.columns[c].name);
  EXPECT_THAT(r.GetString(0, 24), Optional(std::string("v24")));
}

TEST_F(LakeTest, StagePartitionedTable) {
  const TableDef& inter = Table("interactions");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(
      auto staged, lake_->Stage(*conn_, run, inter, RowsSelect(inter, 30, /*days=*/3), "snappy"));
  ASSERT_GE(staged.size(), 3u);
  std::map<std::string, uint64_t> rows_per_partition;
  std::set<std::string> finals;
  for (const StagedFile& f : staged) {
    SCOPED_TRACE(f.final_path);
    EXPECT_EQ(f.table, "interactions");
    EXPECT_THAT(f.partition, StartsWith("event_date=2024-01-0"));
    EXPECT_THAT(f.final_path,
                StartsWith("interactions/" + f.partition + "/part-r" + std::to_string(run) + "-"));
    EXPECT_THAT(f.final_path, EndsWith(".parquet"));
    EXPECT_EQ(f.staged_path, lake_->StagingDir(run) + "/" + f.final_path);
    EXPECT_TRUE(fs::is_regular_file(f.staged_path));
    EXPECT_EQ(f.bytes, fs::file_size(f.staged_path));
    EXPECT_GT(f.rows, 0u);
    EXPECT_TRUE(finals.insert(f.final_path).second);
    rows_per_partition[f.partition] += f.rows;
  }
  EXPECT_THAT(rows_per_partition,
              ElementsAre(std::pair<const std::string, uint64_t>("event_date=2024-01-01", 10),
                          std::pair<const std::string, uint64_t>("event_date=2024-01-02", 10),
                          std::pair<const std::string, uint64_t>("event_date=2024-01-03", 10)));
}

TEST_F(LakeTest, StageEmptyResultWritesNothing) {
  for (const char* name : {"items", "interactions"}) {
    SCOPED_TRACE(name);
    const TableDef& t = Table(name);
    int64_t run = NewRun();
    ASSERT_OK_AND_ASSIGN(auto staged, lake_->Stage(*conn_, run, t, EmptySelect(t), "zstd"));
    EXPECT_THAT(staged, IsEmpty());
    // No empty Parquet file is left to be published by accident.
    std::vector<std::string> left;
    if (fs::exists(lake_->StagingDir(run))) {
      for (const auto& e : fs::recursive_directory_iterator(lake_->StagingDir(run))) {
        if (e.is_regular_file()) left.push_back(e.path().string());
      }
    }
    EXPECT_THAT(left, IsEmpty());
  }
}

TEST_F(LakeTest, StageWithNamePrefixesKeepsStagingsApart) {
  const TableDef& items = Table("items");
  const TableDef& inter = Table("interactions");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto a, lake_->Stage(*conn_, run, items, RowsSelect(items, 3), "zstd", "a"));
  ASSERT_OK_AND_ASSIGN(auto b, lake_->Stage(*conn_, run, items, RowsSelect(items, 4), "zstd", "b"));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  const std::string r = std::to_string(run);
  EXPECT_EQ(a[0].final_path, "items/part-r" + r + "-a-0.parquet");
  EXPECT_EQ(b[0].final_path, "items/part-r" + r + "-b-0.parquet");
  EXPECT_EQ(a[0].staged_path, lake_->StagingDir(run) + "/items/a/part-r" + r + "-a-0.parquet");
  EXPECT_TRUE(fs::exists(a[0].staged_path));  // staging b did not wipe a
  EXPECT_EQ(a[0].rows, 3u);
  EXPECT_EQ(b[0].rows, 4u);

  ASSERT_OK_AND_ASSIGN(auto p,
                       lake_->Stage(*conn_, run, inter, RowsSelect(inter, 4, 2), "zstd", "p1"));
  ASSERT_FALSE(p.empty());
  for (const StagedFile& f : p) {
    EXPECT_THAT(f.final_path, StartsWith("interactions/" + f.partition + "/part-r" + r + "-p1-"));
    EXPECT_THAT(f.staged_path,
                StartsWith(lake_->StagingDir(run) + "/interactions/p1/" + f.partition + "/"));
  }

  std::vector<StagedFile> all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), p.begin(), p.end());
  catalog::RunCommit commit;
  commit.run_id = run;
  ASSERT_OK(lake_->Commit(commit, all));
  EXPECT_EQ(CountOf(items), "7");
  EXPECT_EQ(CountOf(inter), "4");
}

TEST_F(LakeTest, RestagingTheSameTableReplacesTheEarlierStaging) {
  const TableDef& items = Table("items");
  int64_t run = NewRun();
  ASSERT_OK(lake_->Stage(*conn_, run, items, RowsSelect(items, 9), "zstd"));
  ASSERT_OK_AND_ASSIGN(auto again, lake_->Stage(*conn_, run, items, RowsSelect(items, 2), "zstd"));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].rows, 2u);
}

TEST_F(LakeTest, StageErrorsNameTheTable) {
  const TableDef& items = Table("items");
  int64_t run = NewRun();
  StatusOr<std::vector<StagedFile>> s =
      lake_->Stage(*conn_, run, items, "SELECT * FROM no_such_table", "zstd");
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal,
                          AllOf(StartsWith("writing items: "), HasSubstr("no_such_table"))));
  EXPECT_THAT(s.status().message(), ::testing::Not(HasSubstr("\n")));
  s = lake_->Stage(*conn_, run, items, RowsSelect(items, 1), "no_such_codec");
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, StartsWith("writing items: ")));
}

// ---------------------------------------------------------------------------
// Commit and reading back

TEST_F(LakeTest, CommitPublishesFilesAndRecordsTheRun) {
  const TableDef& items = Table("items");
  const TableDef& inter = Table("interactions");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto si, lake_->Stage(*conn_, run, items, RowsSelect(items, 5), "zstd"));
  ASSERT_OK_AND_ASSIGN(auto sp, lake_->Stage(*conn_, run, inter, RowsSelect(inter, 12, 2), "zstd"));
  std::vector<StagedFile> staged = si;
  staged.insert(staged.end(), sp.begin(), sp.end());

  catalog::RunCommit commit;
  commit.run_id = run;
  catalog::FileRecord rec;
  rec.source = "clicks";
  rec.path = "/in/a.csv";
  rec.size = 3;
  rec.rows = 12;
  commit.files = {rec};
  commit.reconciliation = {{0, "clicks", "2024-01-01", 12, 12, 0, 0}};
  commit.stats_json = "{\"ok\":true}";
  ASSERT_OK(lake_->Commit(commit, staged));

  for (const StagedFile& f : staged) {
    SCOPED_TRACE(f.final_path);
    EXPECT_TRUE(fs::is_regular_file(root_ + "/" + f.final_path));
    EXPECT_FALSE(fs::exists(f.staged_path));
    EXPECT_EQ(fs::file_size(root_ + "/" + f.final_path), f.bytes);
  }
  EXPECT_FALSE(fs::exists(lake_->StagingDir(run)));

  ASSERT_OK_AND_ASSIGN(auto live_items, catalog_->LiveFiles("items"));
  ASSERT_EQ(live_items.size(), 1u);
  EXPECT_EQ(live_items[0].path, si[0].final_path);
  EXPECT_EQ(live_items[0].rows, 5u);
  EXPECT_EQ(live_items[0].bytes, si[0].bytes);
  EXPECT_EQ(live_items[0].partition, "");
  EXPECT_EQ(live_items[0].run_id, run);
  ASSERT_OK_AND_ASSIGN(auto live_inter, catalog_->LiveFiles("interactions"));
  EXPECT_EQ(live_inter.size(), sp.size());
  for (const auto& f : live_inter) EXPECT_THAT(f.partition, StartsWith("event_date=2024-01-0"));

  EXPECT_EQ(RunState(run), "succeeded");
  ASSERT_OK_AND_ASSIGN(auto moves, catalog_->PendingMoves());
  EXPECT_THAT(moves, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto bookmarks, catalog_->ProcessedFiles("clicks"));
  ASSERT_EQ(bookmarks.size(), 1u);
  EXPECT_EQ(bookmarks[0].run_id, run);
  ASSERT_OK_AND_ASSIGN(auto recon, catalog_->Reconciliation(0));
  ASSERT_EQ(recon.size(), 1u);
  EXPECT_EQ(recon[0].run_id, run);
}

TEST_F(LakeTest, TableRelationReadsTheLiveRowsBack) {
  const TableDef& inter = Table("interactions");
  StageAndCommit(inter, 30);
  ASSERT_OK_AND_ASSIGN(std::string rel, lake_->TableRelation(inter));
  EXPECT_THAT(rel, StartsWith("read_parquet(["));
  ASSERT_OK_AND_ASSIGN(QueryResult r,
                       conn_->Query("SELECT event_date, count(*), sum(SOURCE_ROW) FROM " + rel +
                                    " GROUP BY 1 ORDER BY 1"));
  ASSERT_EQ(r.row_count(), 3u);
  EXPECT_EQ(r.column_type(0), "DATE");  // hive partition typed, not VARCHAR
  EXPECT_THAT(r.GetString(0, 0), Optional(std::string("2024-01-01")));
  EXPECT_EQ(r.GetInt64(1, 0), 10);
  // Rows 0, 3, ..., 27 are on the first day.
  EXPECT_EQ(r.GetInt64(2, 0), 0 + 3 + 6 + 9 + 12 + 15 + 18 + 21 + 24 + 27);
  EXPECT_THAT(r.GetString(0, 2), Optional(std::string("2024-01-03")));
}

TEST_F(LakeTest, TableRelationOfATableWithoutFilesIsEmptyButTyped) {
  for (const TableDef& t : LakeTables()) {
    SCOPED_TRACE(t.name);
    ASSERT_OK_AND_ASSIGN(std::string rel, lake_->TableRelation(t));
    ASSERT_OK_AND_ASSIGN(QueryResult r, conn_->Query("SELECT * FROM " + rel));
    EXPECT_EQ(r.row_count(), 0u);
    size_t n = t.columns.size() + (t.partition_column.empty() ? 0 : 1);
    ASSERT_EQ(r.column_count(), n);
    for (size_t c = 0; c < t.columns.size(); ++c) {
      EXPECT_EQ(r.column_name(c), t.columns[c].name);
      EXPECT_EQ(r.column_type(c), t.columns[c].type);
    }
    if (!t.partition_column.empty()) {
      EXPECT_EQ(r.column_name(n - 1), t.partition_column);
      EXPECT_EQ(r.column_type(n - 1), t.partition_type);
    }
  }
}

TEST_F(LakeTest, CreateViewsForEveryTable) {
  const TableDef& inter = Table("interactions");
  const TableDef& items = Table("items");
  StageAndCommit(inter, 6);
  StageAndCommit(items, 4);
  ASSERT_OK(lake_->CreateViews(*conn_));
  EXPECT_EQ(Scalar("SELECT count(*) FROM interactions"), "6");
  EXPECT_EQ(Scalar("SELECT count(*) FROM items"), "4");
  EXPECT_EQ(Scalar("SELECT count(*) FROM users"), "0");
  for (const TableDef& t : LakeTables()) {
    SCOPED_TRACE(t.name);
    ASSERT_OK_AND_ASSIGN(QueryResult r,
                         conn_->Query("SELECT * FROM " + std::string(t.name) + " LIMIT 0"));
    ASSERT_GE(r.column_count(), t.columns.size());
    // Columns by name and type, whatever order the Parquet reader returns them in.
    std::map<std::string, std::string> types;
    for (size_t c = 0; c < r.column_count(); ++c) types[r.column_name(c)] = r.column_type(c);
    for (const ColumnDef& col : t.columns)
      EXPECT_EQ(types[std::string(col.name)], col.type) << col.name;
    if (!t.partition_column.empty()) {
      EXPECT_EQ(types[std::string(t.partition_column)], t.partition_type);
    }
  }
  // Views follow the manifest when re-created after another run.
  StageAndCommit(items, 2);
  ASSERT_OK(lake_->CreateViews(*conn_));
  EXPECT_EQ(Scalar("SELECT count(*) FROM items"), "6");
}

TEST_F(LakeTest, CommitWithRemovedDeletesAndForgetsTheOldFiles) {
  const TableDef& items = Table("items");
  const TableDef& inter = Table("interactions");
  std::vector<StagedFile> first_items, first_inter;
  StageAndCommit(items, 5, {}, &first_items);
  StageAndCommit(inter, 2, {}, &first_inter);  // two partitions, one file each
  ASSERT_EQ(first_items.size(), 1u);
  ASSERT_EQ(first_inter.size(), 2u);
  const std::string old_item = first_items[0].final_path;
  ASSERT_TRUE(fs::exists(root_ + "/" + old_item));

  // Replace the items file and retire one interactions partition.
  std::string retired = first_inter[0].final_path;
  int64_t run2 = StageAndCommit(items, 3, {old_item, retired});
  EXPECT_FALSE(fs::exists(root_ + "/" + old_item));
  EXPECT_FALSE(fs::exists(root_ + "/" + retired));
  // The emptied partition directory goes too.
  EXPECT_FALSE(fs::exists(fs::path(root_ + "/" + retired).parent_path()));
  EXPECT_TRUE(fs::exists(root_ + "/" + first_inter[1].final_path));
  ASSERT_OK_AND_ASSIGN(auto garbage, catalog_->GarbageFiles());
  EXPECT_THAT(garbage, IsEmpty());  // deleted, so forgotten
  EXPECT_THAT(LivePaths("items"),
              ElementsAre("items/part-r" + std::to_string(run2) + "-0.parquet"));
  EXPECT_EQ(LivePaths("interactions").size(), 1u);
  EXPECT_EQ(CountOf(items), "3");
  EXPECT_EQ(CountOf(inter), "1");
}

TEST_F(LakeTest, CommitWithoutStagedFilesOnlyRecords) {
  int64_t run = NewRun();
  catalog::RunCommit commit;
  commit.run_id = run;
  ASSERT_OK(lake_->Commit(commit, {}));
  EXPECT_EQ(RunState(run), "succeeded");
  ASSERT_OK_AND_ASSIGN(auto all, catalog_->AllLiveFiles());
  EXPECT_THAT(all, IsEmpty());
}

TEST_F(LakeTest, CommitWaitsForReaders) {
  const TableDef& items = Table("items");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto staged, lake_->Stage(*conn_, run, items, RowsSelect(items, 2), "zstd"));
  ASSERT_EQ(staged.size(), 1u);
  ASSERT_OK_AND_ASSIGN(FileLock reader, lake_->LockForRead());
  // A second reader shares the lock.
  ASSERT_OK_AND_ASSIGN(FileLock reader2, lake_->LockForRead());

  catalog::RunCommit commit;
  commit.run_id = run;
  auto committing = std::async(std::launch::async, [&] { return lake_->Commit(commit, staged); });
  EXPECT_EQ(committing.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_TRUE(fs::exists(staged[0].staged_path));  // nothing moved under the readers
  reader = FileLock(std::move(reader2));           // one reader leaves, one remains
  EXPECT_EQ(committing.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  { FileLock gone = std::move(reader); }  // the last reader leaves
  ASSERT_EQ(committing.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_OK(committing.get());
  EXPECT_TRUE(fs::exists(root_ + "/" + staged[0].final_path));
}

// ---------------------------------------------------------------------------
// Locks

TEST_F(LakeTest, LockForWriteTwiceInOneProcessFails) {
  ASSERT_OK_AND_ASSIGN(FileLock first, lake_->LockForWrite());
  EXPECT_TRUE(fs::exists(lake_->InternalDir() + "/write.lock"));
  // flock locks belong to the open file description: a second open in the
  // same process is another holder.
  EXPECT_THAT(
      lake_->LockForWrite(),
      StatusIs(StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("the lake " + root_ + " (another run)"), HasSubstr("write.lock"))));
  // Readers are not blocked by a writer that is not committing.
  EXPECT_OK(lake_->LockForRead());
  { FileLock release = std::move(first); }
  EXPECT_OK(lake_->LockForWrite());
}

// ---------------------------------------------------------------------------
// Recovery

TEST_F(LakeTest, RecoverFinishesACommittedRunsMoves) {
  const TableDef& items = Table("items");
  const TableDef& inter = Table("interactions");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto si, lake_->Stage(*conn_, run, items, RowsSelect(items, 4), "zstd"));
  ASSERT_OK_AND_ASSIGN(auto sp, lake_->Stage(*conn_, run, inter, RowsSelect(inter, 6, 2), "zstd"));
  std::vector<StagedFile> staged = si;
  staged.insert(staged.end(), sp.begin(), sp.end());

  // Crash right after the catalog commit, before any rename.
  catalog::RunCommit commit;
  commit.run_id = run;
  for (const StagedFile& f : staged) {
    commit.added.push_back({f.table, f.final_path, f.partition, f.rows, f.bytes, run});
    commit.moves.push_back({run, f.staged_path, root_ + "/" + f.final_path});
  }
  ASSERT_OK(catalog_->CommitRun(commit));
  EXPECT_EQ(RunState(run), "committing");
  for (const StagedFile& f : staged) ASSERT_FALSE(fs::exists(root_ + "/" + f.final_path));

  // A new process: reopen everything, then recover under the writer lock.
  lake_.reset();
  catalog_.reset();
  ASSERT_OK_AND_ASSIGN(catalog_, catalog::Catalog::Open(root_ + "/_recmart/catalog.db"));
  ASSERT_OK_AND_ASSIGN(lake_, Lake::Open(root_, catalog_.get()));
  ASSERT_OK_AND_ASSIGN(FileLock lock, lake_->LockForWrite());
  ASSERT_OK(lake_->Recover());

  for (const StagedFile& f : staged) {
    SCOPED_TRACE(f.final_path);
    EXPECT_TRUE(fs::is_regular_file(root_ + "/" + f.final_path));
    EXPECT_FALSE(fs::exists(f.staged_path));
  }
  EXPECT_FALSE(fs::exists(root_ + "/_staging"));
  ASSERT_OK_AND_ASSIGN(auto moves, catalog_->PendingMoves());
  EXPECT_THAT(moves, IsEmpty());
  EXPECT_EQ(RunState(run), "succeeded");
  EXPECT_EQ(CountOf(items), "4");
  EXPECT_EQ(CountOf(inter), "6");
  // Recover is idempotent.
  ASSERT_OK(lake_->Recover());
  EXPECT_EQ(CountOf(items), "4");
}

TEST_F(LakeTest, RecoverAfterSomeMovesWereDone) {
  const TableDef& inter = Table("interactions");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto staged,
                       lake_->Stage(*conn_, run, inter, RowsSelect(inter, 9, 3), "zstd"));
  ASSERT_GE(staged.size(), 3u);
  catalog::RunCommit commit;
  commit.run_id = run;
  for (const StagedFile& f : staged) {
    commit.added.push_back({f.table, f.final_path, f.partition, f.rows, f.bytes, run});
    commit.moves.push_back({run, f.staged_path, root_ + "/" + f.final_path});
  }
  ASSERT_OK(catalog_->CommitRun(commit));
  // The crash happened after the first rename.
  fs::create_directories(fs::path(root_ + "/" + staged[0].final_path).parent_path());
  fs::rename(staged[0].staged_path, root_ + "/" + staged[0].final_path);

  ASSERT_OK(lake_->Recover());
  for (const StagedFile& f : staged) EXPECT_TRUE(fs::is_regular_file(root_ + "/" + f.final_path));
  EXPECT_EQ(RunState(run), "succeeded");
  EXPECT_EQ(CountOf(inter), "9");
}

TEST_F(LakeTest, RecoverReportsDataLossWhenACommittedFileVanished) {
  int64_t run = NewRun();
  catalog::RunCommit commit;
  commit.run_id = run;
  commit.added = {{"items", "items/part-r1-0.parquet", "", 1, 1, run}};
  commit.moves = {
      {run, root_ + "/_staging/run-1/items/gone.parquet", root_ + "/items/part-r1-0.parquet"}};
  ASSERT_OK(catalog_->CommitRun(commit));
  EXPECT_THAT(lake_->Recover(),
              StatusIs(StatusCode::kDataLoss,
                       AllOf(HasSubstr("run " + std::to_string(run)), HasSubstr("gone.parquet"))));
  // The journal is kept for a later attempt.
  ASSERT_OK_AND_ASSIGN(auto moves, catalog_->PendingMoves());
  EXPECT_EQ(moves.size(), 1u);
}

TEST_F(LakeTest, RecoverRemovesTheStagingOfAKilledRun) {
  const TableDef& items = Table("items");
  StageAndCommit(items, 3);  // an earlier good run
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto staged, lake_->Stage(*conn_, run, items, RowsSelect(items, 5), "zstd"));
  ASSERT_TRUE(fs::exists(staged[0].staged_path));
  // Killed before its commit: no journal, the run is still "running".
  ASSERT_OK(lake_->Recover());
  EXPECT_FALSE(fs::exists(lake_->StagingDir(run)));
  EXPECT_FALSE(fs::exists(root_ + "/_staging"));
  EXPECT_FALSE(fs::exists(root_ + "/" + staged[0].final_path));
  EXPECT_EQ(RunState(run), "failed");
  ASSERT_OK_AND_ASSIGN(auto r, catalog_->GetRun(run));
  EXPECT_THAT(r->error, HasSubstr("interrupted"));
  EXPECT_EQ(CountOf(items), "3");  // the last good state
}

TEST_F(LakeTest, RecoverCollectsGarbageOfACommittedRun) {
  const TableDef& items = Table("items");
  std::vector<StagedFile> first;
  StageAndCommit(items, 3, {}, &first);
  const std::string old_path = root_ + "/" + first[0].final_path;
  ASSERT_TRUE(fs::exists(old_path));
  // Committed with `removed`, crashed before deleting.
  int64_t run = NewRun();
  catalog::RunCommit commit;
  commit.run_id = run;
  commit.removed = {first[0].final_path};
  ASSERT_OK(catalog_->CommitRun(commit));
  ASSERT_OK_AND_ASSIGN(auto garbage, catalog_->GarbageFiles());
  ASSERT_EQ(garbage.size(), 1u);

  ASSERT_OK(lake_->Recover());
  EXPECT_FALSE(fs::exists(old_path));
  ASSERT_OK_AND_ASSIGN(garbage, catalog_->GarbageFiles());
  EXPECT_THAT(garbage, IsEmpty());
  EXPECT_EQ(CountOf(items), "0");
}

// BUG: lake.cc Lake::Recover (lines 38-51) only calls FinishCommit for runs
// that still have rows in pending_moves. A run committed with no staged files
// (e.g. only bookmarks, or only `removed` files) that dies between CommitRun
// and FinishCommit stays "committing" forever (AbandonRunningRuns only
// touches "running"). Fix: also FinishCommit every run in state
// "committing" (e.g. a Catalog::CommittingRuns() query, or let
// AbandonRunningRuns/FinishCommit handle 'committing' runs without moves).
TEST_F(LakeTest, RecoverFinishesACommittedRunWithoutMoves) {
  int64_t run = NewRun();
  catalog::RunCommit commit;
  commit.run_id = run;
  catalog::FileRecord rec;
  rec.source = "clicks";
  rec.path = "/in/empty.csv";
  commit.files = {rec};
  ASSERT_OK(catalog_->CommitRun(commit));
  ASSERT_OK(lake_->Recover());
  EXPECT_EQ(RunState(run), "succeeded");
}

// BUG: lake.cc Lake::Stage (line 105) finds the files DuckDB wrote with
// ExpandGlob(dir + "/**/*.parquet", ""), and ExpandGlob treats '[', '*', '?'
// in the directory part as wildcards (see the fs_test BUG). With a lake root
// such as "/data/shop[1]/lake" Stage returns no files although COPY wrote
// them: the run then commits bookmarks without its data (silent data loss).
// Fix: fix ExpandGlob, or list the staging dir with
// std::filesystem::recursive_directory_iterator here.
TEST_F(LakeTest, StageUnderARootWithGlobCharacters) {
  const std::string root = dir_ + "/shop[1]/lake";
  ASSERT_OK_AND_ASSIGN(auto lake, Lake::Open(root, catalog_.get()));
  const TableDef& items = Table("items");
  int64_t run = NewRun();
  ASSERT_OK_AND_ASSIGN(auto staged, lake->Stage(*conn_, run, items, RowsSelect(items, 5), "zstd"));
  ASSERT_EQ(staged.size(), 1u);
  EXPECT_EQ(staged[0].rows, 5u);
}

}  // namespace
}  // namespace recmart::lake
