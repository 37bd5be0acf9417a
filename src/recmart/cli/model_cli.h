// What the model subcommands (train, evaluate, tune, models, recommend,
// similar, rank, batch-recommend) share: where the registry lives, reading
// a params file, training context with a progress bar, printing answers.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/config/project.h"
#include "recmart/engine/recommend.h"
#include "recmart/engine/registry.h"
#include "recmart/models/model.h"
#include "recmart/training/recipe_run.h"

namespace recmart::cli {

// The registry of `project`: <project dir>/models.
StatusOr<engine::ModelRegistry> OpenRegistry(const config::Project& project);

using training::ParamsFile;
using training::ReadParamsFile;

// Threads and seed options shared by train, evaluate and tune.
struct TrainFlags {
  uint64_t seed = 42;
  int threads = 0;  // 0 = all cores
};
void AddTrainFlags(CLI::App* cmd, TrainFlags& flags);
// A context whose progress drives `bar` (which may be disabled).
models::TrainContext MakeTrainContext(const TrainFlags& flags, ProgressBar* bar);

// Options for answers (recommend, similar, batch-recommend): -n, --offset,
// --exclude, --include-seen, --category, --available-only, --max-price,
// --exploration.
struct AnswerFlags {
  size_t num_results = 25;
  size_t offset = 0;
  std::string exclude;   // comma-separated item ids
  std::string category;  // comma-separated CATEGORY_L1 values
  bool include_seen = false;
  bool available_only = false;
  double max_price = 0;  // 0 = no limit
  double exploration = 0;
};
void AddAnswerFlags(CLI::App* cmd, AnswerFlags& flags, size_t default_n);
// The recommend options for `bundle` (the filter mask built from its item metadata).
StatusOr<engine::RecommendOptions> MakeRecommendOptions(const engine::ModelBundle& bundle,
                                                        const AnswerFlags& flags);

// {"itemList": [{"itemId": .., "score": ..}], "modelVersion": .., "source": ..}
nlohmann::json RecommendationJson(const engine::ModelBundle& bundle,
                                  const engine::Recommendation& r);
// Prints a recommendation as a table (rank, item, score, category) or JSON.
void PrintRecommendation(const engine::ModelBundle& bundle, const engine::Recommendation& r,
                         bool json);

std::vector<std::string> SplitCommaList(const std::string& s);

// Loads `version` ("" = live) of the project's registry; on failure prints
// the error and sets `exit_code`.
std::optional<engine::ModelBundle> LoadBundleOrReport(const Context& ctx,
                                                      const std::string& version, int& exit_code);

// Holds out `split_spec` of `data`, trains `recipe` with `params` on the rest
// and evaluates it at `ks`. Returns the report's JSON plus "split", "seed",
// "train_seconds". `bar` may be null.
StatusOr<nlohmann::json> EvaluateRecipe(const models::Dataset& data, const std::string& recipe,
                                        const nlohmann::json& params, const std::string& split_spec,
                                        const std::vector<size_t>& ks, bool exclude_seen,
                                        const TrainFlags& flags, ProgressBar* bar);
// Parses "5,10,25".
StatusOr<std::vector<size_t>> ParseKs(const std::string& s);
// Prints the metrics of EvaluateRecipe as a table (one row per k).
void PrintMetricsTable(const nlohmann::json& metrics, const std::vector<size_t>& ks);
}  // namespace recmart::cli
