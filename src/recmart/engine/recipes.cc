#include "recmart/engine/recipes.h"

#include "recmart/models/als/als.h"
#include "recmart/models/blend/blend.h"
#include "recmart/models/bpr/bpr.h"
#include "recmart/models/content/content.h"
#include "recmart/models/ease/ease.h"
#include "recmart/models/knn/knn.h"
#include "recmart/models/popularity/popularity.h"

namespace recmart::engine {

namespace {

using models::Model;

StatusOr<std::unique_ptr<Model>> NewBlend(const nlohmann::json& params) {
  return models::NewBlendModel(
      params, [](std::string_view recipe, const nlohmann::json& p) { return NewModel(recipe, p); });
}

bool MatrixOnly(const nlohmann::json&) { return false; }
bool ReadsEvents(const nlohmann::json&) { return true; }

bool BlendReadsEvents(const nlohmann::json& params) {
  const nlohmann::json defaults = models::BlendOptions().components;
  const nlohmann::json& components =
      params.is_object() && params.contains("components") ? params["components"] : defaults;
  if (!components.is_array()) return true;  // an error when the blend is made
  for (const nlohmann::json& c : components) {
    if (!c.is_object() || !c.contains("recipe") || !c["recipe"].is_string()) return true;
    if (RecipeReadsEvents(c["recipe"].get<std::string>(),
                          c.value("params", nlohmann::json::object())))
      return true;
  }
  return false;
}

const RecipeInfo kRecipes[] = {
    {"popularity", "most engaged items (distinct users, score or purchases), optional decay", false,
     false, models::NewPopularityModel, ReadsEvents},
    {"trending", "recent velocity: activity in the last window against the one before", false,
     false, models::NewTrendingModel, ReadsEvents},
    {"als", "implicit-feedback matrix factorisation (ALS, conjugate gradient)", true, true,
     models::NewAlsModel, MatrixOnly},
    {"bpr", "matrix factorisation ranked by sampled pairs (BPR, parallel stratified SGD)", true,
     true, models::NewBprModel, MatrixOnly},
    {"item-knn", "item-to-item co-occurrence (cosine, jaccard or lift), top-N neighbours per item",
     true, true, models::NewItemKnnModel, ReadsEvents},
    {"ease",
     "closed-form item-to-item linear model (Steck's EASE), sequence-weighted, dense: up to "
     "~20,000 items",
     true, true, models::NewEaseModel, MatrixOnly},
    {"content", "item metadata (category, brand, price, title) as TF-IDF: cold start", true, true,
     models::NewContentModel, MatrixOnly},
    {"blend", "weighted sum of other recipes' per-user normalised scores", true, true, NewBlend,
     BlendReadsEvents},
};

struct Alias {
  std::string_view alias, name;
};
constexpr Alias kAliases[] = {
    {"popularity-count", "popularity"},
    {"trending-now", "trending"},
    {"similar-items", "item-knn"},
    {"user-personalization", "als"},
};

}  // namespace

std::span<const RecipeInfo> Recipes() { return kRecipes; }

const RecipeInfo* FindRecipe(std::string_view name) {
  for (const Alias& a : kAliases) {
    if (a.alias == name) name = a.name;
  }
  for (const RecipeInfo& r : kRecipes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

bool RecipeReadsEvents(std::string_view name, const nlohmann::json& params) {
  const RecipeInfo* r = FindRecipe(name);
  return r == nullptr || r->reads_events(params);
}

StatusOr<std::unique_ptr<Model>> NewModel(std::string_view name, const nlohmann::json& params) {
  const RecipeInfo* r = FindRecipe(name);
  if (!r) {
    std::string known;
    for (const RecipeInfo& x : kRecipes) known += (known.empty() ? "" : ", ") + std::string(x.name);
    return Status::InvalidArgument("unknown recipe '" + std::string(name) + "' (known: " + known +
                                   ")");
  }
  return r->make(params);
}

}  // namespace recmart::engine
