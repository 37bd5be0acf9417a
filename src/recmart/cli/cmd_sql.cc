#include <unistd.h>

#include <iostream>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/lake/lake.h"

namespace recmart::cli {
namespace {

// Runs one statement over fresh views of the lake: the manifest is re-read
// for every statement, so partitions committed a moment ago are visible.
Status RunStatement(lake::Lake& lake, lake::Connection& conn, const std::string& sql,
                    OutputFormat fmt) {
  ASSIGN_OR_RETURN(FileLock read_lock, lake.LockForRead());
  RETURN_IF_ERROR(lake.CreateViews(conn));
  StatusOr<lake::QueryResult> r = conn.Query(sql);
  if (!r.ok()) return Status::InvalidArgument(r.status().message());
  Print(std::cout, FromQueryResult(*r), fmt);
  return Status::OK();
}

}  // namespace

void RegisterSql(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "sql", "run SQL over the lake's tables (an interactive prompt without a query)");
  AddProjectOption(cmd, ctx);
  auto query = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("query", *query,
                  "SQL statement; tables: interactions, items, users, quarantine, "
                  "user_item_daily, interaction_matrix, daily_item_stats");
  cmd->add_option("-f,--format", *format, "table | csv | json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "same as --format json");
  cmd->callback([&ctx, query, format, json] {
    ctx.action = [&ctx, query, format, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      OutputFormat fmt = *json || *format == "json" ? OutputFormat::kJson
                         : *format == "csv"         ? OutputFormat::kCsv
                                                    : OutputFormat::kTable;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::unique_ptr<lake::Lake>> lk = lake::Lake::Open(p->lake_root, cat->get());
      if (!lk.ok()) return ReportError(lk.status());
      lake::DatabaseOptions dbo;
      dbo.memory_limit = p->etl.memory_limit;
      dbo.threads = p->etl.threads;
      StatusOr<std::unique_ptr<lake::Database>> db = lake::Database::Open("", dbo);
      if (!db.ok()) return ReportError(db.status());
      StatusOr<lake::Connection> conn = (*db)->Connect();
      if (!conn.ok()) return ReportError(conn.status());
      if (!query->empty()) {
        Status s = RunStatement(**lk, *conn, *query, fmt);
        return s.ok() ? kExitOk : ReportError(s);
      }
      // Interactive: statements end with ';'. Prompt only on a terminal.
      bool tty = ::isatty(STDIN_FILENO) == 1;
      std::string buffer, line;
      int failures = 0;
      if (tty)
        std::cerr
            << "recmart sql — tables: interactions, items, users, quarantine, user_item_daily, "
               "interaction_matrix, daily_item_stats. End statements with ';', quit with .quit\n";
      while (true) {
        if (tty) std::cerr << (buffer.empty() ? "recmart> " : "    ...> ") << std::flush;
        if (!std::getline(std::cin, line)) break;
        if (buffer.empty() && (line == ".quit" || line == ".exit")) break;
        buffer += line + "\n";
        size_t semi;
        while ((semi = buffer.find(';')) != std::string::npos) {
          std::string stmt = buffer.substr(0, semi);
          buffer.erase(0, semi + 1);
          if (stmt.find_first_not_of(" \t\r\n") == std::string::npos) continue;
          Status s = RunStatement(**lk, *conn, stmt, fmt);
          if (!s.ok()) {
            std::cerr << "error: " << s.message() << std::endl;
            ++failures;
          }
        }
      }
      if (buffer.find_first_not_of(" \t\r\n") != std::string::npos) {
        Status s = RunStatement(**lk, *conn, buffer, fmt);
        if (!s.ok()) {
          std::cerr << "error: " << s.message() << std::endl;
          ++failures;
        }
      }
      return failures == 0 ? kExitOk : kExitError;
    };
  });
}

}  // namespace recmart::cli
