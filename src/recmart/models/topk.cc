#include "recmart/models/topk.h"

#include <algorithm>
#include <cmath>

namespace recmart::models {

namespace {
// Heap order: the "largest" element under this comparison is the worst kept
// item, so it sits at the front of a std heap.
bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score != b.score ? a.score > b.score : a.item < b.item;
}
}  // namespace

std::vector<ScoredItem> TopK(std::span<const float> scores, const TopKOptions& o) {
  std::vector<ScoredItem> heap;
  if (o.k == 0) return heap;
  heap.reserve(o.k + 1);
  const bool filtered = !o.allowed.empty();
  size_t ex = 0;  // next exclusion not yet passed
  const size_t n = scores.size();
  for (size_t i = 0; i < n; ++i) {
    const float s = scores[i];
    // Cheap rejection first: most items lose to the current k-th best.
    if (heap.size() == o.k && !(s > heap.front().score)) continue;
    if (std::isnan(s)) continue;
    if (filtered && !o.allowed[i]) continue;
    while (ex < o.exclude.size() && o.exclude[ex] < i) ++ex;
    if (ex < o.exclude.size() && o.exclude[ex] == i) continue;
    ScoredItem cand{static_cast<ItemIndex>(i), s};
    if (heap.size() < o.k) {
      heap.push_back(cand);
      std::push_heap(heap.begin(), heap.end(), Better);
    } else {
      std::pop_heap(heap.begin(), heap.end(), Better);
      heap.back() = cand;
      std::push_heap(heap.begin(), heap.end(), Better);
    }
  }
  std::sort(heap.begin(), heap.end(), Better);
  return heap;
}

}  // namespace recmart::models
