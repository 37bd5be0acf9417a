// recmart match report: what title matching ([matching]) decided in an ETL
// run — every match with its score, and every id left unmatched and why.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/common/fs.h"
#include "recmart/etl/item_matching.h"

namespace recmart::cli {

void RegisterMatch(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("match", "item matching across sources ([matching])");
  cmd->require_subcommand(1);
  auto* report = cmd->add_subcommand(
      "report", "the title matches of an ETL run: matched ids with scores, unmatched ids and why");
  AddProjectOption(report, ctx);
  auto run = std::make_shared<int64_t>(0);
  auto json = std::make_shared<bool>(false);
  auto unmatched = std::make_shared<bool>(false);
  report->add_option("--run", *run, "ETL run id (default: the latest run that matched titles)");
  report->add_flag("--unmatched", *unmatched, "only the ids left unmatched");
  report->add_flag("--json", *json, "the report as JSON");
  report->callback([&ctx, run, json, unmatched] {
    ctx.action = [&ctx, run, json, unmatched] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      const std::string dir = etl::ItemMatchReportDir(*p);
      int64_t id = *run;
      if (id == 0) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
          std::string name = e.path().filename().string();
          if (name.rfind("run-", 0) == 0 && name.size() > 9 &&
              name.compare(name.size() - 5, 5, ".json") == 0)
            id = std::max<int64_t>(id, std::atoll(name.c_str() + 4));
        }
        if (id == 0) {
          return ReportError(Status::NotFound(
              "no item match report yet ([matching] with title_sources, then recmart etl)"));
        }
      }
      StatusOr<std::string> text = ReadFileToString(dir + "/run-" + std::to_string(id) + ".json");
      if (!text.ok()) {
        return ReportError(Status::NotFound("no item match report for run " + std::to_string(id)));
      }
      nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
      if (j.is_discarded()) return ReportError(Status::DataLoss("malformed report " + dir));
      if (*json) {
        std::cout << j.dump() << "\n";
        return kExitOk;
      }
      TextTable t;
      t.headers = {"source", "source_item_id", "outcome",         "item_id",
                   "score",  "runner_up",      "runner_up_score", "title"};
      t.numeric = {false, false, false, false, true, false, true, false};
      auto fmt = [](double v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.3f", v);
        return std::string(buf);
      };
      for (const auto& m : j["matches"]) {
        const std::string outcome = m.value("outcome", "");
        const bool ok = outcome == "matched" || outcome == "same_id";
        if (*unmatched && ok) continue;
        t.AddRow({m.value("source", ""), m.value("source_item_id", ""), outcome,
                  m.value("best_candidate", ""), fmt(m.value("score", 0.0)),
                  m.value("runner_up", ""), fmt(m.value("runner_up_score", 0.0)),
                  m.value("title", "")});
      }
      PrintTable(std::cout, t);
      Info(ctx, "run " + std::to_string(id) + ": " + std::to_string(j.value("matched", 0)) +
                    " matched, " + std::to_string(j.value("unmatched", 0)) +
                    " unmatched, against " + std::to_string(j.value("reference_items", 0)) +
                    " reference items (threshold " + fmt(j.value("threshold", 0.0)) + ", margin " +
                    fmt(j.value("margin", 0.0)) + ")");
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
