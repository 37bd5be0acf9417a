// recmart train: fits a recipe on the lake and adds the bundle to the registry.
#include <chrono>
#include <iostream>

#include "recmart/cli/model_cli.h"
#include "recmart/engine/bundle.h"
#include "recmart/engine/recipes.h"
#include "recmart/training/lake_dataset.h"

namespace recmart::cli {
namespace {

struct TrainArgs {
  std::string recipe;
  std::string params_file;
  TrainFlags flags;
  std::string evaluate = "random:0.2";
  std::string ks = "5,10,25";
  bool promote = false;
  bool json = false;
  bool list = false;
};

int RunTrain(const Context& ctx, const TrainArgs& a) {
  if (a.list) {
    for (const engine::RecipeInfo& r : engine::Recipes()) {
      std::cout << r.name << "\t" << r.summary << "\n";
    }
    return kExitOk;
  }
  StatusOr<ParamsFile> pf = ReadParamsFile(a.params_file, a.recipe);
  if (!pf.ok()) return ReportError(pf.status());
  // Check the params before reading the lake: a typo fails in milliseconds.
  if (auto m = engine::NewModel(pf->recipe, pf->params); !m.ok()) return ReportError(m.status());
  std::optional<config::Project> p = LoadProjectOrReport(ctx);
  if (!p) return kExitUsage;

  auto t0 = std::chrono::steady_clock::now();
  training::LoadOptions load;
  // Recipes that train on the matrix alone do not hold the events in memory.
  load.events = engine::RecipeReadsEvents(pf->recipe, pf->params);
  StatusOr<training::LakeData> data = training::LoadLakeData(*p, load);
  if (!data.ok()) return ReportError(data.status());
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const models::Dataset& d = data->dataset;
  Info(ctx, "training " + pf->recipe + " on " + WithThousands(d.users.size()) + " users, " +
                WithThousands(d.items.size()) + " items, " + WithThousands(d.matrix.nnz()) +
                " interactions");

  nlohmann::json metrics = nlohmann::json::object();
  if (a.evaluate != "none") {
    StatusOr<std::vector<size_t>> ks = ParseKs(a.ks);
    if (!ks.ok()) return ReportError(ks.status());
    ProgressBar ebar("evaluate " + pf->recipe, StderrIsTty() && !ctx.quiet);
    StatusOr<nlohmann::json> m =
        EvaluateRecipe(d, pf->recipe, pf->params, a.evaluate, *ks, true, a.flags, &ebar);
    ebar.Finish();
    if (!m.ok()) return ReportError(m.status().WithContext("--evaluate"));
    metrics = std::move(m).value();
  }

  ProgressBar bar("train " + pf->recipe, StderrIsTty() && !ctx.quiet);
  StatusOr<engine::ModelBundle> bundle =
      engine::ModelBundle::Train(std::move(data->dataset), pf->recipe, pf->params,
                                 MakeTrainContext(a.flags, &bar));  // `d` is spent here
  bar.Finish();
  if (!bundle.ok()) return ReportError(bundle.status());
  bundle->manifest()["snapshot"] = data->snapshot;
  bundle->manifest()["metrics"] = metrics;
  bundle->manifest()["timings"]["load_seconds"] = load_s;
  if (!a.params_file.empty()) bundle->manifest()["params_file"] = a.params_file;

  StatusOr<engine::ModelRegistry> reg = OpenRegistry(*p);
  if (!reg.ok()) return ReportError(reg.status());
  StatusOr<std::string> version = reg->Add(*bundle);
  if (!version.ok()) return ReportError(version.status());
  if (a.promote) {
    if (Status s = reg->Promote(*version, "recmart train --promote"); !s.ok())
      return ReportError(s);
  }
  StatusOr<std::string> live = reg->Live();
  double train_s = bundle->manifest()["timings"]["train_seconds"];
  if (a.json) {
    std::cout << nlohmann::json{{"version", *version},
                                {"recipe", pf->recipe},
                                {"live", live.ok() && *live == *version},
                                {"train_seconds", train_s},
                                {"metrics", metrics},
                                {"path", reg->PathOf(*version)}}
                     .dump()
              << "\n";
  } else {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", train_s);
    std::cout << "trained " << *version << " (" << pf->recipe << ") in " << secs << " s"
              << (live.ok() && *live == *version ? ", live" : "") << ": " << reg->PathOf(*version)
              << "\n";
    if (metrics.contains("ndcg@10")) {
      char line[128];
      std::snprintf(line, sizeof line, "held-out %s: ndcg@10 %.4f, precision@10 %.4f, %zu users",
                    a.evaluate.c_str(), metrics.value("ndcg@10", 0.0),
                    metrics.value("precision@10", 0.0), metrics.value("users", size_t{0}));
      std::cout << line << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterTrain(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("train", "train a recipe on the lake and register the model");
  AddProjectOption(cmd, ctx);
  auto a = std::make_shared<TrainArgs>();
  cmd->add_option("-r,--recipe", a->recipe, "recipe name (see --list)");
  cmd->add_option("--params", a->params_file, "JSON file with the recipe's parameters");
  AddTrainFlags(cmd, a->flags);
  cmd->add_option("--evaluate", a->evaluate,
                  "also measure the recipe on this split (trained apart) and record the metrics "
                  "in the bundle; 'none' to skip (default random:0.2)");
  cmd->add_option("-k,--k", a->ks, "cut-offs for --evaluate (default 5,10,25)");
  cmd->add_flag("--promote", a->promote, "make the new model live");
  cmd->add_flag("--json", a->json, "print the result as JSON");
  cmd->add_flag("--list", a->list, "list the recipes and exit");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { return RunTrain(ctx, *a); }; });
}

}  // namespace recmart::cli
