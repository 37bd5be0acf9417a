#include "recmart/models/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace recmart::models {

void ItemAttributes::Resize(size_t n) {
  title.resize(n);
  category_l1.resize(n);
  category_l2.resize(n);
  category_l3.resize(n);
  brand.resize(n);
  price.resize(n, std::nan(""));
  available.resize(n, -1);
  created.resize(n, kUnknownTime);
}

bool ItemAttributes::HasMetadata(ItemIndex i) const {
  if (i >= size()) return false;
  return !title[i].empty() || !category_l1[i].empty() || !category_l2[i].empty() ||
         !category_l3[i].empty() || !brand[i].empty() || !std::isnan(price[i]) ||
         available[i] >= 0 || created[i] != kUnknownTime;
}

void DatasetBuilder::AddPair(const std::string& user, const std::string& item, float score,
                             int64_t first_ts, int64_t last_ts, uint8_t kinds) {
  pairs_.push_back({data_.users.Add(user), data_.items.Add(item), score, kinds, first_ts, last_ts});
}

void DatasetBuilder::ReserveGroupedPairs(size_t n) {
  grouped_.indices.reserve(n);
  grouped_.values.reserve(n);
  grouped_.first.reserve(n);
  grouped_.last.reserve(n);
  grouped_.kinds.reserve(n);
}

void DatasetBuilder::AddGroupedPair(const std::string& user, const std::string& item, float score,
                                    int64_t first_ts, int64_t last_ts, uint8_t kinds) {
  const uint32_t u = data_.users.Add(user);
  const uint32_t i = data_.items.Add(item);
  Grouped& g = grouped_;
  if (u != g.row) {
    if (!pairs_.empty() || (g.row != UINT32_MAX && u < g.row)) {
      // Not grouped after all (or mixed with AddPair): the general path.
      UngroupPairs();
      pairs_.push_back({u, i, score, kinds, first_ts, last_ts});
      return;
    }
    if (g.row != UINT32_MAX) CloseGroupedRow();
    // Rows up to u start here (users in between have no pairs).
    while (g.indptr.size() <= u) g.indptr.push_back(static_cast<int64_t>(g.indices.size()));
    g.row = u;
  }
  g.indices.push_back(i);
  g.values.push_back(score);
  g.first.push_back(first_ts);
  g.last.push_back(last_ts);
  g.kinds.push_back(kinds);
}

void DatasetBuilder::CloseGroupedRow() {
  Grouped& g = grouped_;
  const size_t begin = static_cast<size_t>(g.indptr[g.row]), end = g.indices.size();
  if (end - begin < 2) return;
  std::vector<size_t> order(end - begin);
  std::iota(order.begin(), order.end(), begin);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return g.indices[a] != g.indices[b] ? g.indices[a] < g.indices[b] : a < b;
  });
  // Rebuild the row in item order, summing repeats like AddPair does.
  std::vector<uint32_t> indices;
  std::vector<float> values;
  std::vector<int64_t> first, last;
  std::vector<uint8_t> kinds;
  for (size_t k : order) {
    if (!indices.empty() && indices.back() == g.indices[k]) {
      values.back() += g.values[k];
      first.back() = std::min(first.back(), g.first[k]);
      last.back() = std::max(last.back(), g.last[k]);
      kinds.back() |= g.kinds[k];
      continue;
    }
    indices.push_back(g.indices[k]);
    values.push_back(g.values[k]);
    first.push_back(g.first[k]);
    last.push_back(g.last[k]);
    kinds.push_back(g.kinds[k]);
  }
  const size_t n = indices.size();
  std::copy(indices.begin(), indices.end(), g.indices.begin() + begin);
  std::copy(values.begin(), values.end(), g.values.begin() + begin);
  std::copy(first.begin(), first.end(), g.first.begin() + begin);
  std::copy(last.begin(), last.end(), g.last.begin() + begin);
  std::copy(kinds.begin(), kinds.end(), g.kinds.begin() + begin);
  g.indices.resize(begin + n);
  g.values.resize(begin + n);
  g.first.resize(begin + n);
  g.last.resize(begin + n);
  g.kinds.resize(begin + n);
}

