// The recipe table's answers about recipes (the models themselves: the
// conformance suite).
#include "recmart/engine/recipes.h"

#include <gtest/gtest.h>

namespace recmart::engine {
namespace {

TEST(RecipesTest, WhichRecipesReadEvents) {
  EXPECT_FALSE(RecipeReadsEvents("als", {}));
  EXPECT_FALSE(RecipeReadsEvents("user-personalization", {}));  // an alias of als
  EXPECT_FALSE(RecipeReadsEvents("ease", nlohmann::json::object()));
  EXPECT_FALSE(RecipeReadsEvents("bpr", {}));
  EXPECT_FALSE(RecipeReadsEvents("content", {}));
  EXPECT_TRUE(RecipeReadsEvents("popularity", {}));
  EXPECT_TRUE(RecipeReadsEvents("trending", {}));
  EXPECT_TRUE(RecipeReadsEvents("item-knn", {}));
  EXPECT_TRUE(RecipeReadsEvents("no-such-recipe", {}));
  auto blend = [](const char* second) {
    return nlohmann::json{{"components",
                           {{{"recipe", "als"}, {"weight", 1.0}},
                            {{"recipe", second}, {"params", nlohmann::json::object()}}}}};
  };
  EXPECT_FALSE(RecipeReadsEvents("blend", blend("ease")));
  EXPECT_TRUE(RecipeReadsEvents("blend", blend("item-knn")));
  // Nested blends, malformed components (the blend's own error comes later).
  EXPECT_TRUE(RecipeReadsEvents(
      "blend", {{"components", {{{"recipe", "blend"}, {"params", blend("trending")}}}}}));
  EXPECT_TRUE(RecipeReadsEvents("blend", {{"components", {{{"weight", 1.0}}}}}));
  EXPECT_TRUE(RecipeReadsEvents("blend", {{"components", "als"}}));
  // The default components (als and ease) use the matrix alone.
  EXPECT_FALSE(RecipeReadsEvents("blend", {}));
  EXPECT_FALSE(RecipeReadsEvents("blend", nlohmann::json::object()));
}

TEST(RecipesTest, EveryRecipeAnswersWhetherItReadsEvents) {
  for (const RecipeInfo& r : Recipes()) {
    ASSERT_NE(r.reads_events, nullptr) << r.name;
    ASSERT_NE(r.make, nullptr) << r.name;
  }
}

}  // namespace
}  // namespace recmart::engine
