// Crawl: infer each source file's schema with DuckDB's sniffer, keep it in the
// catalog with its history, and apply the source's schema-change policy.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/lake/duckdb.h"

namespace recmart::etl {

struct CrawlFinding {
  std::string source;
  std::string file;
  std::vector<catalog::ColumnSchema> columns;
  std::vector<catalog::SchemaChange> changes;  // vs the current schema
  // "new" (first schema recorded), "unchanged", "logged" (policy log: recorded
  // as observed, current kept), "updated" (policy update: became current).
  std::string action;
  int version = 0;  // catalog version recorded (0 when unchanged)

  // One line per change: "source 'orders': column 'x' added (BIGINT) in FILE (logged)".
  std::vector<std::string> ChangeLines() const;
};

// Infers column names and DuckDB types of one file (sampled).
StatusOr<std::vector<catalog::ColumnSchema>> InferSchema(lake::Connection& conn,
                                                         const config::SourceConfig& source,
                                                         const std::string& file);

// Compares `columns`, inferred from `file`, with the source's current schema
// and applies the policy, as CheckSchema does.
StatusOr<CrawlFinding> ApplySchema(catalog::Catalog& catalog, const config::SourceConfig& source,
                                   const std::string& file,
                                   std::vector<catalog::ColumnSchema> columns);

// Compares `file`'s schema with the source's current schema and applies the
// policy. Under policy "fail" a change returns FailedPrecondition with one
// line: "source 'orders': column 'x' added (BIGINT) in <file>; on_schema_change = fail".
StatusOr<CrawlFinding> CheckSchema(catalog::Catalog& catalog, lake::Connection& conn,
                                   const config::SourceConfig& source, const std::string& file);

// Crawls every source of the project: registers it in the catalog and checks
// its files that are not yet processed (or, when all are, its newest file).
// `log` receives one line per schema change.
StatusOr<std::vector<CrawlFinding>> CrawlProject(
    const config::Project& project, catalog::Catalog& catalog,
    const std::function<void(const std::string&)>& log);

// The files a source's path/glob matches now, sorted.
StatusOr<std::vector<std::string>> SourceFiles(const config::Project& project,
                                               const config::SourceConfig& source);

}  // namespace recmart::etl