void DatasetBuilder::UngroupPairs() {
  Grouped& g = grouped_;
  if (g.row == UINT32_MAX) return;
  g.indptr.push_back(static_cast<int64_t>(g.indices.size()));
  for (uint32_t u = 0; u + 1 < g.indptr.size(); ++u) {
    for (auto k = static_cast<size_t>(g.indptr[u]); k < static_cast<size_t>(g.indptr[u + 1]); ++k)
      pairs_.push_back({u, g.indices[k], g.values[k], g.kinds[k], g.first[k], g.last[k]});
  }
  g = Grouped{};
}

void DatasetBuilder::AddEvent(const std::string& user, const std::string& item, int64_t ts,
                              EventKind kind, const std::string& session) {
  uint32_t s = session.empty() ? kNoSession : sessions_.Add(session);
  data_.events.push_back({data_.users.Add(user), data_.items.Add(item), ts, s, kind});
}

ItemIndex DatasetBuilder::AddItem(const std::string& item) { return data_.items.Add(item); }

Dataset DatasetBuilder::Build() && {
  Dataset d = std::move(data_);
  const uint32_t nu = d.users.size();
  const uint32_t ni = d.items.size();
  d.attributes.Resize(ni);

  if (!pairs_.empty()) UngroupPairs();
  if (grouped_.row != UINT32_MAX) {
    // Grouped input: the arrays are the matrix already.
    Grouped& g = grouped_;
    CloseGroupedRow();
    while (g.indptr.size() <= nu) g.indptr.push_back(static_cast<int64_t>(g.indices.size()));
    d.matrix.rows = nu;
    d.matrix.cols = ni;
    d.matrix.indptr = Array<int64_t>(std::move(g.indptr));
    d.matrix.indices = Array<uint32_t>(std::move(g.indices));
    d.matrix.values = Array<float>(std::move(g.values));
    d.first_ts = std::move(g.first);
    d.last_ts = std::move(g.last);
    if (std::any_of(g.kinds.begin(), g.kinds.end(), [](uint8_t k) { return k != 0; }))
      d.kinds = std::move(g.kinds);
    g = Grouped{};
  } else {
    BuildFromPairs(d);
  }

  std::sort(d.events.begin(), d.events.end(), [](const Event& a, const Event& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.item < b.item;
  });
  int64_t now = 0;
  for (int64_t t : d.last_ts) now = std::max(now, t);
  for (const Event& e : d.events) now = std::max(now, e.ts);
  d.now = now;
  return d;
}

void DatasetBuilder::BuildFromPairs(Dataset& d) {
  const uint32_t nu = d.users.size();
  const uint32_t ni = d.items.size();
  // Merge duplicate pairs, then lay them out in CSR order.
  std::sort(pairs_.begin(), pairs_.end(), [](const Pair& a, const Pair& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  });
  bool any_kinds = false;
  for (const Pair& p : pairs_) any_kinds |= p.kinds != 0;
  std::vector<Triplet> triplets;
  triplets.reserve(pairs_.size());
  d.first_ts.reserve(pairs_.size());
  d.last_ts.reserve(pairs_.size());
  if (any_kinds) d.kinds.reserve(pairs_.size());
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const Pair& p = pairs_[i];
    if (!triplets.empty() && triplets.back().row == p.user && triplets.back().col == p.item) {
      triplets.back().value += p.score;
      d.first_ts.back() = std::min(d.first_ts.back(), p.first);
      d.last_ts.back() = std::max(d.last_ts.back(), p.last);
      if (any_kinds) d.kinds.back() |= p.kinds;
      continue;
    }
    triplets.push_back({p.user, p.item, p.score});
    d.first_ts.push_back(p.first);
    d.last_ts.push_back(p.last);
    if (any_kinds) d.kinds.push_back(p.kinds);
  }
  std::vector<Pair>().swap(pairs_);  // free them before the matrix copies the triplets
  // Already sorted and unique, so FromTriplets keeps this order.
  d.matrix = CsrMatrix::FromTriplets(nu, ni, std::move(triplets));
}

EventKind EventKindFromName(std::string_view name) {
  if (name == "view" || name == "click" || name == "detail_view") return EventKind::kView;
  if (name == "add_to_cart" || name == "cart") return EventKind::kAddToCart;
  if (name == "purchase" || name == "order" || name == "transaction") return EventKind::kPurchase;
  if (name == "not_interested" || name == "dismiss" || name == "remove_from_cart")
    return EventKind::kNegative;
  return EventKind::kOther;
}

}  // namespace recmart::models
