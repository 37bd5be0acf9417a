// Non-personalised recipes: "popularity" (best sellers / most engaged) and
// "trending" (recent velocity). Every user gets the same list; they are also
// what ModelBundle falls back to for users with no history.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "recmart/common/status.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

struct PopularityOptions {
  // What counts: distinct users per item, the sum of implicit scores, or
  // purchase events (falls back to scores when the data has no events).
  std::string signal = "users";
  // Older interactions count less: weight 0.5^(age/half_life). 0 = no decay.
  double half_life_days = 0.0;
  void Visit(ParamReader& r);
};

struct TrendingOptions {
  // Length of the recent window, and of the window before it, in days.
  double window_days = 7.0;
  // Additive smoothing of both windows' counts: damps the growth ratio of
  // items with few events.
  double smoothing = 5.0;
  void Visit(ParamReader& r);
};

StatusOr<std::unique_ptr<Model>> NewPopularityModel(const nlohmann::json& params);
StatusOr<std::unique_ptr<Model>> NewTrendingModel(const nlohmann::json& params);

// Scores of the "popularity" recipe with default options, for fallbacks.
std::vector<float> PopularityScores(const Dataset& data);

}  // namespace recmart::models
