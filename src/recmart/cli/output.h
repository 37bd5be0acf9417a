// Printing tabular results: aligned text for people, CSV and JSON for scripts.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace recmart::lake {
class QueryResult;
}

namespace recmart::cli {

struct TextTable {
  std::vector<std::string> headers;
  std::vector<bool> numeric;  // right-align (and JSON numbers) per column
  std::vector<std::vector<std::optional<std::string>>> rows;

  void AddRow(std::vector<std::optional<std::string>> row) { rows.push_back(std::move(row)); }
};

enum class OutputFormat { kTable, kCsv, kJson };

TextTable FromQueryResult(const lake::QueryResult& r);
// Aligned columns with a header rule; NULL prints as "NULL".
void PrintTable(std::ostream& os, const TextTable& t);
// RFC 4180 CSV with a header line; NULL is an empty field.
void PrintCsv(std::ostream& os, const TextTable& t);
// A JSON array of objects, one per row; numeric columns as numbers.
void PrintJson(std::ostream& os, const TextTable& t);
void Print(std::ostream& os, const TextTable& t, OutputFormat f);

// "1,234,567"
std::string WithThousands(uint64_t n);

// "2026-11-21 19:59:45" (UTC) for Unix seconds; "" when epoch <= 0 (never).
std::string FormatUtc(int64_t epoch);

// A progress bar on stderr, redrawn in place; does nothing when stderr is not
// a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  void Update(uint64_t done, uint64_t total);
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  int last_permille_ = -1;
};

}  // namespace recmart::cli
