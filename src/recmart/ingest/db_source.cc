#include "recmart/ingest/db_source.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <charconv>
#include <cmath>

namespace recmart::ingest {
namespace {

// One line, the password masked wherever a driver might have echoed it.
std::string CleanMessage(std::string_view msg, const std::string& password) {
  std::string out;
  bool space = false;
  for (char c : msg) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (!password.empty()) {
    for (size_t at; (at = out.find(password)) != std::string::npos;)
      out.replace(at, password.size(), "***");
  }
  return out;
}

// The SELECT both connectors run: the source, filtered past the high-water
// mark and ordered by it. `mark` is the driver's placeholder or literal.
std::string SelectSql(const DbReadOptions& o, const std::string& mark) {
  std::string sql = o.table.empty() ? "SELECT * FROM (" + o.query + "\n) AS recmart_source"
                                    : "SELECT * FROM " + QuoteSqlIdentifier(o.table, true);
  if (!o.incremental_column.empty()) {
    const std::string col = QuoteSqlIdentifier(o.incremental_column, false);
    sql += " WHERE " + col + " IS NOT NULL";
    if (o.after && o.after->kind != DbValue::Kind::kNull) sql += " AND " + col + " > " + mark;
    sql += " ORDER BY " + col;
  }
  return sql;
}

std::string RealText(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// ---------------------------------------------------------------- PostgreSQL

struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;
using PgResult = std::unique_ptr<PGresult, PgResultCloser>;

// Type OIDs (pg_type.h) that decide how a value is written.
enum : Oid {
  kBoolOid = 16,
  kInt8Oid = 20,
  kInt2Oid = 21,
  kInt4Oid = 23,
  kOidOid = 26,
  kFloat4Oid = 700,
  kFloat8Oid = 701,
  kTimestampTzOid = 1184,
  kNumericOid = 1700,
};

class PostgresReader : public DbReader {
 public:
  static StatusOr<std::unique_ptr<DbReader>> Open(const DbReadOptions& o) {
    auto r = std::unique_ptr<PostgresReader>(new PostgresReader(o));
    RETURN_IF_ERROR(r->Start());
    return std::unique_ptr<DbReader>(std::move(r));
  }

  const std::vector<DbColumn>& columns() const override { return columns_; }

  StatusOr<bool> NextBatch(std::vector<std::vector<DbValue>>* rows) override {
    rows->clear();
    if (done_) return false;
    PgResult res;
    if (pending_) {
      res = std::move(pending_);
    } else {
      ASSIGN_OR_RETURN(
          res, Exec("FETCH FORWARD " + std::to_string(o_.batch_rows) + " FROM recmart_cursor",
                    PGRES_TUPLES_OK, "reading rows"));
    }
    const int n = PQntuples(res.get());
    const int cols = PQnfields(res.get());
    rows->reserve(n);
    for (int i = 0; i < n; ++i) {
      std::vector<DbValue> row(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(res.get(), i, c)) continue;
        row[c] = Convert(PQftype(res.get(), c),
                         std::string(PQgetvalue(res.get(), i, c), PQgetlength(res.get(), i, c)));
      }
      rows->push_back(std::move(row));
    }
    if (n < o_.batch_rows) {
      done_ = true;
      (void)Exec("CLOSE recmart_cursor", PGRES_COMMAND_OK, "closing the cursor");
      (void)Exec("COMMIT", PGRES_COMMAND_OK, "ending the transaction");
    }
    return n > 0;
  }

 private:
  explicit PostgresReader(const DbReadOptions& o) : o_(o) {}

  Status Start() {
    // connect_timeout first so that the connection string can override it.
    std::vector<const char*> keys = {"connect_timeout", "dbname"};
    std::vector<const char*> values = {"10", o_.connection.c_str()};
    if (!o_.user.empty()) {
      keys.push_back("user");
      values.push_back(o_.user.c_str());
    }
    if (!o_.password.empty()) {
      keys.push_back("password");
      values.push_back(o_.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
    if (!conn_) return Status::Unavailable("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      return Status::Unavailable("cannot connect to PostgreSQL: " +
                                 CleanMessage(PQerrorMessage(conn_.get()), o_.password));
    }
    // Timestamps with a zone come back in UTC, ISO style (Convert relies on it).
    RETURN_IF_ERROR(
        Exec("SET TimeZone = 'UTC'", PGRES_COMMAND_OK, "setting up the session").status());
    RETURN_IF_ERROR(
        Exec("SET DateStyle = 'ISO, YMD'", PGRES_COMMAND_OK, "setting up the session").status());
    RETURN_IF_ERROR(Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK,
                         "starting a read-only transaction")
                        .status());
    std::string mark;
    if (o_.after && o_.after->kind != DbValue::Kind::kNull) {
      char* lit = PQescapeLiteral(conn_.get(), o_.after->text.data(), o_.after->text.size());
      if (!lit) {
        return Status::InvalidArgument("cannot quote the high-water mark: " +
                                       CleanMessage(PQerrorMessage(conn_.get()), o_.password));
      }
      mark = lit;
      PQfreemem(lit);
    }
    RETURN_IF_ERROR(Exec("DECLARE recmart_cursor NO SCROLL CURSOR FOR " + SelectSql(o_, mark),
                         PGRES_COMMAND_OK, "query failed")
                        .status());
    ASSIGN_OR_RETURN(pending_,
                     Exec("FETCH FORWARD " + std::to_string(o_.batch_rows) + " FROM recmart_cursor",
                          PGRES_TUPLES_OK, "query failed"));
    const int cols = PQnfields(pending_.get());
    for (int c = 0; c < cols; ++c) columns_.push_back({PQfname(pending_.get(), c), ""});
    if (!o_.incremental_column.empty()) {
      bool found = false;
      for (const auto& c : columns_) found |= c.name == o_.incremental_column;
      if (!found) {
        return Status::InvalidArgument("incremental_column '" + o_.incremental_column +
                                       "' is not a column of the result");
      }
    }
    // The declared types with their modifiers ("numeric(10,2)"), for the
    // catalog's schema history: one query, one output column per column.
    if (cols > 0) {
      std::string sql = "SELECT ";
      for (int c = 0; c < cols; ++c) {
        sql += (c ? ", " : "") + std::string("format_type(") +
               std::to_string(PQftype(pending_.get(), c)) + ", " +
               std::to_string(PQfmod(pending_.get(), c)) + ")";
      }
      ASSIGN_OR_RETURN(PgResult types, Exec(sql, PGRES_TUPLES_OK, "reading column types"));
      for (int c = 0; c < cols && PQntuples(types.get()) == 1; ++c) {
        columns_[c].type = PQgetvalue(types.get(), 0, c);
      }
    }
    return Status::OK();
  }

  StatusOr<PgResult> Exec(const std::string& sql, ExecStatusType want, std::string_view what) {
    PgResult res(PQexec(conn_.get(), sql.c_str()));
    if (!res || PQresultStatus(res.get()) != want) {
      std::string msg;
      if (res) {
        const char* primary = PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY);
        msg = primary ? primary : PQresultErrorMessage(res.get());
      }
      if (msg.empty()) msg = PQerrorMessage(conn_.get());
      const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
      msg = std::string(what) + ": " + CleanMessage(msg, o_.password);
      return lost ? Status::Unavailable("PostgreSQL connection lost, " + msg)
                  : Status::InvalidArgument(msg);
    }
    return res;
  }

