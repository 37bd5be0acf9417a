// What the CSV and JSON-lines fuzz targets share: an in-memory ByteSource
// that hands out the input in chunks of a chosen size (so records straddle
// refills), and a loop that reads every row and checks the reader contract
// of ingest/reader.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/ingest/decompress.h"
#include "recmart/ingest/reader.h"

namespace recmart::fuzz {

inline void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: invariant failed: %s %s\n", what, std::string(detail).c_str());
    std::abort();
  }
}

class MemorySource : public ingest::ByteSource {
 public:
  MemorySource(std::string_view bytes, size_t chunk) : bytes_(bytes), chunk_(chunk) {}

  StatusOr<size_t> Read(char* buf, size_t n) override {
    const size_t k = std::min({n, chunk_, bytes_.size() - pos_});
    std::memcpy(buf, bytes_.data() + pos_, k);
    pos_ += k;
    consumed_ += k;
    return k;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  size_t chunk_;
};

using OpenFn = StatusOr<std::unique_ptr<ingest::RowReader>> (*)(const std::string&,
                                                                std::unique_ptr<ingest::ByteSource>,
                                                                const ingest::ReaderOptions&,
                                                                const std::vector<std::string>&);

// Opens `bytes` with `open` for `columns` and reads it to the end, checking
// every row. Returns the reader's column names (empty when it did not open).
inline std::vector<std::string> ReadAll(OpenFn open, std::string_view bytes, size_t chunk,
                                        const ingest::ReaderOptions& options,
                                        const std::vector<std::string>& columns) {
  auto reader = open("fuzz", std::make_unique<MemorySource>(bytes, chunk), options, columns);
  if (!reader.ok()) return {};
  ingest::Row row;
  uint64_t rows = 0, last_line = 0;
  while (true) {
    StatusOr<bool> more = (*reader)->Next(&row);
    Check(more.ok(), "an in-memory source never fails");
    if (!*more) break;
    // Every record holds at least its line break, except possibly the last.
    Check(++rows <= bytes.size() + 1, "no more rows than bytes");
    Check(row.line > last_line, "line numbers increase");
    last_line = row.line;
    Check(row.raw.size() <= options.max_row_bytes, "raw is cut to max_row_bytes");
    if (row.error == ingest::RowError::kNone) {
      Check(row.values.size() == columns.size(), "one value per requested column");
      for (const auto& v : row.values) {
        Check(!v || v->size() <= options.max_field_bytes, "no value past max_field_bytes");
      }
    } else {
      Check(row.values.empty(), "no values on an error row");
      (void)ingest::RowErrorName(row.error);
    }
  }
  (void)(*reader)->bytes_consumed();
  return (*reader)->ColumnNames();
}

// The input of the round-trip checks: `text` as rows of fields, rows split
// at \x01 and fields at \x02 (bytes real files rarely hold).
inline std::vector<std::vector<std::string_view>> SplitFields(std::string_view text) {
  std::vector<std::vector<std::string_view>> rows;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\x01', start);
    if (end == std::string_view::npos) end = text.size();
    std::vector<std::string_view> fields;
    for (size_t f = start; f <= end;) {
      size_t e = text.find('\x02', f);
      if (e == std::string_view::npos || e > end) e = end;
      fields.push_back(text.substr(f, e - f));
      f = e + 1;
    }
    rows.push_back(std::move(fields));
    start = end + 1;
  }
  return rows;
}

// The reader options encoded in one byte (the rest as given).
inline ingest::ReaderOptions OptionsFromByte(ingest::Format format, uint8_t b) {
  ingest::ReaderOptions o;
  o.format = format;
  o.compression = ingest::Compression::kNone;
  static constexpr char kDelimiters[] = {0, ',', ';', '|'};
  static constexpr char kQuotes[] = {'"', '\'', 0, '"'};
  o.delimiter = kDelimiters[b & 3];
  o.quote = kQuotes[(b >> 2) & 3];
  o.header = (b & 0x10) == 0;
  if (b & 0x20) o.max_field_bytes = 8;
  if (b & 0x40) o.max_row_bytes = 48;
  return o;
}

}  // namespace recmart::fuzz
