#include "recmart/lake/duckdb.h"

#include <duckdb.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
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
  // SELECT results are all VARCHAR (see Connection::Query) and read through
  // data chunks; other statements' results through the legacy value API.
  // DuckDB forbids mixing the two on one result.
  bool text_chunks = false;
  // Strings are read from the result's data chunks (with their length, so a
  // NUL byte does not cut them): the first row of each chunk, and the chunk
  // read last, kept for sequential access.
  std::vector<size_t> chunk_starts;
  size_t cached_index = SIZE_MAX;
  duckdb_data_chunk cached = nullptr;

  ~Impl() {
    if (cached) duckdb_destroy_data_chunk(&cached);
    if (valid) duckdb_destroy_result(&result);
  }

  void IndexChunks() {
    size_t start = 0;
    size_t n = duckdb_result_chunk_count(result);
    for (size_t i = 0; i < n; ++i) {
      chunk_starts.push_back(start);
      duckdb_data_chunk c = duckdb_result_get_chunk(result, i);
      start += duckdb_data_chunk_get_size(c);
      duckdb_destroy_data_chunk(&c);
    }
  }

  // The chunk holding `row`, and the row's offset in it.
  duckdb_data_chunk ChunkFor(size_t row, size_t* offset) {
    size_t i = static_cast<size_t>(std::upper_bound(chunk_starts.begin(), chunk_starts.end(), row) -
                                   chunk_starts.begin()) -
               1;
    if (i != cached_index) {
      if (cached) duckdb_destroy_data_chunk(&cached);
      cached = duckdb_result_get_chunk(result, i);
      cached_index = i;
    }
    *offset = row - chunk_starts[i];
    return cached;
  }
};

QueryResult::QueryResult() : impl_(std::make_unique<Impl>()) {}
QueryResult::QueryResult(QueryResult&&) noexcept = default;
QueryResult& QueryResult::operator=(QueryResult&&) noexcept = default;
QueryResult::~QueryResult() = default;

size_t QueryResult::column_count() const { return duckdb_column_count(&impl_->result); }
size_t QueryResult::row_count() const { return duckdb_row_count(&impl_->result); }

namespace {

// Type name of a logical type: its alias, else DuckDB's own spelling.
std::string TypeName(duckdb_logical_type t) {
  if (char* alias = duckdb_logical_type_get_alias(t)) {
    std::string out(alias);
    duckdb_free(alias);
    return out;
  }
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT:
      return "UHUGEINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(duckdb_decimal_width(t)) + "," +
             std::to_string(duckdb_decimal_scale(t)) + ")";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIME_TZ:
      return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S:
      return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_ENUM:
      return "ENUM";
    case DUCKDB_TYPE_LIST:
      return "LIST";
    case DUCKDB_TYPE_ARRAY:
      return "ARRAY";
    case DUCKDB_TYPE_STRUCT:
      return "STRUCT";
    case DUCKDB_TYPE_MAP:
      return "MAP";
    case DUCKDB_TYPE_UNION:
      return "UNION";
    case DUCKDB_TYPE_BIT:
      return "BIT";
    default:
      return "OTHER";
  }
}

bool IsNumeric(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
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

// Types the materialised-result value accessors read correctly. Anything
// else (TIMESTAMPTZ, UUID, nested types, ENUM, ...) must be cast to VARCHAR
// in SQL first: those accessors return nothing for them, and a UUID column
// can even corrupt reads of the other columns.
bool ReadableByValueApi(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_INTERVAL:
      return true;
    default:
      return IsNumeric(t) && t != DUCKDB_TYPE_UHUGEINT;
  }
}

struct Prepared {
  duckdb_prepared_statement stmt = nullptr;
  ~Prepared() {
    if (stmt) duckdb_destroy_prepare(&stmt);
  }
};

