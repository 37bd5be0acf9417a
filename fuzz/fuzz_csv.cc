// The CSV/TSV reader (ingest/csv_reader.h) over an in-memory source.
//
// Input: byte 0 the options (delimiter, quote, header, small field and row
// limits, CSV or TSV; see OptionsFromByte), byte 1 the source's chunk size;
// the rest is the file. Read twice: for no column, then for the columns the
// first pass found (as crawl and then etl do). Then the same bytes, taken as
// fields, are written as CSV and must read back unchanged (RoundTrip).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/row_reader_fuzz.h"
#include "recmart/ingest/csv_reader.h"
#include "recmart/ingest/values.h"

namespace {

using namespace recmart;

// Round trip: `text` read as rows of fields (SplitFields; every row cut or
// padded to the first row's width) is written as CSV, quoting where the
// contract needs it (or everywhere, `quote_all`), and must read back as
// exactly those fields.
void RoundTrip(std::string_view text, const ingest::ReaderOptions& base, size_t chunk,
               bool quote_all) {
  if (base.quote == 0 || text.find('\0') != std::string_view::npos || !ingest::IsValidUtf8(text)) {
    return;  // rows the contract makes errors, or fields that cannot be written
  }
  ingest::ReaderOptions options = base;
  options.header = false;
  options.max_field_bytes = options.max_row_bytes = size_t{1} << 24;  // beyond any input
  const char delimiter = options.delimiter != 0
                             ? options.delimiter
                             : (options.format == ingest::Format::kTsv ? '\t' : ',');
  std::vector<std::vector<std::string_view>> rows = fuzz::SplitFields(text);
  const size_t width = rows.front().size();
  for (auto& fields : rows) fields.resize(width);
  std::string file;
  for (const auto& fields : rows) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) file += delimiter;
      const std::string_view v = fields[i];
      const bool quote = quote_all ||
                         v.find_first_of(std::string{delimiter, options.quote, '\n', '\r'}) !=
                             std::string_view::npos ||
                         (v.empty() && fields.size() == 1) ||
                         (file.empty() && v.substr(0, 3) == "\xef\xbb\xbf");
      if (!quote) {
        file += v;
        continue;
      }
      file += options.quote;
      for (char c : v) {
        if (c == options.quote) file += c;
        file += c;
      }
      file += options.quote;
    }
    file += '\n';
  }
  std::vector<std::string> columns;
  for (size_t i = 1; i <= width; ++i) columns.push_back("column" + std::to_string(i));
  auto reader = ingest::OpenCsvReader("fuzz", std::make_unique<fuzz::MemorySource>(file, chunk),
                                      options, columns);
  fuzz::Check(reader.ok(), "a written file opens");
  ingest::Row row;
  for (const auto& fields : rows) {
    StatusOr<bool> more = (*reader)->Next(&row);
    fuzz::Check(more.ok() && *more, "one row per written row");
    fuzz::Check(row.error == ingest::RowError::kNone, "written rows read without error",
                row.error_detail);
    for (size_t i = 0; i < width; ++i) {
      fuzz::Check(row.values[i].has_value() && *row.values[i] == fields[i],
                  "fields read back as written");
    }
  }
  StatusOr<bool> more = (*reader)->Next(&row);
  fuzz::Check(more.ok() && !*more, "no row beyond the written ones");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const ingest::Format format = (data[0] & 0x80) ? ingest::Format::kTsv : ingest::Format::kCsv;
  const ingest::ReaderOptions options = fuzz::OptionsFromByte(format, data[0]);
  const size_t chunk = size_t{data[1]} + 1;
  const std::string_view file(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::string> names = fuzz::ReadAll(ingest::OpenCsvReader, file, chunk, options, {});
  if (names.size() > 8) names.resize(8);
  if (!names.empty()) names.push_back(names.front());  // a column asked for twice
  fuzz::ReadAll(ingest::OpenCsvReader, file, chunk, options, names);
  RoundTrip(file, options, chunk, (data[1] & 1) != 0);
  return 0;
}
