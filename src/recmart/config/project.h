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

struct Project {
  std::string file;  // the project file's path as given
  std::string dir;   // its directory; relative paths resolve against it
  std::string name;
  std::string lake_root;     // absolute or relative to cwd, resolved
  std::string catalog_path;  // resolved
  EtlOptions etl;
  MatrixOptions matrix;
  std::vector<SourceConfig> sources;

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
