#include "recmart/engine/recommend.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "recmart/engine/recipes.h"
#include "recmart/models/factors.h"

namespace recmart::engine {

using models::ItemIndex;
using models::ScoredItem;
namespace simd = models::simd;

namespace {

// A user's history: training row merged with live additions, items ascending.
struct History {
  models::UserIndex user = models::kUnknownIndex;
  std::vector<ItemIndex> items;
  std::vector<float> weights;
  bool is_training = true;

  models::UserQuery Query() const { return {user, items, weights, is_training}; }
};

// User `user`'s history (kUnknownIndex: none) with `extra` merged in.
History BuildHistory(const ModelBundle& b, models::UserIndex user,
                     const std::vector<ExtraInteraction>& extra) {
  History h;
  h.user = user;
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

History BuildHistory(const ModelBundle& b, std::string_view user_id,
                     const std::vector<ExtraInteraction>& extra) {
  return BuildHistory(
      b, user_id.empty() ? models::kUnknownIndex : b.users().Find(std::string(user_id)), extra);
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

// Fills `scores` for the user of `h`: the model's, or popularity when a
// personalised model has no history to go on.
void ScoreHistory(const ModelBundle& b, const History& h, std::span<float> scores) {
  if (h.items.empty() && Personalized(b)) {
    std::copy(b.popularity().begin(), b.popularity().end(), scores.begin());
    return;
  }
  b.model().ScoreUser(h.Query(), scores);
}

// Accepts an item for the answer: not excluded, allowed by the mask and by the
// predicate.
struct Gate {
  const RecommendOptions& o;
  std::span<const ItemIndex> exclude;

  bool operator()(ItemIndex i) const {
    if (std::binary_search(exclude.begin(), exclude.end(), i)) return false;
    if (!o.allowed.empty() && (i >= o.allowed.size() || !o.allowed[i])) return false;
    return !o.allow || o.allow(i);
  }
};

bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// Where candidates come from for one query: a full score vector, or the ANN
// index rescored exactly.
class Candidates {
 public:
  virtual ~Candidates() = default;
  // Up to `depth` of the best items by model score (any order); sets
  // *exhaustive when no item is left out.
  virtual std::vector<ScoredItem> Get(size_t depth, bool* exhaustive) = 0;
  // The model score of any item.
  virtual float Score(ItemIndex i) const = 0;
  // Cosine similarity of two items (session blending); 0 when unknown.
  virtual float Cosine(ItemIndex a, ItemIndex b) const = 0;
  // Items most related to `item` (session blending adds them as candidates).
  virtual std::vector<ItemIndex> Neighbours(ItemIndex item, size_t k) const = 0;
};

// Over a dense score vector (small catalogs, recipes without factors).
class FullCandidates final : public Candidates {
 public:
  FullCandidates(const ModelBundle& b, std::vector<float> scores, std::span<const ItemIndex> recent)
      : scores_(std::move(scores)) {
    for (ItemIndex r : recent) {
      std::vector<float> rel(scores_.size());
      if (b.model().ScoreRelated(r, rel)) related_.emplace(r, std::move(rel));
    }
  }
  std::vector<ScoredItem> Get(size_t depth, bool* exhaustive) override {
    *exhaustive = depth >= scores_.size();
    return models::TopK(scores_, {.k = depth});
  }
  float Score(ItemIndex i) const override { return scores_[i]; }
  float Cosine(ItemIndex a, ItemIndex b) const override {
    auto it = related_.find(b);
    return it == related_.end() ? 0.0f : it->second[a];
  }
  std::vector<ItemIndex> Neighbours(ItemIndex item, size_t k) const override {
    std::vector<ItemIndex> out;
    auto it = related_.find(item);
    if (it == related_.end()) return out;
    for (const ScoredItem& s : models::TopK(it->second, {.k = k})) out.push_back(s.item);
    return out;
  }

 private:
  std::vector<float> scores_;
  std::unordered_map<ItemIndex, std::vector<float>> related_;
};

// Over the ANN index: candidates by (approximate) inner product with `x`,
// scored exactly -- by x . y_i + b_i, or by cosine to `x` when `cosine`.
class AnnCandidates final : public Candidates {
 public:
  // `seeds`: where the search starts besides the index's entry (AnnIndex::Search).
  AnnCandidates(const ModelBundle& b, const models::FactorView& f, const float* x, bool cosine,
                std::vector<ItemIndex> seeds)
      : b_(b), f_(f), x_(x), cosine_(cosine), width_(f.items->width()), seeds_(std::move(seeds)) {
    if (cosine_) {
      const float n = std::sqrt(simd::Dot(x, x, width_));
      x_norm_ = n > 0.0f ? n : 1.0f;
    }
  }
  std::vector<ScoredItem> Get(size_t depth, bool* exhaustive) override {
    const uint32_t n = f_.items->size();
    std::vector<ScoredItem> out;
    // Deep searches cost as much as a scan: scan, exactly.
    if (depth * 4 >= n) {
      *exhaustive = true;
      out.reserve(n);
      for (ItemIndex i = 0; i < n; ++i) out.push_back({i, Score(i)});
      return out;
    }
    *exhaustive = false;
    for (ItemIndex i : b_.ann()->Search(x_, depth, seeds_)) out.push_back({i, Score(i)});
    return out;
  }
  float Score(ItemIndex i) const override {
    const float dot = simd::Dot(x_, f_.items->rows.row(i), width_);
    if (cosine_) {
      const float ni = f_.items->norms[i];
      return ni > 0.0f ? dot / (x_norm_ * ni) : 0.0f;
    }
    return f_.bias.empty() ? dot : dot + f_.bias[i];
  }
  float Cosine(ItemIndex a, ItemIndex b) const override {
    const float na = f_.items->norms[a], nb = f_.items->norms[b];
    if (!(na > 0.0f) || !(nb > 0.0f)) return 0.0f;
    return simd::Dot(f_.items->rows.row(a), f_.items->rows.row(b), width_) / (na * nb);
  }
  std::vector<ItemIndex> Neighbours(ItemIndex item, size_t k) const override {
    const ItemIndex self[] = {item};
    return b_.ann()->Search(f_.items->rows.row(item), k, self);
  }
  void set_seeds(std::vector<ItemIndex> seeds) { seeds_ = std::move(seeds); }

 private:
  const ModelBundle& b_;
  const models::FactorView& f_;
  const float* x_;
  bool cosine_;
  uint32_t width_;
  std::vector<ItemIndex> seeds_;
  float x_norm_ = 1.0f;
};

// Search seeds for a user's query: their recent items, then their items of
// highest weight, at most kMaxSeeds in all.
std::vector<ItemIndex> UserSeeds(const History& h, std::span<const ItemIndex> recent) {
  constexpr size_t kMaxSeeds = 16;
  std::vector<ItemIndex> seeds(
      recent.begin(), recent.begin() + static_cast<long>(std::min(recent.size(), kMaxSeeds)));
  std::vector<size_t> order(h.items.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  const size_t take = std::min(order.size(), kMaxSeeds - seeds.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(take), order.end(),
                    [&](size_t a, size_t b) {
                      return h.weights[a] > h.weights[b] || (h.weights[a] == h.weights[b] && a < b);
                    });
  for (size_t k = 0; k < take; ++k) seeds.push_back(h.items[order[k]]);
  return seeds;
}

// The first `needed` accepted items by final score (model score plus the
// session boost), searching deeper until enough are found or no item is left.
std::vector<ScoredItem> Ranked(Candidates& c, size_t needed, const Gate& gate,
                               std::span<const ItemIndex> recent, double session_weight) {
  constexpr size_t kNeighbours = 32;
  size_t depth = std::max<size_t>(64, 2 * needed + gate.exclude.size());
  float spread = 0.0f;
  std::vector<ItemIndex> extra;  // session neighbours, candidates at every depth
  const bool session = !recent.empty() && session_weight > 0;
  for (;;) {
    bool exhaustive = false;
    std::vector<ScoredItem> cands = c.Get(depth, &exhaustive);
    if (session) {
      if (extra.empty() && !cands.empty()) {
        double sum = 0;
        float best = cands.front().score;
        for (const ScoredItem& s : cands) {
          sum += s.score;
          best = std::max(best, s.score);
        }
        spread = std::max(0.0f, best - static_cast<float>(sum / static_cast<double>(cands.size())));
        for (ItemIndex r : recent) {
          for (ItemIndex i : c.Neighbours(r, kNeighbours)) extra.push_back(i);
        }
      }
      for (ItemIndex i : extra) cands.push_back({i, c.Score(i)});
      std::sort(cands.begin(), cands.end(),
                [](const ScoredItem& a, const ScoredItem& b) { return a.item < b.item; });
      cands.erase(
          std::unique(cands.begin(), cands.end(),
                      [](const ScoredItem& a, const ScoredItem& b) { return a.item == b.item; }),
          cands.end());
      for (ScoredItem& s : cands) {
        float sim = 0.0f;
        for (ItemIndex r : recent) sim = std::max(sim, c.Cosine(s.item, r));
        s.score += static_cast<float>(session_weight) * spread * sim;
      }
    }
    std::vector<ScoredItem> accepted;
    for (const ScoredItem& s : cands) {
      if (!std::isnan(s.score) && gate(s.item)) accepted.push_back(s);
    }
    if (accepted.size() >= needed || exhaustive) {
      const size_t k = std::min(needed, accepted.size());
      std::partial_sort(accepted.begin(), accepted.begin() + static_cast<long>(k), accepted.end(),
                        Better);
      accepted.resize(k);
      return accepted;
    }
    depth *= 4;
  }
}

// The first `needed` items of user h.user's candidate list that `gate`
// accepts, rescored exactly; false (and *out untouched) when the list cannot
// answer: the user has live additions, session items would reorder it, seen
// items are allowed (the list has none), or too few items pass the gate.
bool FromCandidateList(const ModelBundle& b, const History& h, const RecommendOptions& o,
                       bool session, const AnnCandidates& c, size_t needed, const Gate& gate,
                       std::vector<ScoredItem>* out) {
  const CandidateLists* lists = b.candidate_lists();
  if (lists == nullptr || !h.is_training || h.user == models::kUnknownIndex || !o.exclude_seen ||
      session) {
    return false;
  }
  std::vector<ScoredItem> accepted;
  accepted.reserve(needed);
  for (ItemIndex i : lists->For(h.user)) {
    if (accepted.size() == needed) break;
    if (!gate(i)) continue;
    const float score = c.Score(i);
    if (!std::isnan(score)) accepted.push_back({i, score});
  }
  if (accepted.size() < needed) return false;
  *out = std::move(accepted);
  return true;
}

// The first `needed` accepted items in popularity order.
std::vector<ScoredItem> ByPopularity(const ModelBundle& b, size_t needed, const Gate& gate) {
  std::vector<ScoredItem> out;
  for (ItemIndex i : b.popularity_order()) {
    if (out.size() >= needed) break;
    if (gate(i)) out.push_back({i, b.popularity()[i]});
  }
  return out;
}

std::vector<ItemIndex> Resolve(const ModelBundle& b, const std::vector<std::string>& ids) {
  std::vector<ItemIndex> out;
  for (const std::string& id : ids) {
    ItemIndex i = b.items().Find(id);
    if (i != models::kUnknownIndex && std::find(out.begin(), out.end(), i) == out.end())
      out.push_back(i);
  }
  return out;
}

// Exploration slots for a page: cold items, newest first (then by index);
// page p takes the p-th run so that paging does not repeat them.
void AddExploration(const ModelBundle& b, const Gate& gate, const RecommendOptions& o,
                    size_t explore, std::vector<ScoredItem>* page) {
  std::vector<ItemIndex> cold;
  for (ItemIndex i : b.cold_items()) {
    if (gate(i)) cold.push_back(i);
  }
  const auto& created = b.attributes().created;
  std::stable_sort(cold.begin(), cold.end(),
                   [&](ItemIndex a, ItemIndex c) { return created[a] > created[c]; });
  const size_t n = o.num_results;
  const size_t page_index = n ? o.offset / n : 0;
  const float floor_score = page->empty() ? 0.0f : page->back().score;
  for (size_t j = 0; j < explore; ++j) {
    const size_t at = page_index * explore + j;
    if (at >= cold.size()) break;
    page->push_back({cold[at], floor_score});
  }
}

}  // namespace

Recommendation RecommendForUser(const ModelBundle& b, std::string_view user_id,
                                const RecommendOptions& o,
                                const std::vector<ExtraInteraction>& extra) {
  History h = BuildHistory(b, user_id, extra);
  std::vector<ItemIndex> ex = Exclusions(b, h, o);
  size_t explore = 0;
  if (o.exploration > 0 && !b.cold_items().empty()) {
    explore = static_cast<size_t>(std::floor(static_cast<double>(o.num_results) * o.exploration));
  }
  // Cold items compete only through their reserved slots.
  std::vector<ItemIndex> with_cold;
  if (explore > 0) {
    with_cold = ex;
    with_cold.insert(with_cold.end(), b.cold_items().begin(), b.cold_items().end());
    std::sort(with_cold.begin(), with_cold.end());
    with_cold.erase(std::unique(with_cold.begin(), with_cold.end()), with_cold.end());
  }
  const std::vector<ItemIndex>& main_ex = explore > 0 ? with_cold : ex;
  const size_t needed = o.offset + o.num_results - explore;
  const Gate main_gate{o, main_ex};

  Recommendation r;
  std::vector<ScoredItem> top;
  if (h.items.empty() && Personalized(b)) {
    r.source = "popularity";
    top = ByPopularity(b, needed, main_gate);
  } else {
    r.source = "model";
    const std::vector<ItemIndex> recent = Resolve(b, o.session_items);
    models::FactorView f;
    if (b.ann() != nullptr && b.model().Factors(&f)) {
      float* x = nullptr;
      models::Array<float> keep = models::AlignedFloats(f.items->width(), &x);
      b.model().QueryVector(h.Query(), x);
      AnnCandidates c(b, f, x, /*cosine=*/false, {});  // seeds only if it searches
      const bool session = !recent.empty() && o.session_weight > 0;
      if (!FromCandidateList(b, h, o, session, c, needed, main_gate, &top)) {
        c.set_seeds(UserSeeds(h, recent));
        top = Ranked(c, needed, main_gate, recent, o.session_weight);
      }
    } else {
      std::vector<float> scores(b.items().size());
      b.model().ScoreUser(h.Query(), scores);
      FullCandidates c(b, std::move(scores), recent);
      top = Ranked(c, needed, main_gate, recent, o.session_weight);
    }
  }
  if (top.size() > o.offset) r.items.assign(top.begin() + static_cast<long>(o.offset), top.end());
  if (explore > 0) AddExploration(b, Gate{o, ex}, o, explore, &r.items);
  // A personalised list that ran dry (everything seen or filtered) is topped
  // up from popularity rather than returned short.
  if (r.items.size() < o.num_results && r.source == "model" && Personalized(b)) {
    for (const ScoredItem& s : r.items)
      ex.insert(std::upper_bound(ex.begin(), ex.end(), s.item), s.item);
    for (const ScoredItem& s : ByPopularity(b, o.num_results - r.items.size(), Gate{o, ex}))
      r.items.push_back(s);
  }
  return r;
}

StatusOr<Recommendation> RelatedItems(const ModelBundle& b, std::string_view item_id,
                                      std::string_view user_id, const RecommendOptions& o) {
  ItemIndex item = b.items().Find(std::string(item_id));
  if (item == models::kUnknownIndex) {
    return Status::NotFound("item '" + std::string(item_id) + "' is not in the model");
  }
  History h = BuildHistory(b, user_id, {});
  std::vector<ItemIndex> ex = Exclusions(b, h, o);
  ex.insert(std::upper_bound(ex.begin(), ex.end(), item), item);
  ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
  const Gate gate{o, ex};
  const size_t needed = o.offset + o.num_results;
  Recommendation r;
  std::vector<ScoredItem> top;
  models::FactorView f;
  if (b.ann() != nullptr && b.model().Factors(&f)) {
    r.source = "model";
    AnnCandidates c(b, f, f.items->rows.row(item), /*cosine=*/true, {item});
    top = Ranked(c, needed, gate, {}, 0.0);
  } else {
    std::vector<float> scores(b.items().size());
    if (b.model().ScoreRelated(item, scores)) {
      r.source = "model";
      FullCandidates c(b, std::move(scores), {});
      top = Ranked(c, needed, gate, {}, 0.0);
    } else {
      r.source = "popularity";
      top = ByPopularity(b, needed, gate);
    }
  }
  if (top.size() > o.offset) r.items.assign(top.begin() + static_cast<long>(o.offset), top.end());
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
  // Large catalogs (an ANN index attached) score just the listed items, with
  // the same exact dot products as the recommendations; others a full vector.
  std::function<float(ItemIndex)> score;
  std::vector<float> scores;
  models::Array<float> keep;
  models::FactorView f;
  std::optional<AnnCandidates> ann;
  if (b.ann() != nullptr && b.model().Factors(&f) && !(h.items.empty() && Personalized(b))) {
    float* x = nullptr;
    keep = models::AlignedFloats(f.items->width(), &x);
    b.model().QueryVector(h.Query(), x);
    ann.emplace(b, f, x, /*cosine=*/false, std::vector<ItemIndex>{});  // scores only
    score = [&](ItemIndex i) { return ann->Score(i); };
  } else {
    scores.resize(b.items().size());
    ScoreHistory(b, h, scores);
    score = [&](ItemIndex i) { return scores[i]; };
  }
  std::vector<RankedItem> known, unknown;
  for (const std::string& id : input) {
    ItemIndex i = b.items().Find(id);
    if (i == models::kUnknownIndex) {
      unknown.push_back({id, 0.0f, false});
    } else {
      known.push_back({id, score(i), true});
    }
  }
  std::stable_sort(known.begin(), known.end(),
                   [](const RankedItem& a, const RankedItem& c) { return a.score > c.score; });
  known.insert(known.end(), unknown.begin(), unknown.end());
  return known;
}

StatusOr<std::unique_ptr<CandidateLists>> BuildCandidateLists(const ModelBundle& b,
                                                              const CandidateListOptions& o) {
  models::FactorView f;
  if (b.ann() == nullptr || !b.model().Factors(&f)) {
    return Status::FailedPrecondition("candidate lists need a factor model with an ANN index");
  }
  if (o.per_user <= 0) return Status::InvalidArgument("candidate lists: per_user must be > 0");
  const auto per_user = static_cast<size_t>(o.per_user);
  const uint32_t users = b.users().size();
  std::vector<ItemIndex> ids(size_t{users} * per_user, models::kUnknownIndex);
  const RecommendOptions seen_only;  // exclude_seen, nothing else
  const uint32_t width = f.items->width();
  models::ParallelFor(o.threads, users, 4096, [&](size_t begin, size_t end) {
    float* x = nullptr;
    models::Array<float> keep = models::AlignedFloats(width, &x);
    for (size_t u = begin; u < end; ++u) {
      // The user's history as a request without live events gets it.
      const History h = BuildHistory(b, static_cast<models::UserIndex>(u), {});
      if (h.items.empty()) continue;  // answered from popularity
      std::fill(x, x + width, 0.0f);
      if (!b.model().QueryVector(h.Query(), x)) continue;
      AnnCandidates c(b, f, x, /*cosine=*/false, UserSeeds(h, {}));
      const Gate gate{seen_only, h.items};
      std::vector<ScoredItem> top = Ranked(c, per_user, gate, {}, 0.0);
      for (size_t k = 0; k < top.size(); ++k) ids[u * per_user + k] = top[k].item;
    }
  });
  return std::make_unique<CandidateLists>(static_cast<uint32_t>(per_user), std::move(ids));
}

}  // namespace recmart::engine