  static DbValue Convert(Oid type, std::string text) {
    DbValue v;
    switch (type) {
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid:
      case kOidOid:
        v.kind = DbValue::Kind::kInteger;
        break;
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid:
        // NaN and ±Infinity are not JSON numbers.
        v.kind = (text.find_first_of("NI") == std::string::npos) ? DbValue::Kind::kReal
                                                                 : DbValue::Kind::kText;
        break;
      case kBoolOid:
        v.kind = DbValue::Kind::kBool;
        text = text == "t" ? "true" : "false";
        break;
      case kTimestampTzOid:
        // "2024-03-01 10:00:00.25+00" → "2024-03-01T10:00:00.25Z" (ISO-8601).
        if (text.size() > 19 && text[10] == ' ' && text.ends_with("+00")) {
          text[10] = 'T';
          text.replace(text.size() - 3, 3, "Z");
        }
        v.kind = DbValue::Kind::kText;
        break;
      default:
        v.kind = DbValue::Kind::kText;
    }
    v.text = std::move(text);
    return v;
  }

  DbReadOptions o_;
  PgConn conn_;
  PgResult pending_;  // the first batch, fetched by Start to learn the columns
  std::vector<DbColumn> columns_;
  bool done_ = false;
};

// -------------------------------------------------------------------- SQLite

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

class SqliteReader : public DbReader {
 public:
  static StatusOr<std::unique_ptr<DbReader>> Open(const DbReadOptions& o) {
    auto r = std::unique_ptr<SqliteReader>(new SqliteReader(o));
    RETURN_IF_ERROR(r->Start());
    return std::unique_ptr<DbReader>(std::move(r));
  }

