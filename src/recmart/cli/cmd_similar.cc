// recmart similar: items related to one item ("viewed also viewed", "bought
// together", or by metadata for a new item, depending on the model).
#include <iostream>

#include "recmart/cli/model_cli.h"

namespace recmart::cli {

void RegisterSimilar(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("similar", "items related to an item");
  AddProjectOption(cmd, ctx);
  struct Args {
    std::string item, user, model;
    AnswerFlags answer;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("-i,--item", a->item, "item id")->required();
  cmd->add_option("-u,--user", a->user, "user id (optional: excludes what the user has seen)");
  cmd->add_option("-m,--model", a->model, "model version (default: the live one)");
  AddAnswerFlags(cmd, a->answer, 10);
  cmd->add_flag("--json", a->json, "print JSON in the API's shape");
  cmd->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      int rc = kExitOk;
      std::optional<engine::ModelBundle> b = LoadBundleOrReport(ctx, a->model, rc);
      if (!b) return rc;
      StatusOr<engine::RecommendOptions> o = MakeRecommendOptions(*b, a->answer);
      if (!o.ok()) return ReportError(o.status());
      // Without a user there is nothing "seen" to exclude.
      if (a->user.empty()) o->exclude_seen = false;
      StatusOr<engine::Recommendation> r = engine::RelatedItems(*b, a->item, a->user, *o);
      if (!r.ok()) return ReportError(r.status());
      PrintRecommendation(*b, *r, a->json);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
