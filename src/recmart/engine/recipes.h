// The recipe table: every recipe recmart can train, by name, with what it
// can do. The only place that knows all recipes (each lives in its own
// folder under models/).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "recmart/common/status.h"
#include "recmart/models/model.h"

namespace recmart::engine {

struct RecipeInfo {
  std::string_view name;
  std::string_view summary;
  // Scores differ per user (false: the same list for everyone).
  bool personalized;
  // Implements Model::ScoreRelated (item-to-item).
  bool related;
  StatusOr<std::unique_ptr<models::Model>> (*make)(const nlohmann::json& params);
  // Whether training with `params` reads the curated events (sessions, event
  // kinds, times) besides the interaction matrix.
  bool (*reads_events)(const nlohmann::json& params);
};

// All recipes, in the order `recmart train --help` lists them.
std::span<const RecipeInfo> Recipes();
// The recipe called `name` (or one of its managed-service aliases such as
// "popularity-count"), or nullptr.
const RecipeInfo* FindRecipe(std::string_view name);
// Whether training `name` with `params` reads the curated events besides the
// matrix: the recipe's own answer, true for an unknown recipe (its error
// comes later). A blend reads them when any component does (its default
// components when params name none). Without events a bundle takes the
// per-pair event kinds from the matrix.
bool RecipeReadsEvents(std::string_view name, const nlohmann::json& params);
// A model of recipe `name` with `params` (a JSON object; null = defaults).
// InvalidArgument for an unknown recipe or bad params, naming the key.
StatusOr<std::unique_ptr<models::Model>> NewModel(std::string_view name,
                                                  const nlohmann::json& params);

}  // namespace recmart::engine
