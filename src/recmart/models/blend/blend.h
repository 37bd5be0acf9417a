// The "blend" recipe: a weighted sum of other recipes' scores, each
// normalised per user (or per item, for related items) so that scales agree:
//   score(u, i) = Σ_c weight_c · normalise(score_c(u, ·))(i)
// Params:
//   {"components": [{"recipe": "ease", "params": {...}, "weight": 1.0}, ...],
//    "normalize": "zscore" | "max" | "none"}
// Components are trained one after another on the same data and saved under
// "c<N>/" in the bundle.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "recmart/common/status.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

struct BlendOptions {
  // [{"recipe": NAME, "params": {...}, "weight": W}, ...]; at least one.
  // The default pairs the two strongest recipes on MovieLens 100K and
  // Online Retail (docs/benchmarks.md): ALS with user_confidence_exponent
  // -0.5 (each interaction of a heavy user counts less) and EASE with DLAE
  // dropout 0.5, lambda 100. Against plain als + 0.5 ease, NDCG@10: +0.8%
  // on MovieLens 100K (mean of 5 splits, 0.4993 -> 0.5035; bench/quality.sh
  // 0.4967 -> 0.5032), +3.4% on latest-small, +0.1% on Online Retail.
  nlohmann::json components = nlohmann::json::array(
      {{{"recipe", "als"}, {"weight", 1.0}, {"params", {{"user_confidence_exponent", -0.5}}}},
       {{"recipe", "ease"}, {"weight", 0.5}, {"params", {{"dropout", 0.5}, {"lambda", 100.0}}}}});
  // Per-user normalisation of each component's scores before weighting:
  // zscore = (s - mean) / stddev over all items; max = s / max |s|.
  std::string normalize = "zscore";
  void Visit(ParamReader& r);
};

// Builds a component model from its recipe name and params (the engine's
// recipe table; injected so that this folder does not depend on it).
using ComponentFactory = std::function<StatusOr<std::unique_ptr<Model>>(
    std::string_view recipe, const nlohmann::json& params)>;

StatusOr<std::unique_ptr<Model>> NewBlendModel(const nlohmann::json& params,
                                               const ComponentFactory& factory);

}  // namespace recmart::models
