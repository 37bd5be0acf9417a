#include "recmart/lake/tables.h"

#include <array>

#include "recmart/lake/duckdb.h"

namespace recmart::lake {
namespace {

constexpr ColumnDef kInteractions[] = {
    {"USER_ID", "VARCHAR", "user id as in the source, trimmed"},
    {"ITEM_ID", "VARCHAR", "item id as in the source, trimmed"},
    {"TIMESTAMP", "BIGINT", "event time, epoch seconds UTC"},
    {"EVENT_TYPE", "VARCHAR", "canonical event type (view, add_to_cart, purchase, ...)"},
    {"EVENT_VALUE", "DOUBLE", "price or revenue of the event; NULL when unknown"},
    {"SESSION_ID", "VARCHAR", "source session (or order) id, else derived by inactivity gap"},
    {"SOURCE", "VARCHAR", "lineage: source name"},
    {"SOURCE_FILE", "VARCHAR", "lineage: input file"},
    {"SOURCE_ROW", "BIGINT", "lineage: line of the record in the file (1-based, header counted)"},
};
constexpr ColumnDef kItems[] = {
    {"ITEM_ID", "VARCHAR", "item id"},
    {"TITLE", "VARCHAR", ""},
    {"DESCRIPTION", "VARCHAR", ""},
    {"CATEGORY_L1", "VARCHAR", "top category"},
    {"CATEGORY_L2", "VARCHAR", ""},
    {"CATEGORY_L3", "VARCHAR", ""},
    {"BRAND", "VARCHAR", ""},
    {"PRICE", "DOUBLE", "latest known price"},
    {"AVAILABLE", "VARCHAR", "'yes' or 'no'; NULL when unknown"},
    {"CREATION_TIMESTAMP", "BIGINT", "epoch seconds; NULL when unknown"},
    {"UPDATED_AT", "BIGINT", "event time of the record the values come from"},
    {"SOURCE", "VARCHAR", "source of the latest values"},
};
// Append-only: every item record a run read that changed what the lake knew
// of the item. The item's state at time t is, field by field, the newest
// non-null value (by UPDATED_AT, then RUN_ID, then RECORD_SEQ) among the
// records with EFFECTIVE_TS <= t or NULL; the items table is that state now.
constexpr ColumnDef kItemHistory[] = {
    {"ITEM_ID", "VARCHAR", "item id"},
    {"TITLE", "VARCHAR", ""},
    {"DESCRIPTION", "VARCHAR", ""},
    {"CATEGORY_L1", "VARCHAR", ""},
    {"CATEGORY_L2", "VARCHAR", ""},
    {"CATEGORY_L3", "VARCHAR", ""},
    {"BRAND", "VARCHAR", ""},
    {"PRICE", "DOUBLE", "price the record states; NULL when it states none"},
    {"AVAILABLE", "VARCHAR", ""},
    {"CREATION_TIMESTAMP", "BIGINT", ""},
    {"UPDATED_AT", "BIGINT", "the record's own update time, when its source has one"},
    {"EFFECTIVE_TS", "BIGINT",
     "from when the record's values hold, epoch seconds: UPDATED_AT, else the newest event "
     "time in the lake when the run read it; NULL for an item's first record (its first known "
     "values are all there is for earlier times)"},
    {"SOURCE", "VARCHAR", ""},
    {"RUN_ID", "BIGINT", "the ETL run that read it"},
    {"RECORD_SEQ", "BIGINT", "order of the record within its run (file, line)"},
};
constexpr ColumnDef kUsers[] = {
    {"USER_ID", "VARCHAR", "user id"},
    {"SEGMENT", "VARCHAR", ""},
    {"COUNTRY", "VARCHAR", ""},
    {"CREATION_TIMESTAMP", "BIGINT", "epoch seconds; NULL when unknown"},
    {"FIRST_SEEN", "BIGINT", "first event time in the lake"},
    {"LAST_SEEN", "BIGINT", "last event time in the lake"},
    {"UPDATED_AT", "BIGINT", "time of the record the metadata comes from"},
    {"SOURCE", "VARCHAR", "source of the latest metadata"},
};
constexpr ColumnDef kQuarantine[] = {
    {"SOURCE", "VARCHAR", ""},
    {"SOURCE_FILE", "VARCHAR", ""},
    {"SOURCE_ROW", "BIGINT", "line of the record (1-based, header counted)"},
    {"REASON", "VARCHAR", "machine-readable reason, e.g. invalid_timestamp"},
    {"DETAIL", "VARCHAR", "human detail: the field and the offending value"},
    {"EVENT_DATE", "VARCHAR", "day of the row's timestamp when it parsed, else NULL"},
    {"RAW", "BLOB", "the raw record bytes (cut at 64 KiB)"},
    {"RUN_ID", "BIGINT", "the ETL run that read it"},
};
constexpr ColumnDef kUserItemDaily[] = {
    {"USER_ID", "VARCHAR", ""},
    {"ITEM_ID", "VARCHAR", ""},
    {"VIEWS", "BIGINT", ""},
    {"ADD_TO_CARTS", "BIGINT", ""},
    {"PURCHASES", "BIGINT", ""},
    {"EVENTS", "BIGINT", "all events of the pair that day, any type"},
    {"REVENUE", "DOUBLE", "sum of EVENT_VALUE of purchases"},
    {"SCORE_RAW", "DOUBLE", "sum of event weights, before time decay"},
    {"FIRST_TS", "BIGINT", ""},
    {"LAST_TS", "BIGINT", ""},
    {"RUN_ID", "BIGINT", "run that added these events; a pair-day may have one row per run"},
};
constexpr ColumnDef kMatrix[] = {
    {"USER_ID", "VARCHAR", ""},
    {"ITEM_ID", "VARCHAR", ""},
    {"VIEWS", "BIGINT", ""},
    {"ADD_TO_CARTS", "BIGINT", ""},
    {"PURCHASES", "BIGINT", ""},
    {"EVENTS", "BIGINT", "all events of the pair, any type"},
    {"REVENUE", "DOUBLE", "sum of EVENT_VALUE of purchases"},
    {"FIRST_TS", "BIGINT", "first event time"},
    {"LAST_TS", "BIGINT", "last event time"},
    {"SCORE", "DOUBLE", "implicit-feedback score: weighted events with time decay"},
};
constexpr ColumnDef kDailyItemStats[] = {
    {"ITEM_ID", "VARCHAR", ""},
    {"VIEWS", "BIGINT", ""},
    {"ADD_TO_CARTS", "BIGINT", ""},
    {"PURCHASES", "BIGINT", ""},
    {"EVENTS", "BIGINT", ""},
    {"REVENUE", "DOUBLE", ""},
    {"USERS", "BIGINT", "distinct users"},
};

constexpr std::array<TableDef, 8> kTables = {{
    {"interactions", "event_date", "DATE", kInteractions,
     "curated events, de-duplicated, with lineage"},
    {"items", "", "", kItems, "item catalog: latest metadata per item"},
    {"item_history", "", "", kItemHistory,
     "item records over time, for metadata as it was at a past time"},
    {"users", "", "", kUsers, "users: latest metadata and activity span per user"},
    {"quarantine", "ingest_date", "DATE", kQuarantine, "rejected rows with the reason"},
    {"user_item_daily", "event_date", "DATE", kUserItemDaily,
     "per day, user and item: event counts (the matrix, incrementally)"},
    {"interaction_matrix", "", "", kMatrix, "per user and item over all time, with the score"},
    {"daily_item_stats", "event_date", "DATE", kDailyItemStats, "per day and item"},
}};

}  // namespace

std::span<const TableDef> LakeTables() { return kTables; }

const TableDef* FindTable(std::string_view name) {
  for (const auto& t : kTables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string EmptySelect(const TableDef& table) {
  std::string out = "SELECT ";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ", ";
    out += "CAST(NULL AS " + std::string(table.columns[i].type) + ") AS " +
           std::string(table.columns[i].name);
  }
  if (!table.partition_column.empty()) {
    out += ", CAST(NULL AS " + std::string(table.partition_type) + ") AS " +
           std::string(table.partition_column);
  }
  return out + " WHERE false";
}

std::string SqlFileList(const std::vector<std::string>& paths) {
  std::string list;
  for (const auto& p : paths) {
    if (!list.empty()) list += ", ";
    list += SqlString(p);
  }
  return "[" + list + "]";
}

std::string FilesRelation(const TableDef& table, const std::vector<std::string>& paths) {
  if (paths.empty()) return "(" + EmptySelect(table) + ")";
  std::string rel = "read_parquet(" + SqlFileList(paths);
  if (!table.partition_column.empty()) {
    rel += ", hive_partitioning = true, hive_types = {'" + std::string(table.partition_column) +
           "': " + std::string(table.partition_type) + "}";
  }
  return rel + ")";
}

}  // namespace recmart::lake
