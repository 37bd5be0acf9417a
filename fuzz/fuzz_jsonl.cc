// The JSON-lines reader (ingest/jsonl_reader.h) over an in-memory source.
//
// Input: byte 0 the options (small field and row limits; see
// OptionsFromByte), byte 1 the source's chunk size; the rest is the file.
// Read twice: for the columns of a live-events source plus nested paths, then
// for the top-level keys the first pass saw. Then the same bytes, taken as
// string values, are written as JSON lines and must read back unchanged.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/row_reader_fuzz.h"
#include "recmart/ingest/jsonl_reader.h"
#include "recmart/ingest/values.h"

namespace {

using namespace recmart;

// Appends `v` as a JSON string; control characters, and with `escape_all`
// every other non-alphanumeric ASCII byte, as \u00XX.
void AppendJsonString(std::string_view v, bool escape_all, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\' || (escape_all && c < 0x80 && !std::isalnum(c))) {
      *out += "\\u00";
      *out += kHex[c >> 4];
      *out += kHex[c & 15];
    } else {
      *out += ch;
    }
  }
  *out += '"';
}

// Round trip: `text` taken as lines of string values (SplitFields) is
// written as JSON lines {"c0": v0, "n": {"c1": v1}, ...} (every second value
// nested) and must read back as exactly those values.
void RoundTrip(std::string_view text, size_t chunk, bool escape_all) {
  if (!ingest::IsValidUtf8(text)) return;  // not writable as JSON text
  const std::vector<std::vector<std::string_view>> rows = fuzz::SplitFields(text);
  size_t width = 0;
  for (const auto& values : rows) width = std::max(width, values.size());
  std::vector<std::string> columns;
  for (size_t i = 0; i < width; ++i) {
    columns.push_back((i % 2 ? "n.c" : "c") + std::to_string(i));
  }
  std::string file;
  for (const auto& values : rows) {
    std::string top, nested;
    for (size_t i = 0; i < values.size(); ++i) {
      std::string& obj = i % 2 ? nested : top;
      if (!obj.empty()) obj += ',';
      AppendJsonString("c" + std::to_string(i), false, &obj);
      obj += ':';
      AppendJsonString(values[i], escape_all, &obj);
    }
    file += "{" + top +
            (nested.empty() ? "" : (top.empty() ? "" : ",") + ("\"n\":{" + nested + "}")) + "}\n";
  }
  ingest::ReaderOptions options;
  options.format = ingest::Format::kJsonl;
  options.compression = ingest::Compression::kNone;
  options.max_field_bytes = options.max_row_bytes = size_t{1} << 24;  // beyond any input
  auto reader = ingest::OpenJsonlReader("fuzz", std::make_unique<fuzz::MemorySource>(file, chunk),
                                        options, columns);
  fuzz::Check(reader.ok(), "a written file opens");
  ingest::Row row;
  for (const auto& values : rows) {
    StatusOr<bool> more = (*reader)->Next(&row);
    fuzz::Check(more.ok() && *more, "one row per written line");
    fuzz::Check(row.error == ingest::RowError::kNone, "written lines read without error",
                row.error_detail);
    for (size_t i = 0; i < width; ++i) {
      if (i < values.size()) {
        fuzz::Check(row.values[i].has_value() && *row.values[i] == values[i],
                    "values read back as written");
      } else {
        fuzz::Check(!row.values[i].has_value(), "absent keys are nullopt");
      }
    }
  }
  StatusOr<bool> more = (*reader)->Next(&row);
  fuzz::Check(more.ok() && !*more, "no row beyond the written lines");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const ingest::ReaderOptions options = fuzz::OptionsFromByte(ingest::Format::kJsonl, data[0]);
  const size_t chunk = size_t{data[1]} + 1;
  const std::string_view file(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<std::string> names =
      fuzz::ReadAll(ingest::OpenJsonlReader, file, chunk, options,
                    {"userId", "itemId", "eventType", "sentAt", "properties.price", "a.b.c", ""});
  if (names.size() > 8) names.resize(8);
  fuzz::ReadAll(ingest::OpenJsonlReader, file, chunk, options, names);
  RoundTrip(file, chunk, (data[1] & 1) != 0);
  return 0;
}
