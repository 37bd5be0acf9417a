#include <iostream>
#include <nlohmann/json.hpp>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/etl/crawl.h"

namespace recmart::cli {

void RegisterCrawl(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "crawl",
      "infer each source's schema, record it with its history, apply the schema-change policy");
  AddProjectOption(cmd, ctx);
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "print findings as JSON");
  cmd->callback([&ctx, json] {
    ctx.action = [&ctx, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::vector<etl::CrawlFinding>> findings =
          etl::CrawlProject(*p, **cat, [&](const std::string& line) { Info(ctx, line); });
      if (!findings.ok()) return ReportError(findings.status());
      TextTable t;
      t.headers = {"source", "file", "columns", "action", "version", "changes"};
      t.numeric = {false, false, true, false, true, false};
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : *findings) {
        std::string changes;
        for (const auto& c : f.changes) changes += (changes.empty() ? "" : "; ") + c.ToString();
        t.AddRow({f.source, f.file, std::to_string(f.columns.size()), f.action,
                  f.version ? std::optional<std::string>(std::to_string(f.version)) : std::nullopt,
                  changes});
        nlohmann::json cols = nlohmann::json::array();
        for (const auto& c : f.columns) cols.push_back({{"name", c.name}, {"type", c.type}});
        out.push_back({{"source", f.source},
                       {"file", f.file},
                       {"action", f.action},
                       {"version", f.version},
                       {"columns", cols},
                       {"changes", changes}});
      }
      if (*json)
        std::cout << out.dump(2) << std::endl;
      else
        PrintTable(std::cout, t);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
