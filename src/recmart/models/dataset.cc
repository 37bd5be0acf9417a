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

EventKind EventKindFromName(std::string_view name) {
  if (name == "view" || name == "click" || name == "detail_view") return EventKind::kView;
  if (name == "add_to_cart" || name == "cart") return EventKind::kAddToCart;
  if (name == "purchase" || name == "order" || name == "transaction") return EventKind::kPurchase;
  if (name == "not_interested" || name == "dismiss" || name == "remove_from_cart")
    return EventKind::kNegative;
  return EventKind::kOther;
}

}  // namespace recmart::models
