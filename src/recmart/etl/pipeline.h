// The incremental ETL run (PRODUCT.md step 3): new source files → curated
// lake tables, committed atomically, with a reconciliation that proves every
// raw row is accounted for.
//
// One run:
//   1. lock the lake for writing and recover what a killed run left;
//   2. list each source's files and keep the ones whose (path, size, mtime)
//      has no bookmark; nothing new → return without touching any file;
//   3. check each new file's schema against the catalog (policy log|update|fail);
//   4. read the files in parallel (ingest readers), map rows to canonical
//      records (RecordBuilder), append them to DuckDB staging tables; bad rows
//      go to quarantine with the reason;
//   5. in DuckDB: drop exact duplicates (within the run and against the lake),
//      derive sessions where the source has none, and stage the tables:
//      interactions, user_item_daily (delta), daily_item_stats (affected days),
//      interaction_matrix, items, users, quarantine;
//   6. reconcile per source and day (raw = accepted + quarantined + duplicates)
//      and check the matrix totals against the curated events; any mismatch
//      fails the run before anything is committed;
//   7. commit (lake::Lake::Commit).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/etl/crawl.h"

namespace recmart::etl {

struct EtlRunOptions {
  // Informational lines (schema changes, per-stage notes). May be empty.
  std::function<void(const std::string&)> log;
  // Called from the coordinating thread with input bytes consumed / total.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Process only these sources (by name); empty = every source. The pipeline's
  // dataset jobs (interactions, items, users) each take their sources' share.
  std::vector<std::string> only_sources;
  // Wait for another writer to finish instead of failing at once.
  bool wait_for_lock = false;
  // > 0: input bytes per batch of files, instead of [etl] batch_mb (tests use
  // a few bytes to get one batch per file).
  uint64_t batch_bytes = 0;
  // > 0: item records per pass of the item_history comparison, instead of
  // what [etl] memory_limit holds (tests use 1 to get many passes).
  uint64_t history_records_per_pass = 0;
};

struct EtlResult {
  int64_t run_id = 0;        // 0 when nothing was new
  bool nothing_new = false;  // no file changed since the last run: no work done
  int files = 0;
  uint64_t input_bytes = 0;
  uint64_t raw_rows = 0;
  uint64_t accepted = 0;
  uint64_t quarantined = 0;
  uint64_t duplicates = 0;
  uint64_t items = 0;        // rows in the items table after the run
  uint64_t users = 0;        // rows in the users table after the run
  uint64_t matrix_rows = 0;  // (user, item) pairs in the interaction matrix
  double seconds = 0;
  std::vector<catalog::ReconRow> reconciliation;
  std::vector<CrawlFinding> schema;
};

// Runs the ETL once. Errors: FailedPrecondition when another run holds the
// lake or a schema change meets policy "fail"; DataLoss when reconciliation
// fails; IOError/InvalidArgument for unreadable inputs. On any error nothing
// of the run is committed and the lake keeps its last good state.
StatusOr<EtlResult> RunEtl(const config::Project& project, const EtlRunOptions& options);

}  // namespace recmart::etl
