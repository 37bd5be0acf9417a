#include <iostream>
#include <nlohmann/json.hpp>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/etl/pipeline.h"

namespace recmart::cli {

void RegisterEtl(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "etl", "ingest new source files into the lake (incremental, atomic, reconciled)");
  AddProjectOption(cmd, ctx);
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "print the run summary as JSON");
  cmd->callback([&ctx, json] {
    ctx.action = [&ctx, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      ProgressBar bar("etl", StderrIsTty() && !ctx.quiet);
      etl::EtlRunOptions opts;
      opts.log = [&](const std::string& line) {
        bar.Finish();
        Info(ctx, line);
      };
      opts.progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
      StatusOr<etl::EtlResult> r = etl::RunEtl(*p, opts);
      bar.Finish();
      if (!r.ok()) return ReportError(r.status());
      if (*json) {
        nlohmann::json j = {{"run_id", r->run_id},
                            {"nothing_new", r->nothing_new},
                            {"files", r->files},
                            {"input_bytes", r->input_bytes},
                            {"raw_rows", r->raw_rows},
                            {"accepted", r->accepted},
                            {"quarantined", r->quarantined},
                            {"duplicates", r->duplicates},
                            {"items", r->items},
                            {"users", r->users},
                            {"matrix_rows", r->matrix_rows},
                            {"seconds", r->seconds}};
        std::cout << j.dump() << std::endl;
      } else if (r->nothing_new) {
        std::cout << "nothing new: every source file is already in the lake" << std::endl;
      } else {
        char mbs[32];
        std::snprintf(mbs, sizeof mbs, "%.1f", r->input_bytes / 1e6 / std::max(r->seconds, 1e-9));
        std::cout << "run " << r->run_id << ": " << r->files << " files, "
                  << WithThousands(r->raw_rows) << " rows read: " << WithThousands(r->accepted)
                  << " accepted, " << WithThousands(r->quarantined) << " quarantined, "
                  << WithThousands(r->duplicates) << " duplicates; " << WithThousands(r->items)
                  << " items, " << WithThousands(r->users) << " users, "
                  << WithThousands(r->matrix_rows) << " user-item pairs; " << r->seconds << " s ("
                  << mbs << " MB/s)" << std::endl;
      }
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
