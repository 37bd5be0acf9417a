#include "recmart/models/knn/knn.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace recmart::models {

void ItemKnnOptions::Visit(ParamReader& r) {
  r.Get("similarity", similarity, {"cosine", "jaccard", "lift"},
        "how co-occurrence becomes similarity (see knn.h for the formulas)");
  r.Get("neighbours", neighbours, 1, 100000, "most similar items kept per item");
  r.Get("shrinkage", shrinkage, 0.0, 1e9,
        "pairs seen together in k baskets keep k / (k + shrinkage) of their similarity");
  r.Get("min_cooccurrence", min_cooccurrence, 1, 1000000,
        "pairs seen together in fewer baskets get no similarity");
  r.Get("alpha", alpha, 0.0, 1.0, "cosine only: 0.5 symmetric, other values asymmetric");
  r.Get("half_life_days", half_life_days, 0.0, 36500.0,
        "co-occurrences fade with the pair's mean age (0 = no decay)");
  r.Get("source", source, {"all", "views", "purchases"},
        "interactions that fill the baskets: all, view events or purchase events");
  r.Get("cooccurrence", cooccurrence, {"user", "session"},
        "a basket is a user's history or a session/order");
  r.Get("max_basket_items", max_basket_items, 2, 1000000,
        "larger baskets keep their most recent items only");
  r.Get("basket_size_penalty", basket_size_penalty, 0.0, 2.0,
        "pairs from a basket of s items weigh s^-penalty (0 = all baskets alike)");
  r.Get("binarize", binarize, "score with 1 per history item instead of its confidence");
}

namespace {

constexpr double kDay = 86400.0;

// Items per progress/cancel step; each step is one ParallelFor.
constexpr size_t kItemsPerStep = 2048;
// Items per ParallelFor chunk (an item's cost varies with its popularity).
constexpr size_t kItemGrain = 16;

struct BasketEntry {
  uint32_t basket;
  ItemIndex item;
  int64_t ts;
};

// baskets x items; each entry's value is the item's weight w in the basket
// (knn.h: size and decay factors; 1 without either).
struct Baskets {
  CsrMatrix matrix;
  // Sum over baskets of their size weight (the count without a penalty).
  double mass = 0.0;
  // What a basket turned out to be, e.g. "users (the data has no sessions)".
  std::string description;
};

// The decay factor of w: 2^(-age / (2 half-life)), so that a pair decays by
// its mean age. Unknown times are not decayed.
double DecayFactor(double half_life_days, int64_t now, int64_t ts) {
  if (half_life_days <= 0.0 || ts == kUnknownTime) return 1.0;
  double age_days = std::max(0.0, static_cast<double>(now - ts) / kDay);
  return std::exp2(-age_days / (2.0 * half_life_days));
}

// Lays out entries sorted by (basket, item) with unique pairs as a CSR,
// keeping each over-full basket's most recent items.
Baskets Assemble(std::vector<BasketEntry> entries, uint32_t num_baskets, uint32_t num_items,
                 const Dataset& data, const ItemKnnOptions& o) {
  const size_t cap = static_cast<size_t>(o.max_basket_items);
  std::vector<int64_t> indptr(size_t{num_baskets} + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  indices.reserve(entries.size());
  values.reserve(entries.size());
  Baskets out;
  for (size_t begin = 0; begin < entries.size();) {
    size_t end = begin;
    while (end < entries.size() && entries[end].basket == entries[begin].basket) ++end;
    auto first = entries.begin() + static_cast<std::ptrdiff_t>(begin);
    auto last = entries.begin() + static_cast<std::ptrdiff_t>(end);
    if (end - begin > cap) {
      std::sort(first, last, [](const BasketEntry& a, const BasketEntry& b) {
        return a.ts != b.ts ? a.ts > b.ts : a.item < b.item;
      });
      last = first + static_cast<std::ptrdiff_t>(cap);
      std::sort(first, last,
                [](const BasketEntry& a, const BasketEntry& b) { return a.item < b.item; });
    }
    // Pairs of a basket of size s weigh s^-penalty: w carries its square root.
    const double size_weight =
        std::pow(static_cast<double>(last - first), -0.5 * o.basket_size_penalty);
    for (auto it = first; it != last; ++it) {
      indices.push_back(it->item);
      values.push_back(
          static_cast<float>(size_weight * DecayFactor(o.half_life_days, data.now, it->ts)));
    }
    indptr[size_t{entries[begin].basket} + 1] = last - first;
    out.mass += size_weight * size_weight;
    begin = end;
  }
  for (size_t b = 0; b < num_baskets; ++b) indptr[b + 1] += indptr[b];
  out.matrix.rows = num_baskets;
  out.matrix.cols = num_items;
  out.matrix.indptr = Array<int64_t>(std::move(indptr));
  out.matrix.indices = Array<uint32_t>(std::move(indices));
  out.matrix.values = Array<float>(std::move(values));
  return out;
}

StatusOr<Baskets> BuildBaskets(const Dataset& data, const ItemKnnOptions& o) {
  const uint32_t num_items = data.items.size();
  const bool session = o.cooccurrence == "session";
  const bool want_events = session || o.source != "all";
  std::string fallback;
  bool use_events = want_events;
  if (want_events && data.events.empty()) {
    use_events = false;
    fallback = " (the data has no events: all interactions)";
  }
  auto keep = [&](const Event& e) {
    if (o.source == "views") return e.kind == EventKind::kView;
    if (o.source == "purchases") return e.kind == EventKind::kPurchase;
    return e.kind != EventKind::kNegative;
  };
  bool by_session = false;
  if (use_events) {
    bool any = false, any_session = false;
    for (const Event& e : data.events) {
      if (!keep(e)) continue;
      any = true;
      any_session |= e.session != kNoSession;
    }
    if (!any) {
      return Status::InvalidArgument("item-knn: source '" + o.source + "' but the data has no " +
                                     (o.source == "views" ? "view" : "purchase") + " events");
    }
    by_session = session && any_session;
    if (session && !any_session) fallback = " (the events have no sessions)";
    // Users' baskets over all interactions are the matrix itself.
    if (!by_session && o.source == "all") use_events = false;
  }

  std::vector<BasketEntry> entries;
  uint32_t num_baskets = 0;
  if (!use_events) {
    const CsrMatrix& m = data.matrix;
    const bool has_ts = data.last_ts.size() == m.nnz();
    entries.reserve(m.nnz());
    for (uint32_t u = 0; u < m.rows; ++u) {
      for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
        int64_t ts = has_ts ? data.last_ts[static_cast<size_t>(k)] : kUnknownTime;
        entries.push_back({u, m.indices[k], ts});
      }
    }
    num_baskets = m.rows;
  } else {
    for (const Event& e : data.events) {
      if (!keep(e) || e.item >= num_items) continue;
      if (by_session && e.session == kNoSession) continue;
      uint32_t b = by_session ? e.session : e.user;
      entries.push_back({b, e.item, e.ts});
      num_baskets = std::max(num_baskets, b + 1);
    }
    std::sort(entries.begin(), entries.end(), [](const BasketEntry& a, const BasketEntry& b) {
      if (a.basket != b.basket) return a.basket < b.basket;
      if (a.item != b.item) return a.item < b.item;
      return a.ts > b.ts;
    });
    // Keep each (basket, item) once, with its latest time (sorted first).
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const BasketEntry& a, const BasketEntry& b) {
                                return a.basket == b.basket && a.item == b.item;
                              }),
                  entries.end());
  }
  Baskets out = Assemble(std::move(entries), num_baskets, num_items, data, o);
  out.description = (by_session ? "sessions" : "users") + fallback;
  return out;
}

