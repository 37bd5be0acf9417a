// Database connectors: rows of a table or query from PostgreSQL (libpq) or
// SQLite, read in batches and in the order of an optional high-water-mark
// column, so that a large table never has to fit in memory and a later read
// can start after the last row seen.
//
// Secrets: the password is passed in memory only. No message returned from
// here contains it (it is masked even where a driver might echo it), and the
// connection string given to Open must not contain one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::ingest {

enum class DbKind { kPostgres, kSqlite };

// A value as the database returned it, typed just enough to be written back
// as JSON and to be used as a high-water mark.
struct DbValue {
  enum class Kind { kNull, kInteger, kReal, kBool, kText };
  Kind kind = Kind::kNull;
  // kInteger/kReal: the number as valid JSON number text ("12", "3.5");
  // kBool: "true"/"false"; kText: the text (timestamps with a zone as
  // ISO-8601 UTC, "2024-03-01T10:00:00Z"). Empty for kNull.
  std::string text;

  bool operator==(const DbValue&) const = default;
};

struct DbColumn {
  std::string name;
  std::string type;  // as the database declares it ("bigint", "TEXT", ...); "" if unknown
};

struct DbReadOptions {
  DbKind kind = DbKind::kPostgres;
  // PostgreSQL: libpq conninfo or URI without a password; SQLite: a file path
  // (opened read-only; a missing file is an error, never created).
  std::string connection;
  std::string user;      // PostgreSQL only; empty = from the connection string
  std::string password;  // PostgreSQL only; empty = none
  std::string table;     // exactly one of table and query
  std::string query;
  // When set, rows come ordered by this column, only those where it is not
  // NULL, and only those with a value greater than `after` (when set).
  std::string incremental_column;
  std::optional<DbValue> after;
  int64_t batch_rows = 10000;
};

// Reads the rows of one table or query. PostgreSQL: one read-only,
// repeatable-read transaction and a server-side cursor (FETCH batch_rows);
// SQLite: one statement stepped batch_rows rows at a time.
class DbReader {
 public:
  virtual ~DbReader() = default;

  // Connects and starts the query. Errors (InvalidArgument for a query the
  // database rejects, e.g. a missing table; Unavailable for a database that
  // cannot be reached or refuses the credentials) are one line naming what
  // failed, with the driver's message, never the password.
  static StatusOr<std::unique_ptr<DbReader>> Open(const DbReadOptions& options);

  // The result's columns; known after Open.
  virtual const std::vector<DbColumn>& columns() const = 0;

  // Replaces *rows with up to batch_rows rows (one value per column).
  // Returns false when there are no more rows (and *rows is empty).
  virtual StatusOr<bool> NextBatch(std::vector<std::vector<DbValue>>* rows) = 0;
};

// `name` quoted as an SQL identifier; "a.b" becomes "a"."b".
std::string QuoteSqlIdentifier(const std::string& name, bool split_dots);

}  // namespace recmart::ingest
