#include "recmart/lake/duckdb.h"

#include <duckdb.h>

#include <cstring>

namespace recmart::lake {

// ---------------------------------------------------------------- Database

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                   const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return Status::Internal("duckdb: config");
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) duckdb_set_config(config, key, value.c_str());
  };
  set("memory_limit", options.memory_limit);
  if (options.threads > 0) set("threads", std::to_string(options.threads));
  set("temp_directory", options.temp_directory);
  // Never fetch extensions from the network at run time: everything recmart
  // needs (parquet, json, icu) is built into the pinned library.
  set("autoinstall_known_extensions", "false");
  set("autoload_known_extensions", "true");

  std::unique_ptr<Database> db(new Database());
  char* err = nullptr;
  duckdb_state st = duckdb_open_ext(path.empty() ? nullptr : path.c_str(), &db->db_, config, &err);
  duckdb_destroy_config(&config);
  if (st != DuckDBSuccess) {
    std::string msg = err ? err : "unknown error";
    if (err) duckdb_free(err);
    return Status::IOError("duckdb: cannot open '" + path + "': " + msg);
  }
  return db;
}

Database::~Database() {
  if (db_) duckdb_close(&db_);
}

StatusOr<Connection> Database::Connect() {
  Connection c;
  if (duckdb_connect(db_, &c.con_) != DuckDBSuccess)
    return Status::Internal("duckdb: connect failed");
  return c;
}

// ---------------------------------------------------------------- QueryResult

struct QueryResult::Impl {
  duckdb_result result{};
  bool valid = false;
  ~Impl() {
    if (valid) duckdb_destroy_result(&result);
  }
};

QueryResult::QueryResult() : impl_(std::make_unique<Impl>()) {}
QueryResult::QueryResult(QueryResult&&) noexcept = default;
QueryResult& QueryResult::operator=(QueryResult&&) noexcept = default;
QueryResult::~QueryResult() = default;

size_t QueryResult::column_count() const { return duckdb_column_count(&impl_->result); }
size_t QueryResult::row_count() const { return duckdb_row_count(&impl_->result); }

std::string QueryResult::column_type(size_t col) const {
  duckdb_logical_type t = duckdb_column_logical_type(&impl_->result, col);
  char* s = duckdb_logical_type_get_alias(t);
  std::string out;
  if (s) {
    out = s;
    duckdb_free(s);
  } else {
    switch (duckdb_get_type_id(t)) {
      case DUCKDB_TYPE_BOOLEAN:
        out = "BOOLEAN";
        break;
      case DUCKDB_TYPE_TINYINT:
        out = "TINYINT";
        break;
      case DUCKDB_TYPE_SMALLINT:
        out = "SMALLINT";
        break;
      case DUCKDB_TYPE_INTEGER:
        out = "INTEGER";
        break;
      case DUCKDB_TYPE_BIGINT:
        out = "BIGINT";
        break;
      case DUCKDB_TYPE_HUGEINT:
        out = "HUGEINT";
        break;
      case DUCKDB_TYPE_UTINYINT:
        out = "UTINYINT";
        break;
      case DUCKDB_TYPE_USMALLINT:
        out = "USMALLINT";
        break;
      case DUCKDB_TYPE_UINTEGER:
        out = "UINTEGER";
        break;
      case DUCKDB_TYPE_UBIGINT:
        out = "UBIGINT";
        break;
      case DUCKDB_TYPE_FLOAT:
        out = "FLOAT";
        break;
      case DUCKDB_TYPE_DOUBLE:
        out = "DOUBLE";
        break;
      case DUCKDB_TYPE_DECIMAL:
        out = "DECIMAL";
        break;
      case DUCKDB_TYPE_DATE:
        out = "DATE";
        break;
      case DUCKDB_TYPE_TIMESTAMP:
        out = "TIMESTAMP";
        break;
      case DUCKDB_TYPE_TIMESTAMP_TZ:
        out = "TIMESTAMP WITH TIME ZONE";
        break;
      case DUCKDB_TYPE_VARCHAR:
        out = "VARCHAR";
        break;
      case DUCKDB_TYPE_BLOB:
        out = "BLOB";
        break;
      case DUCKDB_TYPE_LIST:
        out = "LIST";
        break;
      case DUCKDB_TYPE_STRUCT:
        out = "STRUCT";
        break;
      default:
        out = "OTHER";
        break;
    }
  }
  duckdb_destroy_logical_type(&t);
  return out;
}

