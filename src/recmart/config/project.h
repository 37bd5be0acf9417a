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

// Where a source's rows come from. Database sources are extracted into JSON
// lines files under the lake (etl/extract.h) and then read like file sources.
enum class SourceType { kFile, kPostgres, kSqlite };
std::string_view SourceTypeName(SourceType t);  // "file", "postgres", "sqlite"

// type = "postgres" | "sqlite": what to read and how to connect. Secrets never
// appear here: only the names of the environment variables holding them.
struct DatabaseSourceConfig {
  // PostgreSQL: a libpq conninfo string or URI without a password
  // ("host=db.internal port=5432 dbname=shop"); SQLite: the database file,
  // resolved against the project dir. Opened read-only.
  std::string connection;
  std::string user_env;      // environment variable holding the user name (optional)
  std::string password_env;  // environment variable holding the password (optional)
  std::string table;         // a table ("orders" or "sales.orders"), or
  std::string query;         // a SELECT whose column names are the source's columns
  // High-water mark: only rows with a larger value are read on the next run
  // (e.g. "updated_at" or "id"). Empty: the whole table each run (a snapshot,
  // kept only when it differs from the previous one).
  std::string incremental_column;
  int64_t batch_rows = 10000;  // rows fetched per round trip (server-side cursor)
};

struct SourceConfig {
  std::string name;
  SourceKind kind = SourceKind::kEvents;
  // File sources: as written (file or glob), relative to the project dir.
  // Database sources: the glob of their extract files (absolute, under the lake).
  std::string path;
  // The path may match no file yet (the API's live logs before their first
  // sealed segment): the source is skipped instead of failing the run.
  bool allow_empty = false;
  SourceType type = SourceType::kFile;
  DatabaseSourceConfig database;  // type != kFile only
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
  // Item id normalisation rules applied to ITEM_ID (matching/id_rules.h),
  // e.g. ["trim", "upper", "strip_prefix:SKU-", "strip_leading_zeros"].
  std::vector<std::string> item_id_rules;

  // Every source column this source reads, without duplicates, in a stable order.
  std::vector<std::string> SourceColumns() const;
};

struct EtlOptions {
  std::string memory_limit = "1GB";  // DuckDB buffer pool ("512MB", "2GB", "1.5GiB")
  int threads = 0;                   // 0 = all cores
  // Input read per batch of files; 0 = twice memory_limit. A run over more
  // input is staged batch by batch so that memory stays flat.
  int64_t batch_mb = 0;
  std::string compression = "zstd";  // Parquet codec
  int session_gap_minutes = 30;      // sessionisation gap for events without a session id
};

// "512MB", "2 GB", "1.5GiB", "100kb" → bytes (decimal units are powers of
// 1000, binary ones of 1024); nullopt for anything else.
std::optional<uint64_t> ParseByteSize(std::string_view text);

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
  // ... and its headers within this (from the connection's accept, or from
  // the request's first byte on a kept-alive connection).
  int64_t header_timeout_ms = 5000;
  int64_t idle_timeout_ms = 60000;  // a kept-alive connection may sit unused this long
  // Beyond this many open connections, new ones get a 503 and are closed
  // (lowered to fit the open-file limit).
  int64_t max_connections = 16384;
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
  // With the ANN index: each training user's best this many unseen items,
  // found once per model version and cached beside it, so that a request
  // for a user without live events skips the search (0: off). Costs
  // users x this x 4 bytes of memory.
  int64_t candidate_lists = 32;
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

