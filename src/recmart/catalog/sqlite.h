// Minimal RAII over SQLite's C API for the catalog. Statements are prepared,
// bound by position (1-based, as SQLite counts) and stepped; errors become
// Status values naming the database file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "recmart/common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace recmart::catalog {

class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&&) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, std::string_view v);
  SqliteStatement& Bind(int index, int64_t v);
  SqliteStatement& Bind(int index, double v);
  SqliteStatement& BindNull(int index);

  // Advances to the next row: true if there is one, false when done.
  StatusOr<bool> Step();
  // Steps to completion (for statements without rows).
  Status Run();
  // Calls fn(*this) for every row; stops at the first error.
  template <typename Fn>
  Status ForEachRow(Fn&& fn) {
    while (true) {
      ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return Status::OK();
      fn(*this);
    }
  }

  std::string ColumnText(int col) const;
  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating) the file in WAL mode with a busy timeout, so that a
  // reader and a writer in different processes wait for each other instead of
  // failing.
  static StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();

  Status Exec(std::string_view sql);
  StatusOr<SqliteStatement> Prepare(std::string_view sql);
  int64_t LastInsertRowId() const;

  // Runs `fn` inside BEGIN IMMEDIATE … COMMIT; rolls back if it fails.
  template <typename Fn>
  Status Transaction(Fn&& fn) {
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = fn();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  const std::string& path() const { return path_; }

 private:
  SqliteDb() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace recmart::catalog