bool QueryResult::column_is_numeric(size_t col) const {
  switch (duckdb_column_type(&impl_->result, col)) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
      return true;
    default:
      return false;
  }
}

// The per-value accessors below are deprecated in favour of chunk access, but
// they cast any type to text for us and results read this way are small
// (catalog queries, CLI output); bulk data never goes through them.
bool QueryResult::IsNull(size_t col, size_t row) const {
  return duckdb_value_is_null(&impl_->result, col, row);
}

std::optional<std::string> QueryResult::GetString(size_t col, size_t row) const {
  if (IsNull(col, row)) return std::nullopt;
  char* s = duckdb_value_varchar(&impl_->result, col, row);
  if (!s) return std::nullopt;
  std::string out(s);
  duckdb_free(s);
  return out;
}

int64_t QueryResult::GetInt64(size_t col, size_t row) const {
  return duckdb_value_int64(&impl_->result, col, row);
}

double QueryResult::GetDouble(size_t col, size_t row) const {
  return duckdb_value_double(&impl_->result, col, row);
}

// ---------------------------------------------------------------- Connection

Connection::Connection(Connection&& o) noexcept : con_(o.con_) { o.con_ = nullptr; }
Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (con_) duckdb_disconnect(&con_);
    con_ = o.con_;
    o.con_ = nullptr;
  }
  return *this;
}
Connection::~Connection() {
  if (con_) duckdb_disconnect(&con_);
}

StatusOr<QueryResult> Connection::Query(std::string_view sql) {
  QueryResult r;
  std::string q(sql);
  if (duckdb_query(con_, q.c_str(), &r.impl_->result) != DuckDBSuccess) {
    const char* e = duckdb_result_error(&r.impl_->result);
    std::string msg = e ? e : "query failed";
    // DuckDB appends a multi-line caret display; errors here are one line.
    if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    duckdb_destroy_result(&r.impl_->result);
    return Status::Internal("duckdb: " + msg);
  }
  r.impl_->valid = true;
  size_t n = duckdb_column_count(&r.impl_->result);
  r.names_.reserve(n);
  for (size_t i = 0; i < n; ++i) r.names_.emplace_back(duckdb_column_name(&r.impl_->result, i));
  return r;
}

Status Connection::Execute(std::string_view sql) {
  // duckdb_query runs every statement of a multi-statement string.
  auto r = Query(sql);
  return r.status();
}

StatusOr<std::optional<std::string>> Connection::QueryScalar(std::string_view sql) {
  ASSIGN_OR_RETURN(QueryResult r, Query(sql));
  if (r.row_count() == 0 || r.column_count() == 0)
    return Status::NotFound("query returned no rows");
  return r.GetString(0, 0);
}

void Connection::Interrupt() {
  if (con_) duckdb_interrupt(con_);
}

StatusOr<Appender> Connection::CreateAppender(const std::string& table,
                                              std::vector<ColumnType> types,
                                              const std::string& schema) {
  Appender a;
  if (duckdb_appender_create(con_, schema.empty() ? nullptr : schema.c_str(), table.c_str(),
                             &a.appender_) != DuckDBSuccess) {
    const char* e = a.appender_ ? duckdb_appender_error(a.appender_) : nullptr;
    std::string msg = e ? e : "cannot create appender";
    if (a.appender_) duckdb_appender_destroy(&a.appender_);
    return Status::Internal("duckdb: appender for " + table + ": " + msg);
  }
  if (duckdb_appender_column_count(a.appender_) != types.size()) {
    return Status::Internal("duckdb: appender for " + table + ": table has " +
                            std::to_string(duckdb_appender_column_count(a.appender_)) +
                            " columns, caller gave " + std::to_string(types.size()));
  }
  std::vector<duckdb_logical_type> lt;
  for (ColumnType t : types) {
    duckdb_type id = DUCKDB_TYPE_VARCHAR;
    switch (t) {
      case ColumnType::kVarchar:
        id = DUCKDB_TYPE_VARCHAR;
        break;
      case ColumnType::kBigint:
        id = DUCKDB_TYPE_BIGINT;
        break;
      case ColumnType::kInteger:
        id = DUCKDB_TYPE_INTEGER;
        break;
      case ColumnType::kDouble:
        id = DUCKDB_TYPE_DOUBLE;
        break;
      case ColumnType::kBlob:
        id = DUCKDB_TYPE_BLOB;
        break;
    }
    lt.push_back(duckdb_create_logical_type(id));
  }
  a.chunk_ = duckdb_create_data_chunk(lt.data(), lt.size());
  for (auto& t : lt) duckdb_destroy_logical_type(&t);
  a.types_ = std::move(types);
  a.vectors_.resize(a.types_.size());
  a.data_.resize(a.types_.size());
  a.validity_.resize(a.types_.size());
  for (size_t i = 0; i < a.types_.size(); ++i) {
    a.vectors_[i] = duckdb_data_chunk_get_vector(a.chunk_, i);
    a.data_[i] = duckdb_vector_get_data(a.vectors_[i]);
    duckdb_vector_ensure_validity_writable(a.vectors_[i]);
    a.validity_[i] = duckdb_vector_get_validity(a.vectors_[i]);
  }
  return a;
}

