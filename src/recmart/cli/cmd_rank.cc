// recmart rank: re-orders a given list of items for a user (personalized
// ranking); every input item comes back, unknown ones last.
#include <iostream>

#include "recmart/cli/model_cli.h"

namespace recmart::cli {

void RegisterRank(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("rank", "re-rank a list of items for a user");
  AddProjectOption(cmd, ctx);
  struct Args {
    std::string user, items, model;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-u,--user", a->user, "user id")->required();
  cmd->add_option("--items", a->items, "comma-separated item ids (at most 500)")->required();
  cmd->add_option("-m,--model", a->model, "model version (default: the live one)");
  cmd->add_flag("--json", a->json, "print JSON in the API's shape");
  cmd->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      int rc = kExitOk;
      std::optional<engine::ModelBundle> b = LoadBundleOrReport(ctx, a->model, rc);
      if (!b) return rc;
      StatusOr<std::vector<engine::RankedItem>> r =
          engine::RankItems(*b, a->user, SplitCommaList(a->items));
      if (!r.ok()) return ReportError(r.status());
      if (a->json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& x : *r) list.push_back({{"itemId", x.item}, {"score", x.score}});
        std::cout << nlohmann::json{{"personalizedRanking", list},
                                    {"modelVersion", b->manifest().value("version", "")}}
                         .dump()
                  << "\n";
        return kExitOk;
      }
      TextTable t;
      t.headers = {"rank", "item", "score", "known"};
      t.numeric = {true, false, true, false};
      for (size_t k = 0; k < r->size(); ++k) {
        char score[32];
        std::snprintf(score, sizeof score, "%.4f", (*r)[k].score);
        t.AddRow({std::to_string(k + 1), (*r)[k].item, std::string(score),
                  (*r)[k].known ? "yes" : "no"});
      }
      PrintTable(std::cout, t);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
