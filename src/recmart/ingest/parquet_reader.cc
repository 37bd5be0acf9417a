// Parquet through DuckDB: its reader handles every encoding and compression
// codec, and casting to VARCHAR gives the same text-in, text-out contract as
// the CSV and JSON readers. The lake wrapper only returns materialised
// results, so rows are fetched in batches of file_row_number ranges, which
// DuckDB pushes down to row-group pruning (each batch reads only the row
// groups it needs) and which give each row its exact 1-based index.
#include "recmart/ingest/parquet_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <exception>
#include <new>

#include "recmart/lake/duckdb.h"

namespace recmart::ingest {
namespace {

constexpr uint64_t kBatchRows = 65536;
// DuckDB's virtual column for the row's position in the file.
constexpr std::string_view kRowNumber = "file_row_number";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class ParquetReader final : public RowReader {
 public:
  ParquetReader(std::string path, const ReaderOptions& options)
      : path_(std::move(path)),
        max_field_(options.max_field_bytes),
        max_row_(std::max<size_t>(options.max_row_bytes, 1)) {}

  Status Init(const std::vector<std::string>& columns);

  const std::string& path() const override { return path_; }

 protected:
  StatusOr<bool> ReadNext(Row* row) override { return NextImpl(row); }
  std::string Position() const override { return "row " + std::to_string(next_row_ + 1); }

 public:
  std::vector<std::string> ColumnNames() const override { return names_; }
  // DuckDB reads the file itself; progress is reported in rows' share of the
  // file size, which is what callers use it for.
  uint64_t bytes_consumed() const override {
    if (total_rows_ == 0) return 0;
    return static_cast<uint64_t>(
        static_cast<double>(file_size_) *
        (static_cast<double>(next_row_) / static_cast<double>(total_rows_)));
  }

 private:
  StatusOr<bool> NextImpl(Row* row);
  Status FetchBatch();
  Status QueryError(const Status& s) const {
    return Status::IOError(path_ + ": cannot read the Parquet file: " + s.message());
  }

  const std::string path_;
  const size_t max_field_;
  const size_t max_row_;
  std::unique_ptr<lake::Database> db_;
  std::optional<lake::Connection> con_;
  std::vector<std::string> names_;
  std::vector<std::string> columns_;
  std::string select_list_;  // row number, the casts, and the NUL check
  std::string source_;       // read_parquet(...)
  bool batched_ = true;      // false when the file has its own "file_row_number"
  uint64_t total_rows_ = 0;
  uint64_t file_size_ = 0;
  uint64_t next_row_ = 0;    // 0-based index of the next row to return
  uint64_t fetched_to_ = 0;  // rows [0, fetched_to_) have been queried
  std::optional<lake::QueryResult> batch_;
  size_t batch_pos_ = 0;

  std::vector<std::optional<std::string>> cells_;
  std::string raw_;
};

Status ParquetReader::Init(const std::vector<std::string>& columns) {
  columns_ = columns;
  lake::DatabaseOptions opts;
  opts.threads = 1;  // one reader among the ETL's workers
  opts.memory_limit = "512MB";
  ASSIGN_OR_RETURN(db_, lake::Database::Open("", opts));
  ASSIGN_OR_RETURN(lake::Connection con, db_->Connect());
  con_.emplace(std::move(con));

  const std::string file = lake::SqlString(path_);
  StatusOr<lake::QueryResult> schema =
      con_->Query("DESCRIBE SELECT * FROM read_parquet(" + file + ")");
  if (!schema.ok()) return QueryError(schema.status());
  bool has_row_number_column = false;
  for (size_t i = 0; i < schema->row_count(); ++i) {
    std::optional<std::string> name = schema->GetString(0, i);
    names_.push_back(name.value_or(""));
    if (Lower(names_.back()) == kRowNumber) has_row_number_column = true;
  }
  for (const std::string& col : columns) {
    if (std::find(names_.begin(), names_.end(), col) == names_.end()) {
      std::string msg = path_ + ": column '" + col + "' is not in the Parquet schema (columns: ";
      for (size_t i = 0; i < names_.size(); ++i) {
        if (i) msg += ", ";
        msg += names_[i];
      }
      return Status::InvalidArgument(msg + ")");
    }
  }

  StatusOr<std::optional<std::string>> count =
      con_->QueryScalar("SELECT count(*) FROM read_parquet(" + file + ")");
  if (!count.ok()) return QueryError(count.status());
  total_rows_ = std::stoull(count->value_or("0"));
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) file_size_ = static_cast<uint64_t>(st.st_size);

