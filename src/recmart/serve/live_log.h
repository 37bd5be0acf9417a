// The live logs: what the API server accepted, one JSON line per record, in
// segment files under the project directory (serve/segment_log.h: sealed
// "*.jsonl" segments never change; "*.jsonl.open" is being appended):
//
//   live/events/events-*.jsonl   POST /events  (line format: abtest/abtest.h)
//   live/items/items-*.jsonl     PUT /items
//   live/users/users-*.jsonl     PUT /users
//
// Each is durable before the request is answered, replayed into the live
// store when a server starts (serve/live_state.h), and ingested into the
// lake by `recmart etl` when declared as a jsonl source of kind events,
// items or users (README: "The API"): each sealed segment exactly once.
//
// Item and user lines carry the id, the server's receive time (epoch ms) and
// the fields that were sent, by their canonical upper-case names (the
// columns a source maps one to one); fields not sent are absent:
//   {"itemId":"i9","receivedAt":1732000000456,"CATEGORY_L1":"shoes","PRICE":19.99}
//   {"userId":"u1","receivedAt":1732000000456,"SEGMENT":"b2b"}
// String values are JSON strings, numbers JSON numbers (shortest round-trip
// form; CREATION_TIMESTAMP is epoch seconds). Readers skip lines that are not
// complete JSON objects with the id (a torn last line of an open segment).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/serve/live_store.h"

namespace recmart::serve {

// Directories relative to the project directory (events: abtest::kEventsDir).
inline constexpr char kItemsDir[] = "live/items";
inline constexpr char kUsersDir[] = "live/users";

// Which records a log holds.
enum class LiveLogKind { kEvents, kItems, kUsers };
// "events", "items", "users": the directory's last part and the file prefix.
std::string_view LiveLogName(LiveLogKind kind);
// <project_dir>/live/<name>.
std::string LiveLogDir(const std::string& project_dir, LiveLogKind kind);

// The live store's key for a batch of events: the user id, or the session id
// when the batch has no user.
inline std::string_view LiveEventKey(std::string_view user_id, std::string_view session_id) {
  return user_id.empty() ? session_id : user_id;
}

// Appends one line for `record` (fields by kItemFieldDefs / kUserFieldDefs).
void AppendRecordLine(LiveLogKind kind, std::string_view id, const Record& record,
                      int64_t received_ms, std::string* out);
// One record line back; nullopt when `line` is not a complete record line of
// `kind` (unknown fields are ignored, values of the wrong type skipped).
std::optional<std::pair<std::string, Record>> ParseRecordLine(LiveLogKind kind,
                                                              std::string_view line);

// One event line as the live store keeps it; nullopt when it is not a
// complete event line.
struct LoggedLiveEvent {
  std::string key;  // LiveEventKey(userId, sessionId)
  LiveEvent event;
};
std::optional<LoggedLiveEvent> ParseLiveEventLine(std::string_view line);

// The segments of `dir` written with `prefix` (sealed and open), in the order
// they were written: by start time, then process and sequence number, as in
// their names. Other names sort first, by name. An absent directory has none.
StatusOr<std::vector<std::string>> ListSegments(const std::string& dir, std::string_view prefix);

}  // namespace recmart::serve