Status PrepareOrError(duckdb_connection con, const std::string& sql, Prepared* p) {
  if (duckdb_prepare(con, sql.c_str(), &p->stmt) == DuckDBSuccess) return Status::OK();
  std::string msg = p->stmt ? duckdb_prepare_error(p->stmt) : "cannot prepare";
  if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return Status::Internal("duckdb: " + msg);
}

}  // namespace

// Text of a VARCHAR cell read from its chunk, or nullopt for NULL.
static std::optional<std::string_view> ChunkText(QueryResult::Impl* impl, size_t col, size_t row) {
  size_t offset = 0;
  duckdb_data_chunk chunk = impl->ChunkFor(row, &offset);
  duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, col);
  uint64_t* validity = duckdb_vector_get_validity(vec);
  if (validity && !duckdb_validity_row_is_valid(validity, offset)) return std::nullopt;
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vec));
  duckdb_string_t& v = data[offset];
  return std::string_view(duckdb_string_t_data(&v), duckdb_string_t_length(v));
}

// The legacy accessors (duckdb_value_*) are deprecated, but they cast the
// types they support to text for us; they serve only non-SELECT statements,
// whose results are small (SHOW, DESCRIBE, PRAGMA).
bool QueryResult::IsNull(size_t col, size_t row) const {
  if (impl_->text_chunks) return !ChunkText(impl_.get(), col, row).has_value();
  return duckdb_value_is_null(&impl_->result, col, row);
}

std::optional<std::string> QueryResult::GetString(size_t col, size_t row) const {
  if (impl_->text_chunks) {
    std::optional<std::string_view> v = ChunkText(impl_.get(), col, row);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  if (duckdb_value_is_null(&impl_->result, col, row)) return std::nullopt;
  char* s = duckdb_value_varchar(&impl_->result, col, row);
  if (!s) return std::string();
  std::string out(s);
  duckdb_free(s);
  return out;
}

int64_t QueryResult::GetInt64(size_t col, size_t row) const {
  if (!impl_->text_chunks) return duckdb_value_int64(&impl_->result, col, row);
  std::optional<std::string_view> v = ChunkText(impl_.get(), col, row);
  int64_t out = 0;
  if (v && (*v == "true" || *v == "false")) return *v == "true" ? 1 : 0;
  if (v) {
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || end != v->data() + v->size())
      out = static_cast<int64_t>(GetDouble(col, row));
  }
  return out;
}

