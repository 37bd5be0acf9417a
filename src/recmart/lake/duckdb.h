// The one wrapper over DuckDB's C API. Nothing else in recmart includes
// duckdb.h: every other module reaches DuckDB through these types.
//
// Ownership: Database owns the duckdb_database; a Connection must not outlive
// the Database it came from; a QueryResult and an Appender must not outlive
// their Connection. All are move-only. A Connection is not thread-safe: use one
// per thread (DuckDB parallelises each query internally).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"

// Opaque C API handles (defined in duckdb.h, whose names these are: declared
// here so that no other module includes DuckDB's header).
struct _duckdb_database;    // NOLINT(bugprone-reserved-identifier)
struct _duckdb_connection;  // NOLINT(bugprone-reserved-identifier)
struct _duckdb_appender;    // NOLINT(bugprone-reserved-identifier)
struct _duckdb_data_chunk;  // NOLINT(bugprone-reserved-identifier)
struct _duckdb_vector;      // NOLINT(bugprone-reserved-identifier)

namespace recmart::lake {

struct DatabaseOptions {
  // Upper bound for DuckDB's buffer pool; larger work spills to temp_directory.
  std::string memory_limit = "1GB";
  // Worker threads; 0 lets DuckDB choose (all cores).
  int threads = 0;
  // Where spilled data goes; empty = DuckDB's default next to the database.
  std::string temp_directory;
};

class Connection;

class Database {
 public:
  // Opens (or creates) a DuckDB database file; an empty path is in-memory.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                  const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  StatusOr<Connection> Connect();

 private:
  Database() = default;
  _duckdb_database* db_ = nullptr;
};

// A materialised query result. Values are read by (column, row).
class QueryResult {
 public:
  QueryResult(QueryResult&&) noexcept;
  QueryResult& operator=(QueryResult&&) noexcept;
  ~QueryResult();

  size_t column_count() const;
  size_t row_count() const;
  const std::string& column_name(size_t col) const { return names_[col]; }
  const std::vector<std::string>& column_names() const { return names_; }
  // DuckDB's type name of a column as the query produced it ("BIGINT",
  // "VARCHAR", "TIMESTAMP WITH TIME ZONE", "UUID", ...).
  const std::string& column_type(size_t col) const { return types_[col]; }
  // True for numeric types (for right-aligned printing).
  bool column_is_numeric(size_t col) const { return numeric_[col]; }

  bool IsNull(size_t col, size_t row) const;
  // Any value in its text form (every type, NUL bytes kept); nullopt for NULL.
  std::optional<std::string> GetString(size_t col, size_t row) const;
  int64_t GetInt64(size_t col, size_t row) const;  // NULL reads as 0
  double GetDouble(size_t col, size_t row) const;  // NULL reads as 0

 private:
  friend class Connection;
  QueryResult();

 public:
  struct Impl;  // defined in duckdb.cc

 private:
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
  std::vector<bool> numeric_;
};

// Column types the fast appender supports.
enum class ColumnType { kVarchar, kBigint, kDouble, kBlob, kInteger };

// Appends rows to one table through DuckDB data chunks (vectors filled in
// place, 2048 rows at a time): the fast path for bulk loads. Column order and
// types must match the table's. Call Close() to flush and surface errors; the
// destructor flushes too but drops errors.
class Appender {
 public:
  // An empty appender; assign one from Connection::CreateAppender.
  Appender() = default;
  Appender(Appender&&) noexcept;
  Appender& operator=(Appender&&) noexcept;
  ~Appender();

  // Per-row setters for the current row. Strings are copied. A VARCHAR value
  // must be valid UTF-8 (callers validate first; see ingest).
  void SetString(size_t col, std::string_view v);
  void SetInt64(size_t col, int64_t v);
  void SetInt32(size_t col, int32_t v);
  void SetDouble(size_t col, double v);
  void SetNull(size_t col);
  // Finishes the current row; flushes a full chunk.
  Status EndRow();
  Status Flush();
  Status Close();
  uint64_t rows_appended() const { return total_rows_; }

 private:
  friend class Connection;
  Status FlushChunk();
  void Release();  // flushes (dropping errors) and frees the DuckDB handles
  _duckdb_appender* appender_ = nullptr;
  _duckdb_data_chunk* chunk_ = nullptr;
  std::vector<ColumnType> types_;
  std::vector<_duckdb_vector*> vectors_;
  std::vector<void*> data_;
  std::vector<uint64_t*> validity_;
  size_t row_ = 0;
  uint64_t total_rows_ = 0;
};

// One chunk (up to ~2,048 rows) of a streamed SELECT (Connection::Stream),
// read in place with the columns' own types. Valid only inside the callback.
class ChunkView {
 public:
  size_t size() const { return rows_; }
  bool IsNull(size_t col, size_t row) const;
  // VARCHAR columns; "" for NULL.
  std::string_view Text(size_t col, size_t row) const;
  // Integer and BOOLEAN columns; 0 for NULL.
  int64_t Int64(size_t col, size_t row) const;
  // Floating-point and integer columns; 0 for NULL.
  double Double(size_t col, size_t row) const;

 private:
  friend class Connection;
  ChunkView() = default;
  size_t rows_ = 0;
  std::vector<const void*> data_;
  std::vector<uint64_t*> validity_;
  const std::vector<int>* types_ = nullptr;  // duckdb_type per column
};

class Connection {
 public:
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs one or more statements, discarding results.
  Status Execute(std::string_view sql);
  // Runs one statement and materialises its result. A SELECT whose result
  // has types the value accessors cannot read (TIMESTAMPTZ, UUID, LIST,
  // STRUCT, ENUM, ...) is run with every column cast to VARCHAR; column_type()
  // still reports the original types. Any other statement producing such
  // types is refused with InvalidArgument.
  StatusOr<QueryResult> Query(std::string_view sql);
  // Runs one SELECT and hands its rows to `fn` a chunk at a time, without
  // materialising the result: memory stays flat whatever its size. Columns
  // must be VARCHAR, integers, BOOLEAN, FLOAT or DOUBLE (InvalidArgument
  // naming the column otherwise; cast in SQL). Stops at the first error of
  // the query or of `fn`, and returns it.
  Status Stream(std::string_view sql, const std::function<Status(const ChunkView&)>& fn);
  // A single value (first column of first row) as text; NotFound if no rows.
  StatusOr<std::optional<std::string>> QueryScalar(std::string_view sql);
  // Opens an appender for `table` (optionally schema-qualified as schema.table
  // via `schema`), whose columns have exactly `types`, in order.
  StatusOr<Appender> CreateAppender(const std::string& table, std::vector<ColumnType> types,
                                    const std::string& schema = "");
  // Interrupts the running query of this connection (from another thread).
  void Interrupt();

 private:
  friend class Database;
  Connection() = default;
  _duckdb_connection* con_ = nullptr;
};

// Quotes an SQL string literal ('it''s').
std::string SqlString(std::string_view s);
// Quotes an SQL identifier ("my col").
std::string SqlIdent(std::string_view s);

}  // namespace recmart::lake
