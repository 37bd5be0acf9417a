#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"

namespace recmart::cli {

void RegisterReport(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("report",
                                 "reconciliation of an ETL run: raw = accepted + quarantined + "
                                 "duplicates, per source and day");
  AddProjectOption(cmd, ctx);
  auto run = std::make_shared<int64_t>(0);
  auto json = std::make_shared<bool>(false);
  auto days = std::make_shared<bool>(false);
  cmd->add_option("--run", *run, "run id (default: the latest ETL run that read data)");
  cmd->add_flag("--days", *days, "also print the per-day table (JSON always has it)");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&ctx, run, json, days] {
    ctx.action = [&ctx, run, json, days] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::vector<catalog::ReconRow>> rows = (*cat)->Reconciliation(*run);
      if (!rows.ok()) return ReportError(rows.status());
      if (rows->empty())
        return ReportError(
            Status::NotFound("no reconciliation recorded yet (run recmart etl first)"));
      int64_t run_id = rows->front().run_id;
      StatusOr<std::vector<catalog::QuarantineCount>> reasons = (*cat)->QuarantineReasons(run_id);
      if (!reasons.ok()) return ReportError(reasons.status());
      StatusOr<std::optional<catalog::RunRecord>> rec = (*cat)->GetRun(run_id);
      if (!rec.ok()) return ReportError(rec.status());

      TextTable t;
      t.headers = {"source", "day", "raw", "accepted", "quarantined", "duplicates", "balanced"};
      t.numeric = {false, false, true, true, true, true, false};
      std::map<std::string, catalog::ReconRow> per_source;
      bool all_ok = true;
      for (const auto& r : *rows) {
        bool ok = r.raw == r.accepted + r.quarantined + r.duplicates;
        all_ok &= ok;
        t.AddRow({r.source, r.day.empty() ? "(undated)" : r.day, std::to_string(r.raw),
                  std::to_string(r.accepted), std::to_string(r.quarantined),
                  std::to_string(r.duplicates), ok ? "yes" : "NO"});
        auto& s = per_source[r.source];
        s.raw += r.raw;
        s.accepted += r.accepted;
        s.quarantined += r.quarantined;
        s.duplicates += r.duplicates;
      }
      TextTable totals;
      totals.headers = {"source", "raw", "accepted", "quarantined", "duplicates"};
      totals.numeric = {false, true, true, true, true};
      for (const auto& [name, s] : per_source) {
        totals.AddRow({name, std::to_string(s.raw), std::to_string(s.accepted),
                       std::to_string(s.quarantined), std::to_string(s.duplicates)});
      }
      TextTable why;
      why.headers = {"source", "reason", "rows"};
      why.numeric = {false, false, true};
      std::map<std::pair<std::string, std::string>, uint64_t> by_reason;
      for (const auto& q : *reasons) by_reason[{q.source, q.reason}] += q.rows;
      for (const auto& [k, n] : by_reason) why.AddRow({k.first, k.second, std::to_string(n)});
      nlohmann::json stats =
          nlohmann::json::parse((*rec) ? (*rec)->stats_json : "{}", nullptr, false);
      if (*json) {
        nlohmann::json j;
        j["run_id"] = run_id;
        j["balanced"] = all_ok;
        j["stats"] = stats.is_discarded() ? nlohmann::json::object() : stats;
        std::ostringstream days, src, rs;
        PrintJson(days, t);
        PrintJson(src, totals);
        PrintJson(rs, why);
        j["days"] = nlohmann::json::parse(days.str());
        j["sources"] = nlohmann::json::parse(src.str());
        j["quarantine_reasons"] = nlohmann::json::parse(rs.str());
        std::cout << j.dump(2) << std::endl;
      } else {
        std::cout << "reconciliation of run " << run_id << "\n\n";
        PrintTable(std::cout, totals);
        size_t unbalanced = 0;
        for (const auto& r : *rows)
          unbalanced += r.raw != r.accepted + r.quarantined + r.duplicates;
        std::cout << "\n"
                  << rows->size() << " source-days, "
                  << (unbalanced == 0 ? "all balanced"
                                      : std::to_string(unbalanced) + " NOT balanced")
                  << (*days ? "" : " (--days for the table)") << "\n";
        if (*days) PrintTable(std::cout, t);
        if (!why.rows.empty()) {
          std::cout << "\nquarantine reasons:\n";
          PrintTable(std::cout, why);
        }
        if (!stats.is_discarded() && stats.contains("matrix_events")) {
          std::cout << "\nmatrix check: interaction_matrix holds " << stats["matrix_events"]
                    << " events, the lake " << stats["lake_events"] << " interactions: "
                    << (stats["matrix_events"] == stats["lake_events"] ? "equal" : "MISMATCH")
                    << "\n";
        }
      }
      return all_ok ? kExitOk : kExitDataLoss;
    };
  });
}

}  // namespace recmart::cli
