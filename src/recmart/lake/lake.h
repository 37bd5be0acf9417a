// The lake: Hive-partitioned Parquet under one root directory, and the only
// place that reads or writes it.
//
// Layout
//   <root>/<table>/[<partition_column>=<value>/]part-r<RUN>-<N>.parquet
//   <root>/_staging/run-<RUN>/...     files a run is still writing
//   <root>/_recmart/                  catalog, locks, DuckDB spill space
// Files are immutable: a run adds new files (unique names) and may retire old
// ones; it never rewrites a file in place.
//
// Commit protocol (a killed process at any point leaves the last good state):
//   1. a run writes every output file under _staging/run-<RUN>/;
//   2. one catalog transaction records bookmarks, reconciliation, the manifest
//      change (new files live, replaced files garbage) and a journal of the
//      renames still to do — this is the commit point;
//   3. the staged files are renamed into place, garbage files deleted, the
//      journal cleared.
//   Recover() redoes step 3 for a run that got past step 2 and deletes the
//   staging of runs that did not.
// Readers (recmart sql) see the manifest, not a directory listing: they hold
// the shared read lock while they query, and step 3 takes it exclusively, so a
// reader never sees a half-committed run. External engines reading the
// directory see a consistent table whenever no commit is in progress.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/catalog/catalog.h"
#include "recmart/common/fs.h"
#include "recmart/common/status.h"
#include "recmart/lake/duckdb.h"
#include "recmart/lake/tables.h"

namespace recmart::lake {

struct StagedFile {
  std::string table;
  std::string staged_path;  // absolute, under _staging
  std::string final_path;   // relative to the lake root
  std::string partition;    // "event_date=2024-01-01" or ""
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

class Lake {
 public:
  // Opens the lake at `root` (created if missing). `catalog` must outlive it.
  // Opening changes nothing on disk besides creating the directories.
  static StatusOr<std::unique_ptr<Lake>> Open(const std::string& root, catalog::Catalog* catalog);

  const std::string& root() const { return root_; }
  std::string InternalDir() const;  // <root>/_recmart
  std::string StagingDir(int64_t run_id) const;

  // The writer lock: one writing run per lake. Fails at once with
  // FailedPrecondition if another process holds it, or waits for it when `wait`.
  StatusOr<FileLock> LockForWrite(bool wait = false) const;
  // REQUIRES: the writer lock. Finishes or discards what a killed run left.
  Status Recover();

  // Writes the rows of `select_sql` as Parquet files of `table` into the run's
  // staging area. The query must produce the table's columns in order, then
  // the partition column (if any) last. `name_prefix` keeps several stagings
  // of one table in one run apart. Returns the files written (none for an
  // empty result).
  StatusOr<std::vector<StagedFile>> Stage(Connection& conn, int64_t run_id, const TableDef& table,
                                          std::string_view select_sql, std::string_view compression,
                                          std::string_view name_prefix = "");

  // Commits a run: `commit` carries bookmarks, reconciliation and `removed`;
  // the staged files become live. REQUIRES: the writer lock.
  Status Commit(catalog::RunCommit commit, const std::vector<StagedFile>& staged);

  // The shared read lock: held while a reader queries, so that no commit
  // changes the files under it.
  StatusOr<FileLock> LockForRead() const;
  // A relation over the live files of `table` for use in a FROM clause:
  // read_parquet([...], hive_partitioning=true), or an empty typed relation.
  StatusOr<std::string> TableRelation(const TableDef& table);
  // CREATE OR REPLACE VIEW <table> for every lake table on `conn`.
  Status CreateViews(Connection& conn);

 private:
  Lake(std::string root, catalog::Catalog* catalog) : root_(std::move(root)), catalog_(catalog) {}
  Status CollectGarbage();
  std::string root_;
  catalog::Catalog* catalog_;
};

// The lake opened for queries: its catalog, the lake, an in-memory DuckDB
// with a view per table on `conn`, and the shared read lock, held as long as
// the session lives so that no commit changes the files under its queries.
// Members go in reverse order: the lock first, the catalog last.
struct ReadSession {
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<Lake> lake;
  std::unique_ptr<Database> db;
  std::optional<Connection> conn;
  std::optional<FileLock> read_lock;

  // Opens the catalog at `catalog_path` and the lake at `lake_root`. DuckDB
  // spills to the lake's internal tmp directory unless
  // options.temp_directory says otherwise.
  static StatusOr<ReadSession> Open(const std::string& catalog_path, const std::string& lake_root,
                                    DatabaseOptions options);
};

}  // namespace recmart::lake
