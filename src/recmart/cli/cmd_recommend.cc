// recmart recommend: recommendations for one user from a model version.
#include <iostream>

#include "recmart/cli/model_cli.h"

namespace recmart::cli {

void RegisterRecommend(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("recommend", "recommendations for a user (new users get popular items)");
  AddProjectOption(cmd, ctx);
  struct Args {
    std::string user, model;
    AnswerFlags answer;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-u,--user", a->user, "user id")->required();
  cmd->add_option("-m,--model", a->model, "model version (default: the live one)");
  AddAnswerFlags(cmd, a->answer, 25);
  cmd->add_flag("--json", a->json, "print JSON in the API's shape");
  cmd->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      int rc = kExitOk;
      std::optional<engine::ModelBundle> b = LoadBundleOrReport(ctx, a->model, rc);
      if (!b) return rc;
      StatusOr<engine::RecommendOptions> o = MakeRecommendOptions(*b, a->answer);
      if (!o.ok()) return ReportError(o.status());
      PrintRecommendation(*b, engine::RecommendForUser(*b, a->user, *o), a->json);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
