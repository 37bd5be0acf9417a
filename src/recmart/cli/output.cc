#include "recmart/cli/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "recmart/lake/duckdb.h"

namespace recmart::cli {

TextTable FromQueryResult(const lake::QueryResult& r) {
  TextTable t;
  for (size_t c = 0; c < r.column_count(); ++c) {
    t.headers.push_back(r.column_name(c));
    t.numeric.push_back(r.column_is_numeric(c));
  }
  for (size_t row = 0; row < r.row_count(); ++row) {
    std::vector<std::optional<std::string>> cells;
    for (size_t c = 0; c < r.column_count(); ++c) cells.push_back(r.GetString(c, row));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

namespace {
// Display width of UTF-8 text: code points, not bytes (good enough for
// aligned columns without pulling in a wcwidth table).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

void PrintTable(std::ostream& os, const TextTable& t) {
  std::vector<size_t> w(t.headers.size());
  for (size_t c = 0; c < t.headers.size(); ++c) w[c] = Width(t.headers[c]);
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < w.size(); ++c)
      w[c] = std::max(w[c], Width(row[c].value_or("NULL")));
  }
  auto cell = [&](const std::string& s, size_t c) {
    std::string pad(w[c] - std::min(w[c], Width(s)), ' ');
    bool right = c < t.numeric.size() && t.numeric[c];
    os << (right ? pad + s : s + pad);
  };
  for (size_t c = 0; c < t.headers.size(); ++c) {
    if (c) os << "  ";
    cell(t.headers[c], c);
  }
  os << "\n";
  for (size_t c = 0; c < t.headers.size(); ++c) {
    if (c) os << "  ";
    os << std::string(w[c], '-');
  }
  os << "\n";
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) os << "  ";
      cell(row[c].value_or("NULL"), c);
    }
    os << "\n";
  }
  os << "(" << t.rows.size() << (t.rows.size() == 1 ? " row)" : " rows)") << "\n";
}

void PrintCsv(std::ostream& os, const TextTable& t) {
  auto field = [&](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) {
      os << s;
      return;
    }
    os << '"';
    for (char ch : s) {
      if (ch == '"') os << '"';
      os << ch;
    }
    os << '"';
  };
  for (size_t c = 0; c < t.headers.size(); ++c) {
    if (c) os << ',';
    field(t.headers[c]);
  }
  os << "\n";
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) os << ',';
      if (row[c]) field(*row[c]);
    }
    os << "\n";
  }
}

void PrintJson(std::ostream& os, const TextTable& t) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& row : t.rows) {
    nlohmann::json obj = nlohmann::json::object();
    for (size_t c = 0; c < row.size() && c < t.headers.size(); ++c) {
      if (!row[c]) {
        obj[t.headers[c]] = nullptr;
      } else if (c < t.numeric.size() && t.numeric[c]) {
        nlohmann::json num = nlohmann::json::parse(*row[c], nullptr, /*allow_exceptions=*/false);
        obj[t.headers[c]] = num.is_discarded() ? nlohmann::json(*row[c]) : num;
      } else {
        obj[t.headers[c]] = *row[c];
      }
    }
    arr.push_back(std::move(obj));
  }
  os << arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void Print(std::ostream& os, const TextTable& t, OutputFormat f) {
  switch (f) {
    case OutputFormat::kTable:
      PrintTable(os, t);
      break;
    case OutputFormat::kCsv:
      PrintCsv(os, t);
      break;
    case OutputFormat::kJson:
      PrintJson(os, t);
      break;
  }
}

std::string FormatUtc(int64_t epoch) {
  if (epoch <= 0) return "";
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string WithThousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled) {}
ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total == 0) return;
  int permille = static_cast<int>(std::min<uint64_t>(1000, done * 1000 / total));
  if (permille == last_permille_) return;
  last_permille_ = permille;
  constexpr int kWidth = 30;
  int fill = permille * kWidth / 1000;
  std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %.1f/%.1f MB", label_.c_str(),
               std::string(static_cast<size_t>(fill), '#').c_str(),
               std::string(static_cast<size_t>(kWidth - fill), ' ').c_str(), permille / 10.0,
               done / 1e6, total / 1e6);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace recmart::cli
