// The catalog: recmart's persistent memory, in one embedded SQLite file.
//
// It records the sources and the history of their schemas, which input files
// each source has processed (bookmarks), every run with its outcome, the
// per-source per-day reconciliation of every run, and the lake's manifest:
// which Parquet files make up each table now. A run's whole effect on the
// catalog is committed in one transaction (CommitRun), so a crash leaves
// either the state before the run or the state after it.
//
// Thread-compatibility: one Catalog per thread. Several processes may open the
// same catalog; SQLite serialises their transactions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::catalog {

class SqliteDb;

struct ColumnSchema {
  std::string name;
  std::string type;  // DuckDB's type name as inferred by the crawl
  bool operator==(const ColumnSchema&) const = default;
};

struct SchemaVersion {
  std::string source;
  int version = 0;  // 1, 2, … per source
  std::vector<ColumnSchema> columns;
  std::string file;         // the file it was inferred from
  int64_t detected_at = 0;  // epoch seconds
  // "current": the schema the source is expected to have; "observed": seen
  // under policy=log and not adopted; "superseded": replaced by a later one.
  std::string state;
};

struct SchemaChange {
  enum class Kind { kAdded, kRemoved, kRetyped };
  Kind kind;
  std::string column;
  std::string old_type;          // empty for kAdded
  std::string new_type;          // empty for kRemoved
  std::string ToString() const;  // "column 'x' added (BIGINT)"
};
// What changed from `before` to `after`, in column order.
std::vector<SchemaChange> DiffSchemas(const std::vector<ColumnSchema>& before,
                                      const std::vector<ColumnSchema>& after);

// A processed input file: the bookmark. A file counts as processed when path,
// size and modification time all match.
struct FileRecord {
  std::string source;
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t run_id = 0;
  uint64_t rows = 0;
  int64_t processed_at = 0;
};

struct RunRecord {
  int64_t id = 0;
  std::string kind;   // "etl", "crawl"
  std::string state;  // running | committing | succeeded | failed
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::string error;
  std::string stats_json;
};

// One reconciliation line: for a source and a day of event time ("" when the
// row carries no usable date), raw = accepted + quarantined + duplicates.
struct ReconRow {
  int64_t run_id = 0;
  std::string source;
  std::string day;
  uint64_t raw = 0;
  uint64_t accepted = 0;
  uint64_t quarantined = 0;
  uint64_t duplicates = 0;
};

struct QuarantineCount {
  int64_t run_id = 0;
  std::string source;
  std::string day;
  std::string reason;
  uint64_t rows = 0;
};

// A Parquet file of the lake, by path relative to the lake root.
struct LakeFile {
  std::string table;
  std::string path;
  std::string partition;  // "event_date=2024-01-01", or "" for unpartitioned tables
  uint64_t rows = 0;
  uint64_t bytes = 0;
  int64_t run_id = 0;
};

// A rename the lake must perform after the catalog commit (journal entry).
struct PendingMove {
  int64_t run_id = 0;
  std::string from;  // absolute
  std::string to;    // absolute
};

// Everything a successful ETL run changes, committed atomically.
struct RunCommit {
  int64_t run_id = 0;
  std::vector<FileRecord> files;         // new bookmarks
  std::vector<ReconRow> reconciliation;  // per source × day
  std::vector<QuarantineCount> reasons;  // per source × day × reason
  std::vector<LakeFile> added;           // new live files (final paths)
  std::vector<std::string> removed;      // live files (relative paths) replaced by this run
  std::vector<PendingMove> moves;        // staged file → final path
  std::string stats_json;
};

// One job of a pipeline run (recmart pipeline). States: pending, running,
// succeeded, failed, skipped (nothing to do, or a dependency did not
// succeed), cancelled.
struct WorkflowJobRecord {
  int64_t run_id = 0;
  std::string job;
  std::string type;
  std::string state = "pending";
  int attempts = 0;
  int64_t started_ms = 0;   // epoch milliseconds of the last attempt's start; 0 = never
  int64_t finished_ms = 0;  // 0 while not finished
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  std::string metrics_json;  // "" or a JSON object
  std::string output_json;   // "" or a JSON object the later jobs of the run read
  std::string error;         // why it failed or was skipped
};

