// The project file (TOML): what recmart ingests and how. LoadProject parses
// and validates it completely, so that every later stage can trust the
// structs below. Any error is one line naming the file, the line, the key and
// what was expected, e.g.
//   shop.toml:14: sources[1].format: expected one of csv, tsv, jsonl, parquet; got "xml"
// Unknown keys are errors too (a typo must not silently fall back to a default).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/ingest/reader.h"
#include "recmart/ingest/values.h"

namespace recmart::config {

enum class SourceKind { kEvents, kTransactions, kItems, kUsers };
std::string_view SourceKindName(SourceKind k);  // "events", ...

enum class SchemaChangePolicy { kLog, kUpdate, kFail };
std::string_view SchemaChangePolicyName(SchemaChangePolicy p);  // "log", "update", "fail"

// Canonical field names a source's columns may map to.
namespace field {
inline constexpr char kUserId[] = "USER_ID";
inline constexpr char kItemId[] = "ITEM_ID";
inline constexpr char kTimestamp[] = "TIMESTAMP";
inline constexpr char kEventType[] = "EVENT_TYPE";
inline constexpr char kEventValue[] = "EVENT_VALUE";
inline constexpr char kSessionId[] = "SESSION_ID";
inline constexpr char kOrderId[] = "ORDER_ID";
inline constexpr char kQuantity[] = "QUANTITY";
inline constexpr char kUnitPrice[] = "UNIT_PRICE";
}  // namespace field

// Item and user metadata fields (items/users sources, or carried on event rows
// via item_columns/user_columns).
inline constexpr std::string_view kItemFields[] = {
    "TITLE",       "DESCRIPTION", "CATEGORY_PATH", "CATEGORY_L1", "CATEGORY_L2",
    "CATEGORY_L3", "BRAND",       "PRICE",         "AVAILABLE",   "CREATION_TIMESTAMP"};
inline constexpr std::string_view kUserFields[] = {"SEGMENT", "COUNTRY", "CREATION_TIMESTAMP"};

// Explicit, documented rules for order lines (kind = transactions).
struct TransactionRules {
  // Order ids starting with this prefix are cancellations → quarantine
  // "cancelled_order". Empty = no such rule.
  std::string cancelled_order_prefix;
  // QUANTITY <= 0 → quarantine "non_positive_quantity".
  bool quarantine_non_positive_quantity = true;
  // UNIT_PRICE <= 0 → quarantine "non_positive_price".
  bool quarantine_non_positive_price = true;
  // Item ids that are not products (postage, fees) → quarantine "excluded_item".
  std::vector<std::string> exclude_items;
};

struct SourceConfig {
  std::string name;
  SourceKind kind = SourceKind::kEvents;
  std::string path;  // as written (file or glob), relative to the project dir
  ingest::ReaderOptions reader;
  SchemaChangePolicy on_schema_change = SchemaChangePolicy::kLog;
  // canonical field → source column
  std::map<std::string, std::string> columns;
  // Used when no EVENT_TYPE column is mapped (events); "purchase" for transactions.
  std::string event_type_constant;
  ingest::TimestampSpec timestamp;
  // normalised raw event-type name → canonical name
  std::map<std::string, std::string> event_types;
  bool quarantine_unknown_event_types = false;
  // metadata field → source column, carried on each row
  std::map<std::string, std::string> item_columns;
  std::map<std::string, std::string> user_columns;
  std::string category_separator = ".";
  TransactionRules rules;

  // Every source column this source reads, without duplicates, in a stable order.
  std::vector<std::string> SourceColumns() const;
};

struct EtlOptions {
  std::string memory_limit = "1GB";  // DuckDB buffer pool
  int threads = 0;                   // 0 = all cores
  std::string compression = "zstd";  // Parquet codec
  int session_gap_minutes = 30;      // sessionisation gap for events without a session id
};

struct MatrixOptions {
  double half_life_days = 0;  // 0 = no time decay
  // canonical event type → weight in the implicit-feedback score
  std::map<std::string, double> weights = {
      {"view", 1.0}, {"add_to_cart", 4.0}, {"purchase", 10.0}, {"remove_from_cart", -1.0}};
};

// [serve]: the HTTP API (`recmart serve`).
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;  // 0 = all cores
  // Accepted X-API-Key values: literal keys, or "env:NAME" (read from the
  // environment at start). Empty: no key needed anywhere.
  std::vector<std::string> api_keys;
  bool require_key_for_reads = false;  // writes and admin always need one
  int64_t max_body_bytes = 1 << 20;
  int64_t max_field_bytes = 4096;      // any single string in a request
  int64_t request_timeout_ms = 10000;  // a client must send its request within this
  // Live events are fsync'ed before POST /events answers (group commit).
  bool durable_events = true;
  // Session-aware blending: weight of the similarity to the user's most
  // recent live events, and how many of them count.
  double session_weight = 0.5;
  int session_events = 10;
  // How often the server checks the registry for a newly promoted version.
  double poll_seconds = 1.0;
  // Catalogs with at least this many items answer from an approximate
  // nearest-neighbour index over item factors (factor recipes only).
  int64_t ann_min_items = 50000;
};

// [[campaigns]]: an A/B test splitting users between model versions.
struct CampaignVariantConfig {
  std::string name;
  std::string model;  // a registry version ("v3")
  double weight = 1.0;
};
struct CampaignConfig {
  std::string name;
  bool active = true;  // at most one campaign is active
  std::vector<CampaignVariantConfig> variants;
};

struct Project {
  std::string file;  // the project file's path as given
  std::string dir;   // its directory; relative paths resolve against it
  std::string name;
  std::string lake_root;     // absolute or relative to cwd, resolved
  std::string catalog_path;  // resolved
  EtlOptions etl;
  MatrixOptions matrix;
  std::vector<SourceConfig> sources;
  ServeOptions serve;
  // [filters]: name → expression (filter grammar; parsed by recmart/filter).
  std::map<std::string, std::string> filters;
  std::vector<CampaignConfig> campaigns;

  const SourceConfig* FindSource(std::string_view name) const;
};

// Reads and validates a project file. NotFound if it does not exist;
// InvalidArgument (one line: file:line: key: expected …) on any error.
StatusOr<Project> LoadProject(const std::string& path);
// Same, from text; `file` names it in messages and `dir` resolves paths.
StatusOr<Project> ParseProject(std::string_view text, const std::string& file,
                               const std::string& dir);

// The commented example `recmart init` writes.
std::string_view ProjectTemplate();

}  // namespace recmart::config
