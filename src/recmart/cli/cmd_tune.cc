// recmart tune: searches a recipe's parameters on a validation split carved
// from the lake's data and writes the best params file.
#include <iostream>

#include "recmart/cli/model_cli.h"
#include "recmart/common/fs.h"
#include "recmart/engine/recipes.h"
#include "recmart/eval/tune.h"
#include "recmart/training/lake_dataset.h"

namespace recmart::cli {
namespace {

struct Args {
  std::string recipe, params_file, output, strategy = "random", metric = "ndcg@10", split;
  int trials = 20;
  size_t max_users = 0;
  double validation = 0.2;
  TrainFlags flags;
  bool json = false;
};

int Run(const Context& ctx, const Args& a) {
  StatusOr<ParamsFile> pf = ReadParamsFile(a.params_file, a.recipe);
  if (!pf.ok()) return ReportError(pf.status());
  if (pf->tune.is_null()) {
    return ReportError(Status::InvalidArgument(
        a.params_file +
        ": no \"tune\" object: give the ranges to search, e.g. "
        "{\"recipe\": \"als\", \"params\": {}, \"tune\": {\"factors\": [32, 64]}}"));
  }
  std::optional<config::Project> p = LoadProjectOrReport(ctx);
  if (!p) return kExitUsage;
  StatusOr<training::LakeData> data = training::LoadLakeData(*p, {});
  if (!data.ok()) return ReportError(data.status());

  eval::TuneOptions o;
  o.space = pf->tune;
  o.base = pf->params;
  o.strategy = a.strategy;
  o.trials = a.trials;
  o.max_users = a.max_users;
  o.validation_split = {eval::SplitSpec::Kind::kRandom, a.validation};
  if (!a.split.empty()) {
    StatusOr<eval::SplitSpec> spec = eval::ParseSplitSpec(a.split);
    if (!spec.ok()) return ReportError(spec.status());
    o.validation_split = *spec;
  }
  o.metric = a.metric;
  o.seed = a.flags.seed;
  o.threads = MakeTrainContext(a.flags, nullptr).threads;
  o.on_trial = [&ctx](const eval::Trial& t) {
    char line[64];
    std::snprintf(line, sizeof line, "rung %d, %zu users: %.4f in %.2f s  ", t.rung, t.users,
                  t.score, t.seconds);
    Info(ctx, std::string(line) + t.params.dump());
  };
  const std::string recipe = pf->recipe;
  StatusOr<eval::TuneResult> r = eval::Tune(
      data->dataset, o,
      [&recipe](const nlohmann::json& params) { return engine::NewModel(recipe, params); });
  if (!r.ok()) return ReportError(r.status());

  nlohmann::json best = {
      {"recipe", recipe},
      {"params", r->best_params},
      {"tune", pf->tune},
      {"validation",
       {{"metric", r->metric},
        {"score", r->best_score},
        {"strategy", a.strategy},
        {"split", a.split.empty() ? "random:" + std::to_string(a.validation) : a.split},
        {"trials", r->trials.size()},
        {"seed", a.flags.seed}}}};
  std::string out = a.output.empty() ? a.params_file + ".best.json" : a.output;
  if (Status s = WriteFileAtomic(out, best.dump(2) + "\n"); !s.ok()) return ReportError(s);
  if (a.json) {
    std::cout << r->ToJson().dump() << "\n";
  } else {
    char line[128];
    std::snprintf(line, sizeof line,
                  "best %s = %.4f after %zu evaluations; params: ", r->metric.c_str(),
                  r->best_score, r->trials.size());
    std::cout << line << r->best_params.dump() << "\nwrote " << out << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterTune(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "tune", "search a recipe's parameters on a validation split of the training data");
  AddProjectOption(cmd, ctx);
  auto a = std::make_shared<Args>();
  cmd->add_option("--params", a->params_file,
                  "JSON file {\"recipe\", \"params\": fixed, \"tune\": {name: [choices] or "
                  "{\"min\", \"max\", \"log\", \"int\"}}}")
      ->required();
  cmd->add_option("-r,--recipe", a->recipe, "recipe (default: the file's)");
  cmd->add_option("-o,--output", a->output, "best params file (default: PARAMS.best.json)");
  cmd->add_option("--strategy", a->strategy, "random | halving")
      ->check(CLI::IsMember({"random", "halving"}));
  cmd->add_option("--trials", a->trials, "candidates to draw (default 20)")
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--max-users", a->max_users, "validation users per trial (0 = all)");
  cmd->add_option("--validation", a->validation,
                  "share of each user's items held out (default 0.2)")
      ->check(CLI::Range(0.01, 0.99));
  cmd->add_option("--split", a->split,
                  "validation split instead of --validation, as in `recmart evaluate --split` "
                  "(random:RATIO, time:DATE, time:Nd, last:N): tune with the kind of split the "
                  "model will be evaluated on");
  cmd->add_option("--metric", a->metric, "metric to maximise (default ndcg@10)");
  AddTrainFlags(cmd, a->flags);
  cmd->add_flag("--json", a->json, "print every trial as JSON");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return Run(ctx, *a); }; });
}

}  // namespace recmart::cli
