#include <iostream>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/gen/generator.h"

namespace recmart::cli {

void RegisterGenerate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "generate",
      "write a synthetic shop (clickstream, catalog, customers, orders) like real exports");
  auto opts = std::make_shared<gen::GeneratorOptions>();
  cmd->add_option("--out", opts->out_dir, "output directory")->required();
  cmd->add_option("--events", opts->events, "good clickstream events to write")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--seed", opts->seed, "random seed (same seed, same bytes)");
  cmd->add_option("--users", opts->users, "distinct users (0 = events/20)");
  cmd->add_option("--items", opts->items, "catalog size (0 = events/200, at least 200)");
  cmd->add_option("--days", opts->days, "days covered, one clickstream file each")
      ->check(CLI::Range(1, 3660));
  cmd->add_option("--start-date", opts->start_date, "first day, YYYY-MM-DD");
  cmd->add_option("--malformed-share", opts->malformed_share,
                  "share of malformed clickstream lines")
      ->check(CLI::Range(0.0, 0.89));
  cmd->add_option("--bot-share", opts->bot_share, "share of users that are bots")
      ->check(CLI::Range(0.0, 0.5));
  cmd->add_option("--compression", opts->compression, "none | gzip | zstd")
      ->check(CLI::IsMember({"none", "gzip", "zstd"}));
  cmd->add_option("--threads", opts->threads, "worker threads (0 = one per core)");
  auto no_project = std::make_shared<bool>(false);
  cmd->add_flag("--no-project", *no_project, "do not write recmart.toml");
  cmd->callback([&ctx, opts, no_project] {
    ctx.action = [&ctx, opts, no_project] {
      opts->write_project = !*no_project;
      gen::GeneratorStats stats;
      Status s = gen::Generate(*opts, &stats);
      if (!s.ok()) return ReportError(s);
      std::cout << "wrote " << opts->out_dir << ": " << WithThousands(stats.events_written)
                << " events (" << WithThousands(stats.malformed_written) << " malformed lines) in "
                << stats.files << " files, " << WithThousands(stats.bytes_written) << " bytes; "
                << WithThousands(stats.items) << " items, " << WithThousands(stats.users)
                << " users, " << WithThousands(stats.orders) << " orders" << std::endl;
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
