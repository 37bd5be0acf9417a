// Answers from a ModelBundle: recommendations for a user, related items, and
// re-ranking of a given list. Shared by the CLI (recommend, similar, rank,
// batch-recommend) and the API server.
//
// Contracts every answer keeps:
//  - an unknown user, or a user without history, gets the popularity list
//    (never an error, never an empty list while any allowed item exists);
//  - a user's training items (and live additions) are never returned when
//    exclude_seen is set; `exclude` ids are never returned;
//  - pages (offset, num_results) of the same request never repeat an item;
//  - with exploration > 0, that share of the slots (rounded down) goes to
//    cold items (metadata, no interactions), newest first;
//  - a filter that rejects many items still yields num_results items when
//    enough qualify: candidates are searched ever deeper, down to every item.
//
// Large catalogs: when the bundle has an ANN index (ModelBundle::
// AttachAnnIndex), candidates come from it and are rescored exactly (float32
// dot products); otherwise from a full scan. When it also has candidate
// lists (ModelBundle::AttachCandidateLists), a user without live additions
// or session items is answered from their list when the list can fill the
// answer (see candidate_lists.h). Every path is deterministic, so the server
// and batch-recommend, which both call these functions on the same bundle,
// agree.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/engine/bundle.h"
#include "recmart/engine/candidate_lists.h"
#include "recmart/models/topk.h"

namespace recmart::engine {

struct RecommendOptions {
  size_t num_results = 25;
  size_t offset = 0;
  bool exclude_seen = true;
  // Item ids never to return (the cart, the current page). Unknown ids are ignored.
  std::vector<std::string> exclude;
  // When non-empty (size == number of items): only items with allowed[i] != 0
  // (the result of a filter).
  std::vector<uint8_t> allowed;
  // When set: only items it accepts (a bound filter). Called for candidates
  // only, from the calling thread.
  std::function<bool(models::ItemIndex)> allow;
  // Share of slots for cold items, in [0, 1].
  double exploration = 0.0;
  // Session-aware blending: the user's most recent live items (most recent
  // first). Each candidate's score gains
  //   session_weight * spread * max(0, max cosine to those items)
  // where spread = best - mean model score of the first candidate set, so the
  // weight is relative to how far the model's own scores stand apart.
  std::vector<std::string> session_items;
  double session_weight = 0.0;
};

// Interactions the bundle has not seen (live events), merged into the user's
// history before scoring.
struct ExtraInteraction {
  std::string item;
  float weight = 1.0f;
};

struct Recommendation {
  std::vector<models::ScoredItem> items;
  // Where the list came from: "model", "popularity" (no usable history) or
  // "content" (related items of a cold item, from metadata).
  std::string source;
};

Recommendation RecommendForUser(const ModelBundle& bundle, std::string_view user_id,
                                const RecommendOptions& options,
                                const std::vector<ExtraInteraction>& extra = {});

// Items related to `item_id`; `user_id` (optional, may be empty) only adds
// that user's seen items to the exclusions when exclude_seen is set.
// NotFound when the bundle does not know the item.
StatusOr<Recommendation> RelatedItems(const ModelBundle& bundle, std::string_view item_id,
                                      std::string_view user_id, const RecommendOptions& options);

struct RankedItem {
  std::string item;
  float score;
  bool known;  // false: the model never saw the item (ranked last, score 0)
};
// Every input item, best first; unknown items last in input order.
// InvalidArgument when the list has more than kMaxRankItems entries.
inline constexpr size_t kMaxRankItems = 500;
StatusOr<std::vector<RankedItem>> RankItems(const ModelBundle& bundle, std::string_view user_id,
                                            const std::vector<std::string>& input,
                                            const std::vector<ExtraInteraction>& extra = {});

// Each training user's best `o.per_user` unseen items by exact model score,
// from candidates of an ANN search deeper than a request's (what
// RecommendForUser answers with exclude_seen and no other gate, at
// num_results = per_user, give or take the ANN's misses). Deterministic:
// users are split into fixed chunks. FailedPrecondition when the bundle has
// no ANN index or no factors.
StatusOr<std::unique_ptr<CandidateLists>> BuildCandidateLists(const ModelBundle& bundle,
                                                              const CandidateListOptions& o);

}  // namespace recmart::engine
