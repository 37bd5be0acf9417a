// Running a recipe the way train, evaluate, tune and the pipeline do: the
// parameters file, and the held-out evaluation of a recipe on a lake's data.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"

namespace recmart::training {

// A parameters file: either a JSON object of the recipe's parameters, or
// {"recipe": NAME, "params": {...}, "tune": {...}} (what `recmart tune`
// writes). Fills `recipe` from the file when it is empty and the file names
// one; a recipe given by the caller must agree with the file's.
struct ParamsFile {
  std::string recipe;
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json tune;  // null when absent
};
// `path` empty: just `recipe`. When neither `recipe` nor the file names a
// recipe, `fallback_recipe` is used, and when that is empty too it is an
// InvalidArgument. InvalidArgument naming the file and the key for any problem.
StatusOr<ParamsFile> ReadParamsFile(const std::string& path, const std::string& recipe,
                                    const std::string& fallback_recipe = "");

// Holds out `split_spec` of `data` (eval::ParseSplitSpec), trains `recipe`
// with `params` on the rest under `ctx` (its seed also draws the split) and
// evaluates it at `ks`. Returns the report's JSON plus "split", "seed",
// "train_seconds", "recipe". Same data, spec and seed → the same split, so
// two recipes evaluated with the same arguments meet the same held-out data.
StatusOr<nlohmann::json> EvaluateRecipe(const models::Dataset& data, const std::string& recipe,
                                        const nlohmann::json& params, const std::string& split_spec,
                                        const std::vector<size_t>& ks, bool exclude_seen,
                                        const models::TrainContext& ctx);

}  // namespace recmart::training