  // A file with a real column named file_row_number cannot also have the
  // virtual one: read it in one query, in file order.
  batched_ = !has_row_number_column;
  select_list_ = batched_ ? std::string(kRowNumber) : "0";
  std::string nul_check = "CASE";
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string cast = "CAST(" + lake::SqlIdent(columns[i]) + " AS VARCHAR)";
    select_list_ += ", " + cast;
    nul_check += " WHEN contains(" + cast + ", chr(0)) THEN " + std::to_string(i + 1);
  }
  select_list_ += columns.empty() ? ", 0" : ", " + nul_check + " ELSE 0 END";
  source_ = "read_parquet(" + file + (batched_ ? ", file_row_number=true)" : ")");
  cells_.resize(columns.size());
  return Status::OK();
}

Status ParquetReader::FetchBatch() {
  std::string sql = "SELECT " + select_list_ + " FROM " + source_;
  uint64_t end = total_rows_;
  if (batched_) {
    end = std::min(total_rows_, fetched_to_ + kBatchRows);
    sql += " WHERE " + std::string(kRowNumber) + " >= " + std::to_string(fetched_to_) + " AND " +
           std::string(kRowNumber) + " < " + std::to_string(end) + " ORDER BY " +
           std::string(kRowNumber);
  }
  batch_.reset();
  StatusOr<lake::QueryResult> r = con_->Query(sql);
  if (!r.ok()) return QueryError(r.status());
  if (r->row_count() != end - fetched_to_) {
    return Status::IOError(path_ + ": Parquet rows " + std::to_string(fetched_to_ + 1) + ".." +
                           std::to_string(end) + ": expected " + std::to_string(end - fetched_to_) +
                           " rows, DuckDB returned " + std::to_string(r->row_count()));
  }
  batch_.emplace(std::move(r).value());
  batch_pos_ = 0;
  fetched_to_ = end;
  return Status::OK();
}

StatusOr<bool> ParquetReader::NextImpl(Row* row) {
  if (next_row_ >= total_rows_) return false;
  if (!batch_ || batch_pos_ >= batch_->row_count()) RETURN_IF_ERROR(FetchBatch());
  const lake::QueryResult& b = *batch_;
  const size_t r = batch_pos_++;
  const uint64_t index = next_row_++;

  row->line = index + 1;
  row->error = RowError::kNone;
  row->error_detail.clear();
  row->values.clear();
  raw_.clear();
  size_t longest = 0, longest_at = 0;
  for (size_t i = 0; i < columns_.size(); ++i) {
    cells_[i] = b.GetString(i + 1, r);
    if (i > 0) raw_ += ',';
    if (cells_[i]) {
      raw_ += *cells_[i];
      if (cells_[i]->size() > longest) {
        if (longest <= max_field_ && cells_[i]->size() > max_field_) longest_at = i;
        longest = cells_[i]->size();
      }
    }
  }
  const int64_t nul_column = b.GetInt64(columns_.size() + 1, r);
  row->raw = raw_;
  if (raw_.size() > max_row_) {
    row->raw = std::string_view(raw_).substr(0, max_row_);
    row->error = RowError::kRowTooLong;
    row->error_detail = "row of " + std::to_string(raw_.size()) +
                        " bytes is longer than max_row_bytes (" + std::to_string(max_row_) + ")";
  } else if (nul_column > 0) {
    row->error = RowError::kNulByte;
    row->error_detail =
        "value of '" + columns_[static_cast<size_t>(nul_column - 1)] + "' holds a NUL byte";
  } else if (longest > max_field_) {
    row->error = RowError::kFieldTooLong;
    row->error_detail = "value of '" + columns_[longest_at] + "' is " +
                        std::to_string(cells_[longest_at]->size()) + " bytes, max_field_bytes is " +
                        std::to_string(max_field_);
  } else {
    for (const auto& cell : cells_) {
      if (cell) {
        row->values.emplace_back(std::string_view(*cell));
      } else {
        row->values.emplace_back(std::nullopt);
      }
    }
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<RowReader>> OpenParquetReader(const std::string& path,
                                                       const ReaderOptions& options,
                                                       const std::vector<std::string>& columns) {
  auto reader = std::make_unique<ParquetReader>(path, options);
  RETURN_IF_ERROR(reader->Init(columns));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace recmart::ingest