  const std::vector<DbColumn>& columns() const override { return columns_; }

  StatusOr<bool> NextBatch(std::vector<std::vector<DbValue>>* rows) override {
    rows->clear();
    while (!done_ && static_cast<int64_t>(rows->size()) < o_.batch_rows) {
      if (!has_row_) {
        ASSIGN_OR_RETURN(has_row_, Step());
        if (!has_row_) {
          done_ = true;
          break;
        }
      }
      const int cols = static_cast<int>(columns_.size());
      std::vector<DbValue> row(cols);
      for (int c = 0; c < cols; ++c) {
        sqlite3_stmt* s = stmt_.get();
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_NULL:
            break;
          case SQLITE_INTEGER:
            row[c] = {DbValue::Kind::kInteger, std::to_string(sqlite3_column_int64(s, c))};
            break;
          case SQLITE_FLOAT: {
            double d = sqlite3_column_double(s, c);
            row[c] = std::isfinite(d) ? DbValue{DbValue::Kind::kReal, RealText(d)}
                                      : DbValue{DbValue::Kind::kText, RealText(d)};
            break;
          }
          default: {  // text, or a blob taken as its bytes
            const char* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
            row[c] = {DbValue::Kind::kText, std::string(p ? p : "", sqlite3_column_bytes(s, c))};
          }
        }
      }
      rows->push_back(std::move(row));
      has_row_ = false;
    }
    return !rows->empty();
  }

 private:
  explicit SqliteReader(const DbReadOptions& o) : o_(o) {}

  Status Start() {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(o_.connection.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      return Status::Unavailable("cannot open SQLite database " + o_.connection + ": " +
                                 (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db_.get(), 10000);
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = SelectSql(o_, "?1");
    rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &stmt, nullptr);
    stmt_.reset(stmt);
    if (rc != SQLITE_OK) {
      return Status::InvalidArgument(std::string("query failed: ") + sqlite3_errmsg(db_.get()));
    }
    if (o_.after && o_.after->kind != DbValue::Kind::kNull) {
      const DbValue& a = *o_.after;
      if (a.kind == DbValue::Kind::kInteger) {
        sqlite3_bind_int64(stmt, 1, std::stoll(a.text));
      } else if (a.kind == DbValue::Kind::kReal) {
        sqlite3_bind_double(stmt, 1, std::stod(a.text));
      } else {
        sqlite3_bind_text(stmt, 1, a.text.data(), static_cast<int>(a.text.size()),
                          SQLITE_TRANSIENT);
      }
    }
    const int cols = sqlite3_column_count(stmt);
    for (int c = 0; c < cols; ++c) {
      const char* decl = sqlite3_column_decltype(stmt, c);
      columns_.push_back({sqlite3_column_name(stmt, c), decl ? decl : ""});
    }
    if (!o_.incremental_column.empty()) {
      bool found = false;
      for (const auto& c : columns_) found |= c.name == o_.incremental_column;
      if (!found) {
        return Status::InvalidArgument("incremental_column '" + o_.incremental_column +
                                       "' is not a column of the result");
      }
    }
    // Run the first step now: errors surface at Open, like PostgreSQL's.
    ASSIGN_OR_RETURN(has_row_, Step());
    done_ = !has_row_;
    return Status::OK();
  }

  StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Status::InvalidArgument(std::string("query failed: ") + sqlite3_errmsg(db_.get()));
  }

  DbReadOptions o_;
  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::unique_ptr<sqlite3_stmt, StmtCloser> stmt_;  // declared after db_: finalized first
  std::vector<DbColumn> columns_;
  bool has_row_ = false;
  bool done_ = false;
};

}  // namespace

std::string QuoteSqlIdentifier(const std::string& name, bool split_dots) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') {
      out += "\"\"";
    } else if (c == '.' && split_dots) {
      out += "\".\"";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

StatusOr<std::unique_ptr<DbReader>> DbReader::Open(const DbReadOptions& options) {
  if (options.table.empty() == options.query.empty())
    return Status::InvalidArgument("expected exactly one of table and query");
  if (options.batch_rows < 1) return Status::InvalidArgument("batch_rows must be at least 1");
  return options.kind == DbKind::kPostgres ? PostgresReader::Open(options)
                                           : SqliteReader::Open(options);
}

}  // namespace recmart::ingest