// One item's similarity to the items it co-occurs with, given c, n_i, n_j.
class Similarity {
 public:
  Similarity(const ItemKnnOptions& o, double baskets)
      : o_(o),
        baskets_(baskets),
        cosine_(o.similarity == "cosine"),
        jaccard_(o.similarity == "jaccard") {}

  // c = x_i . x_j, k = baskets with both (raw count), n = |x|^2.
  double operator()(double c, uint32_t k, double ni, double nj) const {
    double s;
    if (cosine_) {
      s = c / (o_.alpha == 0.5 ? std::sqrt(ni * nj)
                               : std::pow(ni, o_.alpha) * std::pow(nj, 1.0 - o_.alpha));
    } else if (jaccard_) {
      s = c / (ni + nj - c);
    } else {
      s = c * baskets_ / (ni * nj);
    }
    return s * (k / (k + o_.shrinkage));
  }

 private:
  const ItemKnnOptions& o_;
  double baskets_;
  bool cosine_, jaccard_;
};

struct Neighbour {
  uint32_t item;
  float sim;
};

// Scratch of one ParallelFor chunk: dense accumulators over all items.
struct Accumulator {
  explicit Accumulator(uint32_t n) : dot(n, 0.0), count(n, 0) {}
  std::vector<double> dot;
  std::vector<uint32_t> count;
  std::vector<uint32_t> touched;
};

// The top-N neighbour list of item i (ascending item index).
std::vector<Neighbour> ItemNeighbours(ItemIndex i, const CsrMatrix& baskets,
                                      const CsrMatrix& by_item, std::span<const double> norms,
                                      const Similarity& sim, const ItemKnnOptions& o,
                                      Accumulator& acc) {
  for (int64_t k = by_item.indptr[i]; k < by_item.indptr[i + 1]; ++k) {
    const uint32_t b = by_item.indices[k];
    const double wi = by_item.values[k];
    for (int64_t kk = baskets.indptr[b]; kk < baskets.indptr[b + 1]; ++kk) {
      const uint32_t j = baskets.indices[kk];
      if (acc.count[j]++ == 0) acc.touched.push_back(j);
      acc.dot[j] += wi * baskets.values[kk];
    }
  }
  std::vector<Neighbour> out;
  for (uint32_t j : acc.touched) {
    if (j != i && acc.count[j] >= static_cast<uint32_t>(o.min_cooccurrence)) {
      double s = sim(acc.dot[j], acc.count[j], norms[i], norms[j]);
      if (s > 0.0 && std::isfinite(s)) out.push_back({j, static_cast<float>(s)});
    }
    acc.dot[j] = 0.0;
    acc.count[j] = 0;
  }
  acc.touched.clear();
  const size_t n = static_cast<size_t>(o.neighbours);
  if (out.size() > n) {
    auto better = [](const Neighbour& a, const Neighbour& b) {
      return a.sim != b.sim ? a.sim > b.sim : a.item < b.item;
    };
    std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), better);
    out.resize(n);
  }
  std::sort(out.begin(), out.end(),
            [](const Neighbour& a, const Neighbour& b) { return a.item < b.item; });
  return out;
}

