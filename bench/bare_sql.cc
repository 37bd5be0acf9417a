// recmart_bare_sql: runs one SQL statement in an in-memory DuckDB and reports
// its wall time — the baseline `recmart etl` is measured against (see
// bench/README.md). DuckDB is reached through recmart's own wrapper, so the
// baseline uses the same library build and settings as recmart.
//
//   recmart_bare_sql [--memory-limit 1GB] [--threads N] [--temp-dir DIR] [--quiet]
//                    (--file PATH | SQL)
//
// Prints the result rows (tab-separated, at most 20) unless --quiet, then
// "seconds: S" on its own line. Exit status 0 on success, 1 when the statement
// fails, 2 on a usage error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "recmart/common/fs.h"
#include "recmart/lake/duckdb.h"

namespace {

constexpr std::string_view kUsage =
    "usage: recmart_bare_sql [--memory-limit 1GB] [--threads N] [--temp-dir DIR] [--quiet] "
    "(--file PATH | SQL)\n";

int Usage(std::string_view problem) {
  std::fprintf(stderr, "recmart_bare_sql: %.*s\n%.*s", static_cast<int>(problem.size()),
               problem.data(), static_cast<int>(kUsage.size()), kUsage.data());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  recmart::lake::DatabaseOptions options;  // memory_limit defaults to 1GB
  std::string sql, file;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string threads;
    if (arg == "--memory-limit") {
      if (!value(&options.memory_limit)) return Usage("--memory-limit needs a value");
    } else if (arg == "--threads") {
      if (!value(&threads)) return Usage("--threads needs a value");
      options.threads = std::atoi(threads.c_str());
    } else if (arg == "--temp-dir") {
      if (!value(&options.temp_directory)) return Usage("--temp-dir needs a value");
    } else if (arg == "--file") {
      if (!value(&file)) return Usage("--file needs a value");
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    } else if (arg.starts_with("--")) {
      return Usage("unknown flag " + std::string(arg));
    } else if (sql.empty()) {
      sql = arg;
    } else {
      return Usage("give one SQL statement (quote it)");
    }
  }
  if (!file.empty()) {
    if (!sql.empty()) return Usage("give either --file or a statement, not both");
    recmart::StatusOr<std::string> text = recmart::ReadFileToString(file);
    if (!text.ok()) {
      std::fprintf(stderr, "recmart_bare_sql: %s\n", text.status().ToString().c_str());
      return 1;
    }
    sql = std::move(text).value();
  }
  if (sql.empty()) return Usage("no statement");

  const auto start = std::chrono::steady_clock::now();
  auto db = recmart::lake::Database::Open("", options);
  if (!db.ok()) {
    std::fprintf(stderr, "recmart_bare_sql: %s\n", db.status().ToString().c_str());
    return 1;
  }
  auto con = (*db)->Connect();
  if (!con.ok()) {
    std::fprintf(stderr, "recmart_bare_sql: %s\n", con.status().ToString().c_str());
    return 1;
  }
  auto result = con->Query(sql);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    std::fprintf(stderr, "recmart_bare_sql: %s\n", result.status().ToString().c_str());
    return 1;
  }
  if (!quiet) {
    const recmart::lake::QueryResult& r = *result;
    for (size_t c = 0; c < r.column_count(); ++c) {
      std::printf("%s%s", c ? "\t" : "", r.column_name(c).c_str());
    }
    if (r.column_count() > 0) std::printf("\n");
    for (size_t row = 0; row < r.row_count() && row < 20; ++row) {
      for (size_t c = 0; c < r.column_count(); ++c) {
        std::printf("%s%s", c ? "\t" : "", r.GetString(c, row).value_or("NULL").c_str());
      }
      std::printf("\n");
    }
    if (r.row_count() > 20) std::printf("... (%zu rows)\n", r.row_count());
  }
  std::printf("seconds: %.3f\n", seconds);
  return 0;
}