double QueryResult::GetDouble(size_t col, size_t row) const {
  if (!impl_->text_chunks) return duckdb_value_double(&impl_->result, col, row);
  std::optional<std::string_view> v = ChunkText(impl_.get(), col, row);
  if (!v) return 0;
  std::string text(*v);
  return std::strtod(text.c_str(), nullptr);
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
  std::string q(sql);
  Prepared prepared;
  // Several statements: run all but the last, then prepare the last one,
  // whose result is returned.
  duckdb_extracted_statements extracted = nullptr;
  idx_t count = duckdb_extract_statements(con_, q.c_str(), &extracted);
  if (count == 0) {
    std::string msg = extracted ? duckdb_extract_statements_error(extracted) : "cannot parse";
    if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    duckdb_destroy_extracted(&extracted);
    return Status::Internal("duckdb: " + msg);
  }
  Status status;
  for (idx_t i = 0; i < count && status.ok(); ++i) {
    Prepared p;
    if (duckdb_prepare_extracted_statement(con_, extracted, i, &p.stmt) != DuckDBSuccess) {
      std::string msg = p.stmt ? duckdb_prepare_error(p.stmt) : "cannot prepare";
      if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      status = Status::Internal("duckdb: " + msg);
    } else if (i + 1 < count) {
      duckdb_result r;
      if (duckdb_execute_prepared(p.stmt, &r) != DuckDBSuccess) {
        std::string msg = duckdb_result_error(&r) ? duckdb_result_error(&r) : "query failed";
        if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
        status = Status::Internal("duckdb: " + msg);
      }
      duckdb_destroy_result(&r);
    } else {
      std::swap(prepared.stmt, p.stmt);
    }
  }
  duckdb_destroy_extracted(&extracted);
  RETURN_IF_ERROR(status);
  const bool single = count == 1;
  while (!q.empty() && (std::isspace(static_cast<unsigned char>(q.back())) || q.back() == ';'))
    q.pop_back();
  QueryResult r;
  size_t n = duckdb_prepared_statement_column_count(prepared.stmt);
  bool readable = true;
  for (size_t i = 0; i < n; ++i) {
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(prepared.stmt, i);
    duckdb_type id = duckdb_get_type_id(t);
    const char* name = duckdb_prepared_statement_column_name(prepared.stmt, i);
    r.names_.emplace_back(name ? name : "");
    duckdb_free(const_cast<char*>(name));  // the caller owns it
    r.types_.push_back(TypeName(t));
    r.numeric_.push_back(IsNumeric(id));
    readable &= ReadableByValueApi(id);
    duckdb_destroy_logical_type(&t);
  }
  if (single && duckdb_prepared_statement_type(prepared.stmt) == DUCKDB_STATEMENT_TYPE_SELECT &&
      n > 0) {
    // Every column as text, read from data chunks: exact bytes for every
    // type. column_type() keeps the original types.
    Prepared as_text;
    Status s =
        PrepareOrError(con_, "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (" + q + ")", &as_text);
    if (s.ok()) {
      std::swap(prepared.stmt, as_text.stmt);
      r.impl_->text_chunks = true;
    } else if (!readable) {
      return s;
    }
  } else if (!readable) {
    return Status::InvalidArgument(
        "this statement returns columns of a type that can only be shown from a SELECT");
  }
  if (duckdb_execute_prepared(prepared.stmt, &r.impl_->result) != DuckDBSuccess) {
    const char* e = duckdb_result_error(&r.impl_->result);
    std::string msg = e ? e : "query failed";
    // DuckDB appends a multi-line caret display; errors here are one line.
    if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    duckdb_destroy_result(&r.impl_->result);
    return Status::Internal("duckdb: " + msg);
  }
  r.impl_->valid = true;
  if (r.impl_->text_chunks) r.impl_->IndexChunks();
  return r;
}

// ---------------------------------------------------------------- ChunkView

bool ChunkView::IsNull(size_t col, size_t row) const {
  const uint64_t* v = validity_[col];
  return v && !duckdb_validity_row_is_valid(const_cast<uint64_t*>(v), row);
}

std::string_view ChunkView::Text(size_t col, size_t row) const {
  if (IsNull(col, row)) return {};
  auto* s = static_cast<duckdb_string_t*>(const_cast<void*>(data_[col])) + row;
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}

int64_t ChunkView::Int64(size_t col, size_t row) const {
  if (IsNull(col, row)) return 0;
  const void* d = data_[col];
  switch ((*types_)[col]) {
    case DUCKDB_TYPE_BOOLEAN:
      return static_cast<const bool*>(d)[row] ? 1 : 0;
    case DUCKDB_TYPE_TINYINT:
      return static_cast<const int8_t*>(d)[row];
    case DUCKDB_TYPE_SMALLINT:
      return static_cast<const int16_t*>(d)[row];
    case DUCKDB_TYPE_INTEGER:
      return static_cast<const int32_t*>(d)[row];
    case DUCKDB_TYPE_BIGINT:
      return static_cast<const int64_t*>(d)[row];
    case DUCKDB_TYPE_UTINYINT:
      return static_cast<const uint8_t*>(d)[row];
    case DUCKDB_TYPE_USMALLINT:
      return static_cast<const uint16_t*>(d)[row];
    case DUCKDB_TYPE_UINTEGER:
      return static_cast<const uint32_t*>(d)[row];
    case DUCKDB_TYPE_UBIGINT:
      return static_cast<int64_t>(static_cast<const uint64_t*>(d)[row]);
    case DUCKDB_TYPE_FLOAT:
      return static_cast<int64_t>(static_cast<const float*>(d)[row]);
    case DUCKDB_TYPE_DOUBLE:
      return static_cast<int64_t>(static_cast<const double*>(d)[row]);
    default:
      return 0;  // refused by Stream()
  }
}