// One pipeline run. States: running, succeeded, failed. `outcome` says what
// the run achieved ("promoted v3", "kept v2: ...", "up to date").
struct WorkflowRunRecord {
  int64_t id = 0;
  std::string trigger;  // "manual", "cron 0 3 * * *", "files", "params <file>", ...
  std::string state;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string params_file;  // training params of this run ("" = the workflow's)
  std::string outcome;
  std::string error;
  std::vector<WorkflowJobRecord> jobs;  // in the workflow's order (GetWorkflowRun only)
};

class Catalog {
 public:
  // Opens or creates the catalog file and migrates its schema.
  static StatusOr<std::unique_ptr<Catalog>> Open(const std::string& path);
  ~Catalog();

  // ---- sources and schemas
  Status UpsertSource(const std::string& name, const std::string& kind, const std::string& path,
                      const std::string& format);
  // The latest schema in state "current"; nullopt before the first crawl.
  StatusOr<std::optional<SchemaVersion>> CurrentSchema(const std::string& source);
  // Records a new version; state "current" supersedes the previous current one.
  StatusOr<int> AddSchemaVersion(const std::string& source,
                                 const std::vector<ColumnSchema>& columns, const std::string& file,
                                 const std::string& state);
  StatusOr<std::vector<SchemaVersion>> SchemaHistory(const std::string& source);
  StatusOr<std::vector<std::string>> SourceNames();

  // ---- bookmarks
  StatusOr<std::vector<FileRecord>> ProcessedFiles(const std::string& source);
  // Forgets a source's bookmarks (all files are processed again; event
  // de-duplication keeps the lake free of repeats). Returns how many.
  StatusOr<int64_t> ResetBookmarks(const std::string& source);
  // Marks files as processed without reading them (move the bookmark forward).
  Status SetBookmarks(const std::vector<FileRecord>& files);

  // ---- runs
  StatusOr<int64_t> BeginRun(const std::string& kind);
  Status FinishRun(int64_t run_id, const std::string& state, const std::string& error,
                   const std::string& stats_json);
  StatusOr<std::vector<RunRecord>> ListRuns(int limit);
  StatusOr<std::optional<RunRecord>> GetRun(int64_t run_id);

  // ---- commit protocol (see lake/lake.h)
  // One transaction: bookmarks, reconciliation, manifest changes and the
  // move journal; the run becomes "committing".
  Status CommitRun(const RunCommit& commit);
  // After the moves are done: clears the journal; the run becomes "succeeded".
  Status FinishCommit(int64_t run_id);
  StatusOr<std::vector<PendingMove>> PendingMoves();
  // Runs left "running" by a killed process: marked failed.
  Status AbandonRunningRuns();

  // ---- pipeline runs (recmart pipeline / scheduler)
  // Records a new run in state "running" with its jobs pending; returns its id.
  StatusOr<int64_t> BeginWorkflowRun(const std::string& trigger, const std::string& params_file,
                                     const std::vector<WorkflowJobRecord>& jobs);
  // Replaces one job's record (by run_id and job).
  Status UpdateWorkflowJob(const WorkflowJobRecord& job);
  // Sets the run's state, outcome and error; a finished state stamps finished_ms.
  Status SetWorkflowRunState(int64_t run_id, const std::string& state, const std::string& outcome,
                             const std::string& error);
  // Most recent first, without their jobs.
  StatusOr<std::vector<WorkflowRunRecord>> ListWorkflowRuns(int limit);
  // With its jobs; nullopt when there is no such run.
  StatusOr<std::optional<WorkflowRunRecord>> GetWorkflowRun(int64_t run_id);

  // ---- manifest
  StatusOr<std::vector<LakeFile>> LiveFiles(const std::string& table);
  StatusOr<std::vector<LakeFile>> AllLiveFiles();
  // Files replaced by a committed run whose deletion is still to do.
  StatusOr<std::vector<std::string>> GarbageFiles();
  Status ForgetGarbage(const std::vector<std::string>& paths);

  // ---- reconciliation
  // For one run, or the latest run that has rows when run_id = 0.
  StatusOr<std::vector<ReconRow>> Reconciliation(int64_t run_id);
  StatusOr<std::vector<QuarantineCount>> QuarantineReasons(int64_t run_id);

  const std::string& path() const;

 private:
  explicit Catalog(std::unique_ptr<SqliteDb> db);
  Status Migrate();
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace recmart::catalog
