// Database sources (type = "postgres" | "sqlite") become files before the ETL
// reads them: each run extracts the rows past the source's high-water mark
// into one JSON lines file under the lake,
//
//   <lake>/_recmart/extracts/<source>/00000001.jsonl        the rows, one object per row
//   <lake>/_recmart/extracts/<source>/00000001.schema.json  the columns as the database declares
//   them
//
// written under a temporary name and renamed into place. The extract files are
// the bookmark: the next high-water mark is the incremental column's value on
// the last line of the newest extract (rows are written in its order), and the
// ETL's per-file bookmarks ingest each extract exactly once. A run killed
// between extraction and commit leaves an extract that the next run ingests:
// nothing is read twice from the database, nothing is lost.
//
// Without incremental_column the whole table is read each time (a snapshot),
// and kept only when it differs from the newest extract.
//
// Credentials come from the environment variables the project names
// (user_env, password_env); they are never written to a file, a log line, the
// catalog or an error message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"

namespace recmart::etl {

struct ExtractResult {
  std::string source;
  std::string file;  // the new extract; empty when nothing new was found
  int64_t rows = 0;
  std::string high_water_mark;  // the incremental column's last value ("" without one)
};

// The directory holding a database source's extracts.
std::string ExtractDir(const config::Project& project, const config::SourceConfig& source);

// Extracts every database source of the project (file sources are skipped),
// one after the other, under an exclusive lock on the extract directory. The
// first failure stops and is returned as one line naming the source:
//   source 'orders': cannot connect to PostgreSQL: connection to server at ... failed: ...
//   source 'orders': query failed: relation "orders" does not exist
//   source 'orders': environment variable SHOP_PG_PASSWORD (password_env) is not set
// Extracts already written stay (they are complete); nothing else changes.
// `log` (may be empty) receives one line per new extract.
StatusOr<std::vector<ExtractResult>> ExtractDatabaseSources(
    const config::Project& project, const std::function<void(const std::string&)>& log);

// The columns recorded beside an extract file (its .schema.json): the
// database's own names and declared types, which is what the crawl compares
// to notice a column added, removed or retyped in the database.
StatusOr<std::vector<catalog::ColumnSchema>> ExtractSchema(const std::string& extract_file);

}  // namespace recmart::etl