// [workflow]: the pipeline from raw exports to a promoted model (`recmart
// pipeline run`, `recmart scheduler`). See workflow/workflow.h for what each
// job type does.
struct WorkflowJobConfig {
  std::string name;
  // crawl | clear_export | dataset | features | train | evaluate | promote |
  // notify | command
  std::string type;
  std::vector<std::string> after;  // jobs that must have succeeded first
  // dataset: the source kinds whose sources this job loads (events,
  // transactions, items, users).
  std::vector<std::string> kinds;
  std::string command;               // command: run by /bin/sh -c in the project directory
  int retries = 0;                   // further attempts after a failure
  double retry_backoff_seconds = 1;  // doubled after each failed attempt
  double timeout_seconds = 0;        // 0 = no limit; the job is killed past it
};
struct WorkflowNotifyConfig {
  std::string command;  // run by /bin/sh -c; the JSON summary on its standard input
  std::string url;      // http://host:port/path: the JSON summary is POSTed there
  std::vector<std::string> on = {"success", "failure", "refused"};
  double timeout_seconds = 10;
};
struct WorkflowTriggerConfig {
  std::vector<std::string> cron;  // 5-field cron expressions, UTC
  bool new_files = false;         // start a run when a source has unprocessed files
  std::string params_dir;         // a new *.json file here starts a run trained with it
  double poll_seconds = 5;        // how often the scheduler looks
};
struct WorkflowConfig {
  int parallel = 2;                  // jobs running at once
  std::string params;                // training params file (recipe + params); "" = recipe defaults
  std::string recipe = "als";        // used when `params` names none
  std::string split = "random:0.2";  // held-out split for the promotion gate
  std::string metric = "ndcg@10";    // the gate's metric (higher is better)
  double min_improvement = 0;        // candidate must reach live + this
  std::string export_dir = "export";  // what clear_export empties (project-relative)
  int64_t seed = 42;
  int retries = 0;                      // default for every job
  std::vector<WorkflowJobConfig> jobs;  // the default graph unless [[workflow.jobs]] is given
  WorkflowNotifyConfig notify;
  WorkflowTriggerConfig triggers;

  const WorkflowJobConfig* FindJob(std::string_view name) const;
};
// The default job graph: crawl → clear_export → interactions, items, users
// (in parallel) → features → train → evaluate → promote → notify.
std::vector<WorkflowJobConfig> DefaultWorkflowJobs();

// [matching]: sources that name products only by title (or by ids no other
// source shares) get the reference catalog's ITEM_ID by title similarity
// (matching/title_matcher.h). Empty title_sources: no title matching.
struct MatchingOptions {
  std::string reference_source;            // an items source with TITLE mapped
  std::vector<std::string> title_sources;  // sources whose ITEM_ID is mapped by TITLE
  double threshold = 0.75;                 // minimum similarity for a match (0..1)
  double margin = 0.05;                    // the best must beat the runner-up by this
};

// [features]: the feature store (features/features.h). Each group lists
// features from a fixed vocabulary; values are computed from events strictly
// before the as-of time.
enum class FeatureGroup { kUser, kItem, kUserItem };
std::string_view FeatureGroupName(FeatureGroup g);  // "user", "item", "user_item"
struct FeatureGroupConfig {
  bool enabled = false;               // the [features.<group>] table is present
  std::vector<std::string> features;  // from the group's vocabulary, in output order
  double ttl_hours = 48;              // online reads older than this answer "expired"
  // item popularity: distinct users over each window (days)
  std::vector<int64_t> windows_days = {7, 30};
  // item price band: ascending band edges
  std::vector<double> price_band_edges = {10, 50, 100};
  int64_t top_categories = 3;  // user favourite_categories: how many
};
struct FeaturesOptions {
  FeatureGroupConfig user, item, user_item;
  // Online store (LMDB directory); default <project dir>/features.lmdb. Resolved.
  std::string online_store;
  int64_t online_store_mb = 1024;  // LMDB map size
  const FeatureGroupConfig& group(FeatureGroup g) const {
    return g == FeatureGroup::kUser ? user : g == FeatureGroup::kItem ? item : user_item;
  }
};
// The vocabulary of each group.
std::vector<std::string_view> FeatureVocabulary(FeatureGroup g);

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
  WorkflowConfig workflow;
  MatchingOptions matching;
  FeaturesOptions features;

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
