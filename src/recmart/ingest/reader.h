// Row readers: turn a source file (CSV, TSV, JSON lines or Parquet; plain,
// gzip or zstd) into a stream of rows, each holding the values of the columns
// the caller asked for. A row that cannot be read at the syntax level (bad
// UTF-8, NUL byte, malformed JSON, wrong column count, overlong field) is
// still returned, with `error` set and its raw bytes, so that the caller can
// quarantine it: a reader never drops a row silently and never throws.
//
// Semantic checks (is this a timestamp? is the id present?) are the caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::ingest {

enum class Format { kCsv, kTsv, kJsonl, kParquet };
enum class Compression { kAuto, kNone, kGzip, kZstd };

std::string_view FormatName(Format f);            // "csv", "tsv", "jsonl", "parquet"
std::string_view CompressionName(Compression c);  // "auto", "none", "gzip", "zstd"
// kAuto resolved from the file name (.gz, .zst/.zstd) and then the magic bytes.
StatusOr<Compression> DetectCompression(const std::string& path);

struct ReaderOptions {
  Format format = Format::kCsv;
  Compression compression = Compression::kAuto;
  // CSV/TSV only. 0 = the format's default (',' for CSV, '\t' for TSV).
  char delimiter = 0;
  char quote = '"';
  // CSV/TSV: the first record names the columns.
  bool header = true;
  // A field longer than this makes its row an error (kFieldTooLong).
  size_t max_field_bytes = 64 * 1024;
  // A record longer than this is an error (kRowTooLong); the reader skips to
  // the next line and goes on.
  size_t max_row_bytes = 1024 * 1024;
};

// Why a row could not be read. Names (RowErrorName) are the quarantine reasons.
enum class RowError {
  kNone,
  kInvalidUtf8,        // "invalid_utf8"
  kNulByte,            // "nul_byte"
  kMalformedJson,      // "malformed_json" (includes truncated lines)
  kNotJsonObject,      // "not_json_object" (a line that is valid JSON but not an object)
  kWrongColumnCount,   // "wrong_column_count"
  kUnterminatedQuote,  // "unterminated_quote" (CSV quote still open at end of file)
  kFieldTooLong,       // "field_too_long"
  kRowTooLong,         // "row_too_long"
};
std::string_view RowErrorName(RowError e);

struct Row {
  // 1-based physical line number where the record starts in the
  // (decompressed) file, counting the header line. For Parquet: 1-based row
  // index. Used as lineage (SOURCE_ROW).
  uint64_t line = 0;
  RowError error = RowError::kNone;
  // Human detail for an error, e.g. "expected 8 fields, got 7".
  std::string error_detail;
  // The record's raw bytes (without the line terminator); may be cut to
  // max_row_bytes. Valid until the next call to Next().
  std::string_view raw;
  // One entry per requested column, in request order: the value's text, or
  // nullopt when the column is absent from this row or is JSON null. An empty
  // CSV field is an empty string, not nullopt. JSON strings are unescaped,
  // numbers and booleans are their literal text, nested objects/arrays their
  // raw JSON. Valid until the next call to Next(). Empty when error != kNone.
  std::vector<std::optional<std::string_view>> values;
};

class RowReader {
 public:
  virtual ~RowReader() = default;

  // Opens `path` for reading the named `columns` (CSV/TSV header names; JSON
  // keys, with "a.b" reaching into nested objects; Parquet column names).
  // Errors: NotFound for a missing file; InvalidArgument naming the column when
  // a CSV header or Parquet schema lacks a requested column (JSON keys may be
  // absent from any row: those values are nullopt); IOError when unreadable.
  // An empty file, or a CSV with only a header, opens fine and yields no rows.
  static StatusOr<std::unique_ptr<RowReader>> Open(const std::string& path,
                                                   const ReaderOptions& options,
                                                   const std::vector<std::string>& columns);

  // Reads the next row into *row. Returns false at the end of the file. A
  // non-OK status (e.g. a corrupt gzip stream) ends reading; rows returned
  // before it stand. Never throws: this is the readers' exception boundary.
  StatusOr<bool> Next(Row* row);

  // The file's column names: the CSV header, or the JSON keys seen so far.
  virtual std::vector<std::string> ColumnNames() const = 0;

  // Bytes of the underlying (possibly compressed) file consumed so far, for
  // progress reporting.
  virtual uint64_t bytes_consumed() const = 0;

 protected:
  // The format's own reading, behind Next(); may throw (library code).
  virtual StatusOr<bool> ReadNext(Row* row) = 0;
  // Where reading is, for messages: "line 12" or "row 12".
  virtual std::string Position() const = 0;
  // The file, for messages.
  virtual const std::string& path() const = 0;
};

}  // namespace recmart::ingest