double ChunkView::Double(size_t col, size_t row) const {
  if (IsNull(col, row)) return 0;
  switch ((*types_)[col]) {
    case DUCKDB_TYPE_FLOAT:
      return static_cast<const float*>(data_[col])[row];
    case DUCKDB_TYPE_DOUBLE:
      return static_cast<const double*>(data_[col])[row];
    case DUCKDB_TYPE_UBIGINT:
      return static_cast<double>(static_cast<const uint64_t*>(data_[col])[row]);
    default:
      return static_cast<double>(Int64(col, row));
  }
}

namespace {

bool Streamable(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      return true;
    default:
      return false;
  }
}

std::string FirstLine(const char* e, const char* fallback) {
  std::string msg = e && *e ? e : fallback;
  if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace

Status Connection::Stream(std::string_view sql, const std::function<Status(const ChunkView&)>& fn) {
  Prepared p;
  RETURN_IF_ERROR(PrepareOrError(con_, std::string(sql), &p));
  // DuckDB 1.4 marks its streaming entry points deprecated without a
  // replacement: duckdb_execute_prepared would materialise the whole result.
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(p.stmt, &pending) != DuckDBSuccess) {
    std::string msg = FirstLine(pending ? duckdb_pending_error(pending) : nullptr, "cannot run");
    duckdb_destroy_pending(&pending);
    return Status::Internal("duckdb: " + msg);
  }
  duckdb_result result;
  const bool ran = duckdb_execute_pending(pending, &result) == DuckDBSuccess;
  duckdb_destroy_pending(&pending);
  if (!ran) {
    std::string msg = FirstLine(duckdb_result_error(&result), "query failed");
    duckdb_destroy_result(&result);
    return Status::Internal("duckdb: " + msg);
  }
  const size_t cols = duckdb_column_count(&result);
  std::vector<int> types(cols);
  Status s;
  for (size_t c = 0; c < cols && s.ok(); ++c) {
    duckdb_type t = duckdb_column_type(&result, c);
    types[c] = static_cast<int>(t);
    if (!Streamable(t)) {
      const char* name = duckdb_column_name(&result, c);
      s = Status::InvalidArgument(std::string("column ") + (name ? name : "?") +
                                  ": type cannot be streamed (cast it to VARCHAR, BIGINT or "
                                  "DOUBLE)");
    }
  }
  ChunkView view;
  view.types_ = &types;
  view.data_.resize(cols);
  view.validity_.resize(cols);
  while (s.ok()) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(result);
    if (!chunk) {
      const char* e = duckdb_result_error(&result);
      if (e && *e) s = Status::Internal("duckdb: " + FirstLine(e, "query failed"));
      break;
    }
    view.rows_ = duckdb_data_chunk_get_size(chunk);
    for (size_t c = 0; c < cols; ++c) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
      view.data_[c] = duckdb_vector_get_data(v);
      view.validity_[c] = duckdb_vector_get_validity(v);
    }
    s = fn(view);
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&result);
  return s;
}

Status Connection::Execute(std::string_view sql) {
  // duckdb_query runs every statement of a multi-statement string.
  duckdb_result result;
  std::string q(sql);
  if (duckdb_query(con_, q.c_str(), &result) != DuckDBSuccess) {
    const char* e = duckdb_result_error(&result);
    std::string msg = e ? e : "query failed";
    if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    duckdb_destroy_result(&result);
    return Status::Internal("duckdb: " + msg);
  }
  duckdb_destroy_result(&result);
  return Status::OK();
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
    Release();
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

Appender::~Appender() { Release(); }

void Appender::Release() {
  if (appender_) {
    (void)FlushChunk();
    duckdb_appender_destroy(&appender_);
    appender_ = nullptr;
  }
  if (chunk_) {
    duckdb_destroy_data_chunk(&chunk_);
    chunk_ = nullptr;
  }
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
