// The API's request bodies, text to typed requests: JSON bodies (and the
// query string of GET /recommendations) checked field by field. Pure
// functions, no server needed, so that they can be tested and fuzzed on
// their own (fuzz/fuzz_api.cc).
//
// Every error is InvalidArgument naming the field and what was expected
// ("eventList[2].itemId: required (a string)"); unknown fields are errors.
// `max_string` bounds any single string (serve.max_field_bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recmart/abtest/abtest.h"
#include "recmart/common/status.h"
#include "recmart/serve/live_store.h"
#include "recmart/serve/recommender.h"

namespace recmart::serve {

// POST /recommendations (`body`), or GET with the fields as query
// parameters (`query`, percent-encoded; filterValues as JSON text, exclude
// comma-separated).
StatusOr<RecommendRequest> ParseRecommendRequest(std::string_view method, std::string_view body,
                                                 std::string_view query, size_t max_string);
// POST /similar-items.
StatusOr<SimilarRequest> ParseSimilarRequest(std::string_view body, size_t max_string);
// POST /personalized-ranking.
StatusOr<RankRequest> ParseRankRequest(std::string_view body, size_t max_string);

// POST /events: one session's 1 to 10 events.
struct EventBatch {
  std::string session_id;  // non-empty
  std::string user_id;     // may be empty
  // Event type lower case; event_id as sent (may be empty); received_at_ms,
  // session_id and user_id left for the caller.
  std::vector<abtest::LoggedEvent> events;
};
StatusOr<EventBatch> ParseEventsRequest(std::string_view body, size_t max_string);

// PUT /items (`items`) or PUT /users: 1 to 100 records by id, fields from
// kItemFieldDefs or kUserFieldDefs (names case-insensitive).
StatusOr<std::vector<std::pair<std::string, Record>>> ParseRecordsRequest(std::string_view body,
                                                                          bool items,
                                                                          size_t max_string);

}  // namespace recmart::serve
