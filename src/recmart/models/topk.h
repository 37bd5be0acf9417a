// Top-k selection over a score vector, with exclusions. The hot loop of
// recommend, evaluate and batch-recommend.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "recmart/models/matrix.h"

namespace recmart::models {

struct ScoredItem {
  ItemIndex item;
  float score;
  bool operator==(const ScoredItem&) const = default;
};

struct TopKOptions {
  size_t k = 10;
  // Items never returned: ascending, unique (e.g. a user's seen items).
  std::span<const ItemIndex> exclude;
  // When non-empty (size == scores.size()): only items with allowed[i] != 0.
  std::span<const uint8_t> allowed;
};

// The k highest-scoring items, best first; ties go to the lower index so the
// answer is deterministic. NaN scores are never returned.
std::vector<ScoredItem> TopK(std::span<const float> scores, const TopKOptions& options);

}  // namespace recmart::models
