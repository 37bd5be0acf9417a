#include "recmart/training/recipe_run.h"

#include <chrono>

#include "recmart/common/fs.h"
#include "recmart/engine/recipes.h"
#include "recmart/eval/evaluate.h"
#include "recmart/eval/split.h"

namespace recmart::training {

using nlohmann::json;

StatusOr<ParamsFile> ReadParamsFile(const std::string& path, const std::string& recipe,
                                    const std::string& fallback_recipe) {
  ParamsFile out;
  out.recipe = recipe;
  if (path.empty()) {
    if (out.recipe.empty()) out.recipe = fallback_recipe;
    if (out.recipe.empty()) return Status::InvalidArgument("--recipe is required (or --params)");
    return out;
  }
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return Status::InvalidArgument(path + ": " + text.status().message());
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(path + ": not valid JSON");
  if (!j.is_object()) {
    return Status::InvalidArgument(path + ": expected a JSON object of parameters");
  }
  if (j.contains("params")) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() != "recipe" && it.key() != "params" && it.key() != "tune" &&
          it.key() != "metrics" && it.key() != "validation") {
        return Status::InvalidArgument(path + ": " + it.key() +
                                       ": unknown key (expected recipe, params, tune)");
      }
    }
    if (j.contains("recipe")) {
      if (!j["recipe"].is_string()) {
        return Status::InvalidArgument(path + ": recipe: expected a string");
      }
      std::string file_recipe = j["recipe"];
      if (!out.recipe.empty() &&
          engine::FindRecipe(out.recipe) != engine::FindRecipe(file_recipe)) {
        return Status::InvalidArgument(path + ": recipe: the file is for '" + file_recipe +
                                       "', the command line says '" + out.recipe + "'");
      }
      if (out.recipe.empty()) out.recipe = file_recipe;
    }
    if (!j["params"].is_object()) {
      return Status::InvalidArgument(path + ": params: expected a JSON object");
    }
    out.params = j["params"];
    if (j.contains("tune")) out.tune = j["tune"];
  } else {
    out.params = j;
  }
  if (out.recipe.empty()) out.recipe = fallback_recipe;
  if (out.recipe.empty()) {
    return Status::InvalidArgument(path +
                                   ": no recipe: pass --recipe or add \"recipe\" to the file");
  }
  return out;
}

StatusOr<nlohmann::json> EvaluateRecipe(const models::Dataset& data, const std::string& recipe,
                                        const nlohmann::json& params, const std::string& split_spec,
                                        const std::vector<size_t>& ks, bool exclude_seen,
                                        const models::TrainContext& ctx) {
  ASSIGN_OR_RETURN(eval::SplitSpec spec, eval::ParseSplitSpec(split_spec));
  ASSIGN_OR_RETURN(eval::Split split, eval::MakeSplit(data, spec, ctx.seed));
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, engine::NewModel(recipe, params));
  auto t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(model->Fit(split.train, ctx));
  double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  eval::EvalOptions eo;
  eo.ks = ks;
  eo.exclude_seen = exclude_seen;
  eo.threads = ctx.threads;
  ASSIGN_OR_RETURN(eval::EvalReport report, eval::Evaluate(*model, split, eo));
  json out = report.ToJson();
  out["split"] = split_spec;
  out["seed"] = ctx.seed;
  out["train_seconds"] = train_s;
  out["recipe"] = recipe;
  return out;
}

}  // namespace recmart::training