class ItemKnnModel : public Model {
 public:
  ItemKnnModel(ItemKnnOptions o, nlohmann::json params)
      : o_(std::move(o)), params_(std::move(params)) {}

  std::string_view recipe() const override { return "item-knn"; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return neighbours_.rows; }

  Status Fit(const Dataset& data, const TrainContext& ctx) override {
    const uint32_t n = data.items.size();
    ctx.Report("baskets", 0.0);
    ASSIGN_OR_RETURN(Baskets baskets, BuildBaskets(data, o_));
    baskets_ = baskets.description;
    const CsrMatrix by_item = baskets.matrix.Transposed();
    std::vector<double> norms(n, 0.0);
    for (uint32_t i = 0; i < n; ++i) {
      for (float w : by_item.RowValues(i)) norms[i] += double{w} * w;
    }
    const Similarity sim(o_, baskets.mass);

    std::vector<std::vector<Neighbour>> rows(n);
    for (size_t step = 0; step < n; step += kItemsPerStep) {
      if (ctx.cancelled()) return Status::Cancelled("item-knn: training cancelled");
      ctx.Report("similarities", static_cast<double>(step) / n);
      const size_t len = std::min<size_t>(kItemsPerStep, n - step);
      ParallelFor(ctx.threads, len, kItemGrain, [&](size_t begin, size_t end) {
        Accumulator acc(n);
        for (size_t i = step + begin; i < step + end; ++i) {
          rows[i] = ItemNeighbours(static_cast<ItemIndex>(i), baskets.matrix, by_item, norms, sim,
                                   o_, acc);
        }
      });
    }
    ctx.Report("similarities", 1.0);

    std::vector<int64_t> indptr(size_t{n} + 1, 0);
    for (uint32_t i = 0; i < n; ++i)
      indptr[i + 1] = indptr[i] + static_cast<int64_t>(rows[i].size());
    std::vector<uint32_t> indices;
    std::vector<float> values;
    indices.reserve(static_cast<size_t>(indptr[n]));
    values.reserve(static_cast<size_t>(indptr[n]));
    for (auto& row : rows) {
      for (const Neighbour& nb : row) {
        indices.push_back(nb.item);
        values.push_back(nb.sim);
      }
      std::vector<Neighbour>().swap(row);
    }
    neighbours_.rows = n;
    neighbours_.cols = n;
    neighbours_.indptr = Array<int64_t>(std::move(indptr));
    neighbours_.indices = Array<uint32_t>(std::move(indices));
    neighbours_.values = Array<float>(std::move(values));
    return Status::OK();
  }

  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    std::fill(out.begin(), out.end(), 0.0f);
    for (size_t k = 0; k < q.items.size(); ++k) {
      const ItemIndex i = q.items[k];
      if (i >= neighbours_.rows) continue;
      const float w = o_.binarize || k >= q.weights.size() ? 1.0f : q.weights[k];
      auto idx = neighbours_.RowIndices(i);
      auto val = neighbours_.RowValues(i);
      for (size_t x = 0; x < idx.size(); ++x) out[idx[x]] += w * val[x];
    }
  }

  bool ScoreRelated(ItemIndex item, std::span<float> out) const override {
    if (item >= neighbours_.rows || neighbours_.RowSize(item) == 0) return false;
    std::fill(out.begin(), out.end(), 0.0f);
    auto idx = neighbours_.RowIndices(item);
    auto val = neighbours_.RowValues(item);
    for (size_t x = 0; x < idx.size(); ++x) out[idx[x]] = val[x];
    return true;
  }

  Status Save(ArrayWriter& out) const override {
    out.Add("neighbours", neighbours_);
    out.SetMeta("baskets", baskets_);
    return Status::OK();
  }

  Status Load(const ArrayReader& in) override {
    ASSIGN_OR_RETURN(neighbours_, in.Csr("neighbours"));
    if (neighbours_.rows != neighbours_.cols) {
      return Status::DataLoss("item-knn: the neighbour matrix is not square");
    }
    return Status::OK();
  }

 private:
  ItemKnnOptions o_;
  nlohmann::json params_;
  // items x items: row i holds i's neighbours (ascending) and similarities.
  CsrMatrix neighbours_;
  std::string baskets_;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> NewItemKnnModel(const nlohmann::json& params) {
  ItemKnnOptions o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, "item-knn", o, &effective));
  return std::unique_ptr<Model>(std::make_unique<ItemKnnModel>(std::move(o), effective));
}

}  // namespace recmart::models
