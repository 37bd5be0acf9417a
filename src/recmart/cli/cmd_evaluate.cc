// recmart evaluate: offline metrics of a recipe (or of a registered model's
// recipe and params) on a split of the lake: train on one side, measure on
// the held-out side.
#include <iostream>

#include "recmart/cli/model_cli.h"
#include "recmart/training/lake_dataset.h"

namespace recmart::cli {
namespace {

struct Args {
  std::string recipe, params_file, model, split = "random:0.2", ks = "5,10,25";
  TrainFlags flags;
  bool include_seen = false;
  bool json = false;
};

int Run(const Context& ctx, const Args& a) {
  std::optional<config::Project> p = LoadProjectOrReport(ctx);
  if (!p) return kExitUsage;
  StatusOr<std::vector<size_t>> ks = ParseKs(a.ks);
  if (!ks.ok()) return ReportError(ks.status());
  std::string recipe;
  nlohmann::json params;
  std::optional<engine::ModelRegistry> reg;
  std::string version;
  if (!a.model.empty()) {
    if (!a.recipe.empty() || !a.params_file.empty()) {
      return ReportError(Status::InvalidArgument("--model excludes --recipe and --params"));
    }
    StatusOr<engine::ModelRegistry> r = OpenRegistry(*p);
    if (!r.ok()) return ReportError(r.status());
    reg = std::move(r).value();
    StatusOr<nlohmann::json> m = reg->Manifest(a.model);
    if (!m.ok()) return ReportError(m.status());
    recipe = m->value("recipe", "");
    params = m->value("params", nlohmann::json::object());
    version = m->value("version", "");
  } else {
    StatusOr<ParamsFile> pf = ReadParamsFile(a.params_file, a.recipe);
    if (!pf.ok()) return ReportError(pf.status());
    recipe = pf->recipe;
    params = pf->params;
  }
  StatusOr<training::LakeData> data = training::LoadLakeData(*p, {});
  if (!data.ok()) return ReportError(data.status());
  ProgressBar bar("evaluate " + recipe, StderrIsTty() && !ctx.quiet);
  StatusOr<nlohmann::json> metrics =
      EvaluateRecipe(data->dataset, recipe, params, a.split, *ks, !a.include_seen, a.flags, &bar);
  bar.Finish();
  if (!metrics.ok()) return ReportError(metrics.status());
  if (reg) {
    if (Status s = reg->UpdateMetrics(version, *metrics); !s.ok()) return ReportError(s);
    Info(ctx, "recorded the metrics in " + version);
  }
  if (a.json) {
    std::cout << metrics->dump() << "\n";
  } else {
    char line[160];
    std::snprintf(line, sizeof line, "%s, split %s (seed %llu): %zu users, trained in %.2f s",
                  recipe.c_str(), a.split.c_str(), static_cast<unsigned long long>(a.flags.seed),
                  metrics->value("users", size_t{0}), metrics->value("train_seconds", 0.0));
    std::cout << line << "\n";
    PrintMetricsTable(*metrics, *ks);
  }
  return kExitOk;
}

}  // namespace

void RegisterEvaluate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "evaluate", "offline metrics: train on one side of a split of the lake, test on the other");
  AddProjectOption(cmd, ctx);
  auto a = std::make_shared<Args>();
  cmd->add_option("-r,--recipe", a->recipe, "recipe to evaluate");
  cmd->add_option("--params", a->params_file, "JSON file with the recipe's parameters");
  cmd->add_option(
      "-m,--model", a->model,
      "evaluate a registered version's recipe and params, and record the metrics in it");
  cmd->add_option("--split", a->split,
                  "random:RATIO (per user) | time:YYYY-MM-DD | time:Nd (last N days) | last:N "
                  "(default random:0.2)");
  cmd->add_option("-k,--k", a->ks, "cut-offs (default 5,10,25)");
  cmd->add_flag("--include-seen", a->include_seen, "let training items count as recommendations");
  AddTrainFlags(cmd, a->flags);
  cmd->add_flag("--json", a->json, "print the metrics as JSON");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return Run(ctx, *a); }; });
}

}  // namespace recmart::cli
