#include "recmart/engine/recommend.h"

#include <algorithm>
#include <cmath>

#include "recmart/engine/recipes.h"

namespace recmart::engine {

using models::ItemIndex;
using models::ScoredItem;

namespace {

// A user's history: training row merged with live additions, items ascending.
struct History {
  models::UserIndex user = models::kUnknownIndex;
  std::vector<ItemIndex> items;
  std::vector<float> weights;
  bool is_training = true;

  models::UserQuery Query() const { return {user, items, weights, is_training}; }
};

History BuildHistory(const ModelBundle& b, std::string_view user_id,
                     const std::vector<ExtraInteraction>& extra) {
  History h;
  h.user = user_id.empty() ? models::kUnknownIndex : b.users().Find(std::string(user_id));
  std::vector<std::pair<ItemIndex, float>> merged;
  if (h.user != models::kUnknownIndex) {
    auto idx = b.history().RowIndices(h.user);
    auto val = b.history().RowValues(h.user);
    for (size_t k = 0; k < idx.size(); ++k) merged.emplace_back(idx[k], val[k]);
  }
  bool added = false;
  for (const ExtraInteraction& e : extra) {
    ItemIndex i = b.items().Find(e.item);
    if (i == models::kUnknownIndex) continue;
    merged.emplace_back(i, e.weight);
    added = true;
  }
  std::sort(merged.begin(), merged.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [item, w] : merged) {
    if (!h.items.empty() && h.items.back() == item) {
      h.weights.back() += w;
    } else {
      h.items.push_back(item);
      h.weights.push_back(w);
    }
  }
  h.is_training = !added;
  return h;
}

std::vector<ItemIndex> Exclusions(const ModelBundle& b, const History& h,
                                  const RecommendOptions& o) {
  std::vector<ItemIndex> ex;
  if (o.exclude_seen) ex = h.items;
  for (const std::string& id : o.exclude) {
    ItemIndex i = b.items().Find(id);
    if (i != models::kUnknownIndex) ex.push_back(i);
  }
  std::sort(ex.begin(), ex.end());
  ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
  return ex;
}

bool Personalized(const ModelBundle& b) {
  const RecipeInfo* r = FindRecipe(b.recipe());
  return r == nullptr || r->personalized;
}

// Fills `scores` for the user of `h` and says where they came from: the
// model, or popularity when a personalised model has no history to go on.
const char* ScoreHistory(const ModelBundle& b, const History& h, std::span<float> scores) {
  if (h.items.empty() && Personalized(b)) {
    std::copy(b.popularity().begin(), b.popularity().end(), scores.begin());
    return "popularity";
  }
  b.model().ScoreUser(h.Query(), scores);
  return "model";
}

// Takes the page [offset, offset + n) of the best items, then gives the last
// floor(n * exploration) slots to the best-scoring allowed cold items.
std::vector<ScoredItem> Page(const ModelBundle& b, std::span<const float> scores,
                             std::span<const ItemIndex> exclude, const RecommendOptions& o) {
  const size_t n = o.num_results;
  size_t explore = 0;
  if (o.exploration > 0 && !b.cold_items().empty()) {
    explore = static_cast<size_t>(std::floor(static_cast<double>(n) * o.exploration));
  }
  std::vector<ItemIndex> ex(exclude.begin(), exclude.end());
  // Cold items compete only through their reserved slots.
  if (explore > 0) {
    ex.insert(ex.end(), b.cold_items().begin(), b.cold_items().end());
    std::sort(ex.begin(), ex.end());
    ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
  }
  const size_t main_slots = n - explore;
  std::vector<ScoredItem> top =
      models::TopK(scores, {.k = o.offset + main_slots, .exclude = ex, .allowed = o.allowed});
  std::vector<ScoredItem> page;
  if (top.size() > o.offset) page.assign(top.begin() + static_cast<long>(o.offset), top.end());
  if (explore == 0) return page;

  // Cold items ranked newest first (by creation time, then index); each page
  // takes the next ones so that paging does not repeat them.
  std::vector<ItemIndex> cold;
  for (ItemIndex i : b.cold_items()) {
    bool excluded = std::binary_search(exclude.begin(), exclude.end(), i);
    bool allowed = o.allowed.empty() || o.allowed[i];
    if (!excluded && allowed) cold.push_back(i);
  }
  const auto& created = b.attributes().created;
  std::stable_sort(cold.begin(), cold.end(),
                   [&](ItemIndex a, ItemIndex c) { return created[a] > created[c]; });
  const size_t page_index = n ? o.offset / n : 0;
  float floor_score = page.empty() ? 0.0f : page.back().score;
  for (size_t j = 0; j < explore; ++j) {
    size_t at = page_index * explore + j;
    if (at >= cold.size()) break;
    page.push_back({cold[at], floor_score});
  }
  return page;
}

}  // namespace

Recommendation RecommendForUser(const ModelBundle& b, std::string_view user_id,
                                const RecommendOptions& o,
                                const std::vector<ExtraInteraction>& extra) {
  History h = BuildHistory(b, user_id, extra);
  std::vector<float> scores(b.items().size());
  Recommendation r;
  r.source = ScoreHistory(b, h, scores);
  std::vector<ItemIndex> ex = Exclusions(b, h, o);
  r.items = Page(b, scores, ex, o);
  // A personalised list that ran dry (everything seen or filtered) is topped
  // up from popularity rather than returned short.
  if (r.items.size() < o.num_results && r.source == "model" && Personalized(b)) {
    for (const ScoredItem& s : r.items)
      ex.insert(std::upper_bound(ex.begin(), ex.end(), s.item), s.item);
    RecommendOptions rest = o;
    rest.num_results = o.num_results - r.items.size();
    rest.offset = 0;
    rest.exploration = 0;
    for (const ScoredItem& s : Page(b, b.popularity(), ex, rest)) r.items.push_back(s);
  }
  return r;
}

StatusOr<Recommendation> RelatedItems(const ModelBundle& b, std::string_view item_id,
                                      std::string_view user_id, const RecommendOptions& o) {
  ItemIndex item = b.items().Find(std::string(item_id));
  if (item == models::kUnknownIndex) {
    return Status::NotFound("item '" + std::string(item_id) + "' is not in the model");
  }
  std::vector<float> scores(b.items().size());
  Recommendation r;
  if (b.model().ScoreRelated(item, scores)) {
    r.source = "model";
  } else {
    std::copy(b.popularity().begin(), b.popularity().end(), scores.begin());
    r.source = "popularity";
  }
  History h = BuildHistory(b, user_id, {});
  std::vector<ItemIndex> ex = Exclusions(b, h, o);
  ex.insert(std::upper_bound(ex.begin(), ex.end(), item), item);
  ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
  r.items = Page(b, scores, ex, o);
  return r;
}

StatusOr<std::vector<RankedItem>> RankItems(const ModelBundle& b, std::string_view user_id,
                                            const std::vector<std::string>& input,
                                            const std::vector<ExtraInteraction>& extra) {
  if (input.size() > kMaxRankItems) {
    return Status::InvalidArgument("inputList has " + std::to_string(input.size()) +
                                   " items; at most " + std::to_string(kMaxRankItems));
  }
  History h = BuildHistory(b, user_id, extra);
  std::vector<float> scores(b.items().size());
  ScoreHistory(b, h, scores);
  std::vector<RankedItem> known, unknown;
  for (const std::string& id : input) {
    ItemIndex i = b.items().Find(id);
    if (i == models::kUnknownIndex) {
      unknown.push_back({id, 0.0f, false});
    } else {
      known.push_back({id, scores[i], true});
    }
  }
  std::stable_sort(known.begin(), known.end(),
                   [](const RankedItem& a, const RankedItem& c) { return a.score > c.score; });
  known.insert(known.end(), unknown.begin(), unknown.end());
  return known;
}

}  // namespace recmart::engine