// ---------------------------------------------------------------- Appender

Appender::Appender(Appender&& o) noexcept { *this = std::move(o); }
Appender& Appender::operator=(Appender&& o) noexcept {
  if (this != &o) {
    appender_ = o.appender_;
    chunk_ = o.chunk_;
    types_ = std::move(o.types_);
    vectors_ = std::move(o.vectors_);
    data_ = std::move(o.data_);
    validity_ = std::move(o.validity_);
    row_ = o.row_;
    total_rows_ = o.total_rows_;
    o.appender_ = nullptr;
    o.chunk_ = nullptr;
  }
  return *this;
}

Appender::~Appender() {
  if (appender_) {
    (void)FlushChunk();
    duckdb_appender_destroy(&appender_);
  }
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

void Appender::SetString(size_t col, std::string_view v) {
  duckdb_vector_assign_string_element_len(vectors_[col], row_, v.data(), v.size());
  duckdb_validity_set_row_valid(validity_[col], row_);
}
void Appender::SetInt64(size_t col, int64_t v) {
  static_cast<int64_t*>(data_[col])[row_] = v;
  duckdb_validity_set_row_valid(validity_[col], row_);
}
void Appender::SetInt32(size_t col, int32_t v) {
  static_cast<int32_t*>(data_[col])[row_] = v;
  duckdb_validity_set_row_valid(validity_[col], row_);
}
void Appender::SetDouble(size_t col, double v) {
  static_cast<double*>(data_[col])[row_] = v;
  duckdb_validity_set_row_valid(validity_[col], row_);
}
void Appender::SetNull(size_t col) { duckdb_validity_set_row_invalid(validity_[col], row_); }

Status Appender::EndRow() {
  ++row_;
  ++total_rows_;
  if (row_ == duckdb_vector_size()) return FlushChunk();
  return Status::OK();
}

Status Appender::FlushChunk() {
  if (row_ == 0 || !appender_) return Status::OK();
  duckdb_data_chunk_set_size(chunk_, row_);
  duckdb_state st = duckdb_append_data_chunk(appender_, chunk_);
  row_ = 0;
  duckdb_data_chunk_reset(chunk_);
  for (size_t i = 0; i < types_.size(); ++i) {
    data_[i] = duckdb_vector_get_data(vectors_[i]);
    duckdb_vector_ensure_validity_writable(vectors_[i]);
    validity_[i] = duckdb_vector_get_validity(vectors_[i]);
  }
  if (st != DuckDBSuccess) {
    const char* e = duckdb_appender_error(appender_);
    return Status::Internal(std::string("duckdb: append: ") + (e ? e : "failed"));
  }
  return Status::OK();
}

Status Appender::Flush() {
  RETURN_IF_ERROR(FlushChunk());
  if (duckdb_appender_flush(appender_) != DuckDBSuccess) {
    const char* e = duckdb_appender_error(appender_);
    return Status::Internal(std::string("duckdb: appender flush: ") + (e ? e : "failed"));
  }
  return Status::OK();
}

Status Appender::Close() {
  if (!appender_) return Status::OK();
  Status s = FlushChunk();
  if (s.ok() && duckdb_appender_close(appender_) != DuckDBSuccess) {
    const char* e = duckdb_appender_error(appender_);
    s = Status::Internal(std::string("duckdb: appender close: ") + (e ? e : "failed"));
  }
  duckdb_appender_destroy(&appender_);
  appender_ = nullptr;
  return s;
}

// ---------------------------------------------------------------- quoting

std::string SqlString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string SqlIdent(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace recmart::lake
