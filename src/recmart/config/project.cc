#include "recmart/config/project.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "recmart/common/fs.h"
#include "recmart/config/project_template.h"
#include "recmart/matching/id_rules.h"

namespace recmart::config {
namespace {

// A value quoted for an error message, control characters escaped so that
// the message stays one line.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string JoinQuoted(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

// Reads one TOML table, remembering which keys were used so that unknown keys
// (typos) can be reported. Every error names file:line: key.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string path, const std::string& file)
      : t_(t), path_(std::move(path)), file_(file) {}

  const toml::node* Get(std::string_view key) {
    used_.insert(std::string(key));
    return t_.get(key);
  }

  std::string Key(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Status Error(const toml::node* n, std::string_view key, std::string_view expected) const {
    std::string where = file_;
    const toml::node* at = n ? n : &t_;
    if (at->source().begin.line > 0) where += ":" + std::to_string(at->source().begin.line);
    return Status::InvalidArgument(where + ": " + Key(key) + ": " + std::string(expected));
  }

  Status String(std::string_view key, std::string* out, bool required = false) {
    const toml::node* n = Get(key);
    if (!n)
      return required ? Error(nullptr, key, "required key is missing (expected a string)")
                      : Status::OK();
    if (!n->is_string()) return Error(n, key, "expected a string");
    *out = n->as_string()->get();
    if (required && out->empty()) return Error(n, key, "expected a non-empty string");
    return Status::OK();
  }

  Status Int(std::string_view key, int64_t lo, int64_t hi, int64_t* out) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    if (!n->is_integer()) return Error(n, key, "expected an integer");
    int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) {
      return Error(n, key,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                       "; got " + std::to_string(v));
    }
    *out = v;
    return Status::OK();
  }

  Status Double(std::string_view key, double lo, double hi, double* out) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    double v;
    if (n->is_integer())
      v = static_cast<double>(n->as_integer()->get());
    else if (n->is_floating_point())
      v = n->as_floating_point()->get();
    else
      return Error(n, key, "expected a number");
    if (!(v >= lo && v <= hi)) {
      std::ostringstream os;
      os << "expected a number from " << lo << " to " << hi << "; got " << v;
      return Error(n, key, os.str());
    }
    *out = v;
    return Status::OK();
  }

  Status Bool(std::string_view key, bool* out) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    if (!n->is_boolean()) return Error(n, key, "expected true or false");
    *out = n->as_boolean()->get();
    return Status::OK();
  }

  // A string that must be one of `choices`; returns its index.
  Status Choice(std::string_view key, const std::vector<std::string>& choices, int* index) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    if (n->is_string()) {
      const std::string& v = n->as_string()->get();
      for (size_t i = 0; i < choices.size(); ++i) {
        if (choices[i] == v) {
          *index = static_cast<int>(i);
          return Status::OK();
        }
      }
      return Error(n, key, "expected one of " + JoinQuoted(choices) + "; got " + Quote(v));
    }
    return Error(n, key, "expected one of " + JoinQuoted(choices));
  }

  // A table of string → string.
  Status StringMap(std::string_view key, std::map<std::string, std::string>* out) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    if (!n->is_table()) return Error(n, key, "expected a table of name = \"value\" pairs");
    for (const auto& [k, v] : *n->as_table()) {
      if (!v.is_string()) {
        return TableReader(*n->as_table(), Key(key), file_).Error(&v, k.str(), "expected a string");
      }
      (*out)[std::string(k.str())] = v.as_string()->get();
    }
    return Status::OK();
  }

  Status StringList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* n = Get(key);
    if (!n) return Status::OK();
    if (!n->is_array()) return Error(n, key, "expected an array of strings");
    for (const auto& v : *n->as_array()) {
      if (!v.is_string()) return Error(&v, key, "expected an array of strings");
      out->push_back(v.as_string()->get());
    }
    return Status::OK();
  }

  // Reports the first key that was never asked for.
  Status CheckNoUnknownKeys() const {
    for (const auto& [k, v] : t_) {
      if (!used_.count(std::string(k.str()))) {
        std::vector<std::string> known(used_.begin(), used_.end());
        return Error(&v, k.str(), "unknown key (expected one of " + JoinQuoted(known) + ")");
      }
    }
    return Status::OK();
  }

  const toml::table& table() const { return t_; }

 private:
  const toml::table& t_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> used_;
};

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool Contains(const auto& range, std::string_view v) {
  return std::find(std::begin(range), std::end(range), v) != std::end(range);
}

bool IsEnvName(std::string_view s) {
  return !s.empty() && !(s[0] >= '0' && s[0] <= '9') && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// type = "postgres" | "sqlite". The rows are extracted as JSON lines (etl/extract),
// so the reader options are fixed; `path` is filled in by ParseProject.
Status ParseDatabaseSource(TableReader& r, SourceConfig* src) {
  const std::string type(SourceTypeName(src->type));
  for (const char* key : {"path", "format", "compression", "csv"}) {
    if (const toml::node* n = r.Get(key)) {
      return r.Error(n, key,
                     "not used with type = \"" + type +
                         "\" (rows are read from the database; set connection and table or query)");
    }
  }
  DatabaseSourceConfig& db = src->database;
  RETURN_IF_ERROR(r.String("connection", &db.connection, /*required=*/true));
  if (src->type == SourceType::kPostgres) {
    std::string lower = db.connection;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    const bool uri = lower.starts_with("postgres://") || lower.starts_with("postgresql://");
    const size_t at = lower.find('@');
    // conninfo keyword (password = ...) or URI parameter (?password=...).
    static const std::regex kPasswordKey(R"((^|\s)password\s*=|[?&]password=)");
    if (std::regex_search(lower, kPasswordKey) ||
        (uri && at != std::string::npos &&
         lower.substr(0, at).find(':', lower.find("://") + 3) != std::string::npos)) {
      // Never quote the value: it holds a secret.
      return r.Error(r.Get("connection"), "connection",
                     "must not contain a password; name the environment variable holding it in "
                     "password_env");
    }
  }
  RETURN_IF_ERROR(r.String("user_env", &db.user_env));
  RETURN_IF_ERROR(r.String("password_env", &db.password_env));
  for (const char* key : {"user_env", "password_env"}) {
    const std::string& v = std::string_view(key) == "user_env" ? db.user_env : db.password_env;
    if (r.Get(key) && !IsEnvName(v)) {
      return r.Error(r.Get(key), key,
                     "expected the name of an environment variable (letters, digits, '_')");
    }
  }
  if (src->type == SourceType::kSqlite && (!db.user_env.empty() || !db.password_env.empty())) {
    return r.Error(r.Get(db.user_env.empty() ? "password_env" : "user_env"),
                   db.user_env.empty() ? "password_env" : "user_env",
                   "SQLite databases have no credentials");
  }
  RETURN_IF_ERROR(r.String("table", &db.table));
  RETURN_IF_ERROR(r.String("query", &db.query));
  if (db.table.empty() == db.query.empty()) {
    return r.Error(r.Get("query") ? r.Get("query") : r.Get("table"),
                   db.table.empty() ? "table" : "query", "expected exactly one of table or query");
  }
  RETURN_IF_ERROR(r.String("incremental_column", &db.incremental_column));
  if (r.Get("incremental_column") && db.incremental_column.empty()) {
    return r.Error(r.Get("incremental_column"), "incremental_column", "expected a column name");
  }
  RETURN_IF_ERROR(r.Int("batch_rows", 1, 10000000, &db.batch_rows));
  src->reader.format = ingest::Format::kJsonl;
  src->reader.compression = ingest::Compression::kNone;
  return Status::OK();
}

Status ParseSource(const toml::table& t, size_t index, const std::string& file, SourceConfig* src) {
  TableReader r(t, "sources[" + std::to_string(index) + "]", file);
  RETURN_IF_ERROR(r.String("name", &src->name, /*required=*/true));
  if (!ValidName(src->name)) {
    return r.Error(r.Get("name"), "name",
                   "expected letters, digits, '_' or '-' (at most 64); got " + Quote(src->name));
  }
  int kind = -1;
  if (!r.Get("kind"))
    return r.Error(nullptr, "kind",
                   "required key is missing (expected one of events, transactions, items, users)");
  RETURN_IF_ERROR(r.Choice("kind", {"events", "transactions", "items", "users"}, &kind));
  src->kind = static_cast<SourceKind>(kind);
  int type = 0;
  RETURN_IF_ERROR(r.Choice("type", {"file", "postgres", "sqlite"}, &type));
  src->type = static_cast<SourceType>(type);
  if (src->type == SourceType::kFile) {
    RETURN_IF_ERROR(r.String("path", &src->path, /*required=*/true));
    RETURN_IF_ERROR(r.Bool("allow_empty", &src->allow_empty));
    int format = -1;
    if (!r.Get("format"))
      return r.Error(nullptr, "format",
                     "required key is missing (expected one of csv, tsv, jsonl, parquet)");
    RETURN_IF_ERROR(r.Choice("format", {"csv", "tsv", "jsonl", "parquet"}, &format));
    src->reader.format = static_cast<ingest::Format>(format);
    int compression = 0;
    RETURN_IF_ERROR(r.Choice("compression", {"auto", "none", "gzip", "zstd"}, &compression));
    src->reader.compression = static_cast<ingest::Compression>(compression);
  } else {
    RETURN_IF_ERROR(ParseDatabaseSource(r, src));
  }
  int policy = 0;
  RETURN_IF_ERROR(r.Choice("on_schema_change", {"log", "update", "fail"}, &policy));
  src->on_schema_change = static_cast<SchemaChangePolicy>(policy);
  RETURN_IF_ERROR(r.String("event_type_constant", &src->event_type_constant));
  RETURN_IF_ERROR(r.String("category_separator", &src->category_separator));
  int unknown = 0;
  RETURN_IF_ERROR(r.Choice("unknown_event_types", {"keep", "quarantine"}, &unknown));
  src->quarantine_unknown_event_types = unknown == 1;

  // columns
  RETURN_IF_ERROR(r.StringMap("columns", &src->columns));
  const toml::node* columns_node = r.Get("columns");
  auto col_error = [&](std::string_view key, std::string_view expected) {
    TableReader cr(columns_node && columns_node->is_table() ? *columns_node->as_table() : t,
                   r.Key("columns"), file);
    const toml::node* n =
        columns_node && columns_node->is_table() ? columns_node->as_table()->get(key) : nullptr;
    return cr.Error(n, key, expected);
  };
  static const std::vector<std::string> kEventCols = {"USER_ID",    "ITEM_ID",     "TIMESTAMP",
                                                      "EVENT_TYPE", "EVENT_VALUE", "SESSION_ID"};
  static const std::vector<std::string> kTxCols = {"USER_ID",    "ITEM_ID",   "TIMESTAMP",
                                                   "ORDER_ID",   "QUANTITY",  "UNIT_PRICE",
                                                   "EVENT_TYPE", "SESSION_ID"};
  std::vector<std::string> allowed;
  std::vector<std::string> required;
  switch (src->kind) {
    case SourceKind::kEvents:
      allowed = kEventCols;
      required = {"USER_ID", "ITEM_ID", "TIMESTAMP"};
      break;
    case SourceKind::kTransactions:
      allowed = kTxCols;
      required = {"USER_ID", "ITEM_ID", "TIMESTAMP", "QUANTITY", "UNIT_PRICE"};
      break;
    case SourceKind::kItems:
      allowed = {"ITEM_ID", "UPDATED_AT"};
      for (auto f : kItemFields) allowed.emplace_back(f);
      required = {"ITEM_ID"};
      break;
    case SourceKind::kUsers:
      allowed = {"USER_ID", "UPDATED_AT"};
      for (auto f : kUserFields) allowed.emplace_back(f);
      required = {"USER_ID"};
      break;
  }
  for (const auto& [k, v] : src->columns) {
    if (!Contains(allowed, k)) {
      return col_error(k, "unknown canonical field for a " +
                              std::string(SourceKindName(src->kind)) + " source (expected one of " +
                              JoinQuoted(allowed) + ")");
    }
    if (v.empty()) return col_error(k, "expected a source column name");
  }
  for (const auto& f : required) {
    if (!src->columns.count(f)) {
      return col_error(f, "required mapping is missing (map it to a source column)");
    }
  }
  if (src->kind == SourceKind::kEvents && !src->columns.count("EVENT_TYPE") &&
      src->event_type_constant.empty()) {
    return col_error("EVENT_TYPE",
                     "required mapping is missing (map it, or set event_type_constant)");
  }
  if (src->kind == SourceKind::kTransactions && src->event_type_constant.empty()) {
    src->event_type_constant = "purchase";
  }

  // timestamp
  if (const toml::node* ts = r.Get("timestamp")) {
    if (!ts->is_table()) return r.Error(ts, "timestamp", "expected a table");
    TableReader tr(*ts->as_table(), r.Key("timestamp"), file);
    std::string fmt = "auto";
    RETURN_IF_ERROR(tr.String("format", &fmt));
    StatusOr<ingest::TimestampFormat> parsed = ingest::ParseTimestampFormatName(fmt);
    if (!parsed.ok()) return tr.Error(tr.Get("format"), "format", parsed.status().message());
    src->timestamp.format = *parsed;
    if (src->timestamp.format == ingest::TimestampFormat::kPattern) src->timestamp.pattern = fmt;
    int64_t off = 0;
    RETURN_IF_ERROR(tr.Int("utc_offset_minutes", -14 * 60, 14 * 60, &off));
    src->timestamp.utc_offset_minutes = static_cast<int>(off);
    std::string min_date, max_date;
    int64_t v = src->timestamp.min_epoch;
    RETURN_IF_ERROR(tr.Int("min_epoch", INT64_MIN / 2, INT64_MAX / 2, &v));
    src->timestamp.min_epoch = v;
    v = src->timestamp.max_epoch;
    RETURN_IF_ERROR(tr.Int("max_epoch", INT64_MIN / 2, INT64_MAX / 2, &v));
    src->timestamp.max_epoch = v;
    RETURN_IF_ERROR(tr.CheckNoUnknownKeys());
  }

  // event types
  std::map<std::string, std::string> et;
  RETURN_IF_ERROR(r.StringMap("event_types", &et));
  for (const auto& [raw, canonical] : et) {
    std::string c = ingest::NormalizeEventType(canonical);
    if (c.empty())
      return r.Error(r.Get("event_types"), "event_types." + raw, "expected a non-empty event type");
    src->event_types[ingest::NormalizeEventType(raw)] = c;
  }

  // metadata carried on rows
  RETURN_IF_ERROR(r.StringMap("item_columns", &src->item_columns));
  RETURN_IF_ERROR(r.StringMap("user_columns", &src->user_columns));
  for (const auto& [k, v] : src->item_columns) {
    if (!Contains(kItemFields, k)) {
      return r.Error(
          r.Get("item_columns"), "item_columns." + k,
          "unknown item field (expected one of TITLE, DESCRIPTION, CATEGORY_PATH, CATEGORY_L1, "
          "CATEGORY_L2, CATEGORY_L3, BRAND, PRICE, AVAILABLE, CREATION_TIMESTAMP)");
    }
  }
  for (const auto& [k, v] : src->user_columns) {
    if (!Contains(kUserFields, k)) {
      return r.Error(r.Get("user_columns"), "user_columns." + k,
                     "unknown user field (expected one of SEGMENT, COUNTRY, CREATION_TIMESTAMP)");
    }
  }
  if ((src->kind == SourceKind::kItems || src->kind == SourceKind::kUsers) &&
      (!src->item_columns.empty() || !src->user_columns.empty())) {
    return r.Error(r.Get(src->item_columns.empty() ? "user_columns" : "item_columns"),
                   src->item_columns.empty() ? "user_columns" : "item_columns",
                   "only events and transactions sources carry metadata columns; map the "
                   "fields in [columns] instead");
  }

  // item id normalisation
  RETURN_IF_ERROR(r.StringList("item_id_rules", &src->item_id_rules));
  if (StatusOr<std::vector<matching::IdRule>> rules = matching::ParseIdRules(src->item_id_rules);
      !rules.ok()) {
    return r.Error(r.Get("item_id_rules"), "item_id_rules", rules.status().message());
  }

  // transaction rules
  if (const toml::node* rules = r.Get("rules")) {
    if (!rules->is_table()) return r.Error(rules, "rules", "expected a table");
    if (src->kind != SourceKind::kTransactions) {
      return r.Error(rules, "rules", "rules apply to kind = \"transactions\" sources only");
    }
    TableReader rr(*rules->as_table(), r.Key("rules"), file);
    RETURN_IF_ERROR(rr.String("cancelled_order_prefix", &src->rules.cancelled_order_prefix));
    int q = 0;
    RETURN_IF_ERROR(rr.Choice("non_positive_quantity", {"quarantine", "keep"}, &q));
    src->rules.quarantine_non_positive_quantity = q == 0;
    q = 0;
    RETURN_IF_ERROR(rr.Choice("non_positive_price", {"quarantine", "keep"}, &q));
    src->rules.quarantine_non_positive_price = q == 0;
    RETURN_IF_ERROR(rr.StringList("exclude_items", &src->rules.exclude_items));
    RETURN_IF_ERROR(rr.CheckNoUnknownKeys());
  }

  // csv options
  if (const toml::node* csv = r.Get("csv")) {
    if (!csv->is_table()) return r.Error(csv, "csv", "expected a table");
    TableReader cr(*csv->as_table(), r.Key("csv"), file);
    std::string delim, quote;
    RETURN_IF_ERROR(cr.String("delimiter", &delim));
    if (cr.Get("delimiter") && delim.size() != 1) {
      return cr.Error(cr.Get("delimiter"), "delimiter", "expected exactly one character");
    }
    if (!delim.empty()) src->reader.delimiter = delim[0];
    RETURN_IF_ERROR(cr.String("quote", &quote));
    if (cr.Get("quote") && quote.size() != 1) {
      return cr.Error(cr.Get("quote"), "quote", "expected exactly one character");
    }
    if (!quote.empty()) src->reader.quote = quote[0];
    RETURN_IF_ERROR(cr.Bool("header", &src->reader.header));
    int64_t max_field = static_cast<int64_t>(src->reader.max_field_bytes);
    RETURN_IF_ERROR(cr.Int("max_field_bytes", 16, 64 << 20, &max_field));
    src->reader.max_field_bytes = static_cast<size_t>(max_field);
    RETURN_IF_ERROR(cr.CheckNoUnknownKeys());
  }
  return r.CheckNoUnknownKeys();
}

}  // namespace

std::string_view SourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::kEvents:
      return "events";
    case SourceKind::kTransactions:
      return "transactions";
    case SourceKind::kItems:
      return "items";
    case SourceKind::kUsers:
      return "users";
  }
  return "?";
}

std::string_view SourceTypeName(SourceType t) {
  switch (t) {
    case SourceType::kFile:
      return "file";
    case SourceType::kPostgres:
      return "postgres";
    case SourceType::kSqlite:
      return "sqlite";
  }
  return "?";
}

std::string_view SchemaChangePolicyName(SchemaChangePolicy p) {
  switch (p) {
    case SchemaChangePolicy::kLog:
      return "log";
    case SchemaChangePolicy::kUpdate:
      return "update";
    case SchemaChangePolicy::kFail:
      return "fail";
  }
  return "?";
}

std::vector<std::string> SourceConfig::SourceColumns() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (const auto& [k, v] : columns) add(v);
  for (const auto& [k, v] : item_columns) add(v);
  for (const auto& [k, v] : user_columns) add(v);
  return out;
}

const SourceConfig* Project::FindSource(std::string_view name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// [serve], [filters] and [[campaigns]].
Status ParseServe(TableReader& r, const std::string& file, Project* p) {
  if (const toml::node* n = r.Get("serve")) {
    if (!n->is_table()) return r.Error(n, "serve", "expected a table");
    TableReader sr(*n->as_table(), "serve", file);
    ServeOptions& o = p->serve;
    RETURN_IF_ERROR(sr.String("host", &o.host));
    int64_t port = o.port, threads = o.threads, session_events = o.session_events;
    RETURN_IF_ERROR(sr.Int("port", 0, 65535, &port));
    RETURN_IF_ERROR(sr.Int("threads", 0, 256, &threads));
    RETURN_IF_ERROR(sr.Int("session_events", 0, 100, &session_events));
    o.port = static_cast<int>(port);
    o.threads = static_cast<int>(threads);
    o.session_events = static_cast<int>(session_events);
    RETURN_IF_ERROR(sr.StringList("api_keys", &o.api_keys));
    for (const std::string& k : o.api_keys) {
      if (k.empty() || k == "env:")
        return sr.Error(sr.Get("api_keys"), "api_keys", "expected non-empty keys or \"env:NAME\"");
    }
    RETURN_IF_ERROR(sr.Bool("require_key_for_reads", &o.require_key_for_reads));
    RETURN_IF_ERROR(sr.Int("max_body_bytes", 1024, int64_t{1} << 30, &o.max_body_bytes));
    RETURN_IF_ERROR(sr.Int("max_field_bytes", 16, int64_t{1} << 20, &o.max_field_bytes));
    RETURN_IF_ERROR(sr.Int("request_timeout_ms", 10, 3600 * 1000, &o.request_timeout_ms));
    RETURN_IF_ERROR(sr.Int("header_timeout_ms", 10, 3600 * 1000, &o.header_timeout_ms));
    RETURN_IF_ERROR(sr.Int("idle_timeout_ms", 10, 24 * 3600 * 1000, &o.idle_timeout_ms));
    RETURN_IF_ERROR(sr.Int("max_connections", 1, 10000000, &o.max_connections));
    RETURN_IF_ERROR(sr.Bool("durable_events", &o.durable_events));
    RETURN_IF_ERROR(sr.Double("session_weight", 0, 100, &o.session_weight));
    RETURN_IF_ERROR(sr.Double("poll_seconds", 0.05, 3600, &o.poll_seconds));
    RETURN_IF_ERROR(sr.Int("ann_min_items", 0, int64_t{1} << 32, &o.ann_min_items));
    RETURN_IF_ERROR(sr.Int("candidate_lists", 0, 500, &o.candidate_lists));
    RETURN_IF_ERROR(sr.CheckNoUnknownKeys());
  }
  RETURN_IF_ERROR(r.StringMap("filters", &p->filters));
  for (const auto& [name, expr] : p->filters) {
    if (!ValidName(name) || expr.empty()) {
      return r.Error(r.Get("filters"), "filters." + name,
                     "expected a name of letters, digits, '-' or '_' and a non-empty expression");
    }
  }
  const toml::node* campaigns = r.Get("campaigns");
  if (!campaigns) return Status::OK();
  if (!campaigns->is_array_of_tables())
    return r.Error(campaigns, "campaigns", "expected [[campaigns]] tables");
  size_t i = 0, active = 0;
  for (const auto& node : *campaigns->as_array()) {
    const std::string path = "campaigns[" + std::to_string(i++) + "]";
    TableReader cr(*node.as_table(), path, file);
    CampaignConfig c;
    RETURN_IF_ERROR(cr.String("name", &c.name, /*required=*/true));
    if (!ValidName(c.name))
      return cr.Error(cr.Get("name"), "name", "expected letters, digits, '-' or '_'");
    RETURN_IF_ERROR(cr.Bool("active", &c.active));
    const toml::node* vs = cr.Get("variants");
    if (!vs || !vs->is_array() || vs->as_array()->size() < 2) {
      return cr.Error(vs, "variants",
                      "expected at least two variants, e.g. [{ name = \"A\", model = \"v1\", "
                      "weight = 50 }, ...]");
    }
    size_t j = 0;
    std::set<std::string> names;
    for (const auto& vn : *vs->as_array()) {
      if (!vn.is_table()) return cr.Error(&vn, "variants", "expected inline tables");
      TableReader vr(*vn.as_table(), path + ".variants[" + std::to_string(j++) + "]", file);
      CampaignVariantConfig v;
      RETURN_IF_ERROR(vr.String("name", &v.name, /*required=*/true));
      RETURN_IF_ERROR(vr.String("model", &v.model, /*required=*/true));
      RETURN_IF_ERROR(vr.Double("weight", 1e-9, 1e9, &v.weight));
      RETURN_IF_ERROR(vr.CheckNoUnknownKeys());
      if (!names.insert(v.name).second)
        return vr.Error(vr.Get("name"), "name", "duplicate variant name " + Quote(v.name));
      c.variants.push_back(std::move(v));
    }
    RETURN_IF_ERROR(cr.CheckNoUnknownKeys());
    if (c.active && ++active > 1)
      return cr.Error(cr.Get("active"), "active", "at most one campaign may be active");
    p->campaigns.push_back(std::move(c));
  }
  return Status::OK();
}

const WorkflowJobConfig* WorkflowConfig::FindJob(std::string_view name) const {
  for (const auto& j : jobs) {
    if (j.name == name) return &j;
  }
  return nullptr;
}

std::vector<WorkflowJobConfig> DefaultWorkflowJobs() {
  auto job = [](std::string name, std::string type, std::vector<std::string> after,
                std::vector<std::string> kinds = {}) {
    WorkflowJobConfig j;
    j.name = std::move(name);
    j.type = std::move(type);
    j.after = std::move(after);
    j.kinds = std::move(kinds);
    return j;
  };
  return {job("crawl", "crawl", {}),
          job("clear_export", "clear_export", {"crawl"}),
          job("interactions", "dataset", {"clear_export"}, {"events", "transactions"}),
          job("items", "dataset", {"clear_export"}, {"items"}),
          job("users", "dataset", {"clear_export"}, {"users"}),
          job("features", "features", {"interactions", "items", "users"}),
          job("train", "train", {"features"}),
          job("evaluate", "evaluate", {"train"}),
          job("promote", "promote", {"evaluate"}),
          job("notify", "notify", {"promote"})};
}

namespace {

// Unknown jobs in `after` and cycles, each as one line naming the job.
Status CheckWorkflowGraph(const std::vector<WorkflowJobConfig>& jobs, TableReader& r) {
  std::map<std::string, const WorkflowJobConfig*> by_name;
  for (const auto& j : jobs) by_name[j.name] = &j;
  for (size_t i = 0; i < jobs.size(); ++i) {
    for (const std::string& dep : jobs[i].after) {
      if (!by_name.count(dep)) {
        return r.Error(
            r.Get("jobs"), "jobs[" + std::to_string(i) + "].after",
            "unknown job " + Quote(dep) + " (jobs: " +
                [&] {
                  std::string names;
                  for (const auto& j : jobs) names += (names.empty() ? "" : ", ") + j.name;
                  return names;
                }() +
                ")");
      }
      if (dep == jobs[i].name)
        return r.Error(r.Get("jobs"), "jobs[" + std::to_string(i) + "].after",
                       "job " + Quote(dep) + " depends on itself");
    }
  }
  // Depth-first search; a grey node met again closes a cycle.
  std::map<std::string, int> color;  // 0 white, 1 grey, 2 black
  std::vector<std::string> stack;
  std::string cycle;
  std::function<bool(const std::string&)> visit = [&](const std::string& n) {
    color[n] = 1;
    stack.push_back(n);
    for (const std::string& dep : by_name[n]->after) {
      if (color[dep] == 1) {
        auto it = std::find(stack.begin(), stack.end(), dep);
        for (; it != stack.end(); ++it) cycle += *it + " -> ";
        cycle += dep;
        return true;
      }
      if (color[dep] == 0 && visit(dep)) return true;
    }
    stack.pop_back();
    color[n] = 2;
    return false;
  };
  for (const auto& j : jobs) {
    if (color[j.name] == 0 && visit(j.name)) {
      return r.Error(r.Get("jobs"), "jobs", "the jobs' dependencies form a cycle: " + cycle);
    }
  }
  return Status::OK();
}

Status ParseWorkflow(TableReader& root, const std::string& file, Project* p) {
  WorkflowConfig& w = p->workflow;
  const toml::node* n = root.Get("workflow");
  if (n && !n->is_table()) return root.Error(n, "workflow", "expected a table");
  if (!n) {
    w.jobs = DefaultWorkflowJobs();
    w.export_dir = ResolvePath(p->dir, w.export_dir);
    return Status::OK();
  }
  TableReader r(*n->as_table(), "workflow", file);
  int64_t parallel = w.parallel, retries = w.retries;
  RETURN_IF_ERROR(r.Int("parallel", 1, 64, &parallel));
  RETURN_IF_ERROR(r.Int("retries", 0, 100, &retries));
  w.parallel = static_cast<int>(parallel);
  w.retries = static_cast<int>(retries);
  RETURN_IF_ERROR(r.String("params", &w.params));
  if (!w.params.empty()) w.params = ResolvePath(p->dir, w.params);
  RETURN_IF_ERROR(r.String("recipe", &w.recipe));
  RETURN_IF_ERROR(r.String("split", &w.split));
  RETURN_IF_ERROR(r.String("metric", &w.metric));
  if (w.metric.find('@') == std::string::npos)
    return r.Error(r.Get("metric"), "metric", "expected a metric at a cut-off, e.g. \"ndcg@10\"");
  RETURN_IF_ERROR(r.Double("min_improvement", -1, 1, &w.min_improvement));
  RETURN_IF_ERROR(r.String("export_dir", &w.export_dir));
  if (w.export_dir.empty())
    return r.Error(r.Get("export_dir"), "export_dir", "expected a non-empty path");
  w.export_dir = ResolvePath(p->dir, w.export_dir);
  RETURN_IF_ERROR(r.Int("seed", 0, INT64_MAX, &w.seed));

  if (const toml::node* nn = r.Get("notify")) {
    if (!nn->is_table()) return r.Error(nn, "notify", "expected a table");
    TableReader nr(*nn->as_table(), "workflow.notify", file);
    RETURN_IF_ERROR(nr.String("command", &w.notify.command));
    RETURN_IF_ERROR(nr.String("url", &w.notify.url));
    if (!w.notify.url.empty() && w.notify.url.rfind("http://", 0) != 0)
      return nr.Error(nr.Get("url"), "url", "expected an http://host:port/path URL");
    if (nr.Get("on")) {
      w.notify.on.clear();
      RETURN_IF_ERROR(nr.StringList("on", &w.notify.on));
      for (const std::string& e : w.notify.on) {
        if (e != "success" && e != "failure" && e != "refused")
          return nr.Error(
              nr.Get("on"), "on",
              "expected a list of \"success\", \"failure\", \"refused\"; got " + Quote(e));
      }
    }
    RETURN_IF_ERROR(nr.Double("timeout_seconds", 0.1, 3600, &w.notify.timeout_seconds));
    RETURN_IF_ERROR(nr.CheckNoUnknownKeys());
  }
  if (const toml::node* tn = r.Get("triggers")) {
    if (!tn->is_table()) return r.Error(tn, "triggers", "expected a table");
    TableReader tr(*tn->as_table(), "workflow.triggers", file);
    RETURN_IF_ERROR(tr.StringList("cron", &w.triggers.cron));
    RETURN_IF_ERROR(tr.Bool("new_files", &w.triggers.new_files));
    RETURN_IF_ERROR(tr.String("params_dir", &w.triggers.params_dir));
    if (!w.triggers.params_dir.empty())
      w.triggers.params_dir = ResolvePath(p->dir, w.triggers.params_dir);
    RETURN_IF_ERROR(tr.Double("poll_seconds", 0.05, 86400, &w.triggers.poll_seconds));
    RETURN_IF_ERROR(tr.CheckNoUnknownKeys());
  }

  static const std::vector<std::string> kTypes = {"crawl",    "clear_export", "dataset",
                                                  "features", "train",        "evaluate",
                                                  "promote",  "notify",       "command"};
  const toml::node* jn = r.Get("jobs");
  if (!jn) {
    w.jobs = DefaultWorkflowJobs();
  } else {
    if (!jn->is_array_of_tables()) return r.Error(jn, "jobs", "expected [[workflow.jobs]] tables");
    size_t i = 0;
    std::set<std::string> names;
    for (const auto& node : *jn->as_array()) {
      TableReader jr(*node.as_table(), "workflow.jobs[" + std::to_string(i++) + "]", file);
      WorkflowJobConfig j;
      RETURN_IF_ERROR(jr.String("name", &j.name, /*required=*/true));
      if (!ValidName(j.name))
        return jr.Error(jr.Get("name"), "name", "expected letters, digits, '-' or '_'");
      if (!names.insert(j.name).second)
        return jr.Error(jr.Get("name"), "name", "duplicate job name " + Quote(j.name));
      int type = -1;
      RETURN_IF_ERROR(jr.Choice("type", kTypes, &type));
      if (type < 0) {
        // The type defaults to the name when the name is a type ("train").
        auto it = std::find(kTypes.begin(), kTypes.end(), j.name);
        if (it == kTypes.end() || *it == "dataset" || *it == "command")
          return jr.Error(nullptr, "type",
                          "required key is missing (expected one of " + JoinQuoted(kTypes) + ")");
        type = static_cast<int>(it - kTypes.begin());
      }
      j.type = kTypes[type];
      RETURN_IF_ERROR(jr.StringList("after", &j.after));
      RETURN_IF_ERROR(jr.StringList("kinds", &j.kinds));
      for (const std::string& k : j.kinds) {
        if (k != "events" && k != "transactions" && k != "items" && k != "users")
          return jr.Error(
              jr.Get("kinds"), "kinds",
              "expected source kinds (events, transactions, items, users); got " + Quote(k));
      }
      if (j.type == "dataset" && j.kinds.empty())
        return jr.Error(jr.Get("kinds"), "kinds",
                        "a dataset job needs the source kinds it loads, e.g. [\"items\"]");
      if (j.type != "dataset" && !j.kinds.empty())
        return jr.Error(jr.Get("kinds"), "kinds", "only dataset jobs take kinds");
      RETURN_IF_ERROR(jr.String("command", &j.command));
      if (j.type == "command" && j.command.empty())
        return jr.Error(jr.Get("command"), "command", "a command job needs a non-empty command");
      if (j.type != "command" && !j.command.empty())
        return jr.Error(jr.Get("command"), "command", "only command jobs take a command");
      int64_t jretries = w.retries;
      RETURN_IF_ERROR(jr.Int("retries", 0, 100, &jretries));
      j.retries = static_cast<int>(jretries);
      RETURN_IF_ERROR(jr.Double("retry_backoff_seconds", 0, 3600, &j.retry_backoff_seconds));
      RETURN_IF_ERROR(jr.Double("timeout_seconds", 0, 7 * 86400, &j.timeout_seconds));
      RETURN_IF_ERROR(jr.CheckNoUnknownKeys());
      w.jobs.push_back(std::move(j));
    }
    if (w.jobs.empty()) return r.Error(jn, "jobs", "expected at least one job");
    RETURN_IF_ERROR(CheckWorkflowGraph(w.jobs, r));
  }
  for (auto& j : w.jobs) {
    if (!jn) j.retries = w.retries;
  }
  return r.CheckNoUnknownKeys();
}

}  // namespace

// [matching]. REQUIRES: p->sources parsed (names are checked against them).
Status ParseMatching(TableReader& r, const std::string& file, Project* p) {
  const toml::node* n = r.Get("matching");
  if (!n) return Status::OK();
  if (!n->is_table()) return r.Error(n, "matching", "expected a table");
  TableReader mr(*n->as_table(), "matching", file);
  MatchingOptions& m = p->matching;
  RETURN_IF_ERROR(mr.String("reference_source", &m.reference_source, /*required=*/true));
  RETURN_IF_ERROR(mr.StringList("title_sources", &m.title_sources));
  RETURN_IF_ERROR(mr.Double("threshold", 0, 1, &m.threshold));
  RETURN_IF_ERROR(mr.Double("margin", 0, 1, &m.margin));
  RETURN_IF_ERROR(mr.CheckNoUnknownKeys());
  const SourceConfig* ref = p->FindSource(m.reference_source);
  if (!ref || ref->kind != SourceKind::kItems || !ref->columns.count("TITLE")) {
    return mr.Error(mr.Get("reference_source"), "reference_source",
                    "expected the name of a kind = \"items\" source with TITLE mapped; got " +
                        Quote(m.reference_source));
  }
  for (const std::string& name : m.title_sources) {
    const SourceConfig* s = p->FindSource(name);
    bool has_title = s && (s->columns.count("TITLE") || s->item_columns.count("TITLE"));
    if (!has_title || name == m.reference_source) {
      return mr.Error(mr.Get("title_sources"), "title_sources",
                      "expected names of sources (other than the reference) with TITLE mapped "
                      "in columns or item_columns; got " +
                          Quote(name));
    }
  }
  return Status::OK();
}

std::string_view FeatureGroupName(FeatureGroup g) {
  switch (g) {
    case FeatureGroup::kUser:
      return "user";
    case FeatureGroup::kItem:
      return "item";
    case FeatureGroup::kUserItem:
      return "user_item";
  }
  return "?";
}

std::vector<std::string_view> FeatureVocabulary(FeatureGroup g) {
  switch (g) {
    case FeatureGroup::kUser:
      return {"recency_days",         "frequency",    "monetary", "events",
              "favourite_categories", "average_price"};
    case FeatureGroup::kItem:
      return {"popularity", "conversion", "price_band", "age_days", "events"};
    case FeatureGroup::kUserItem:
      return {"events", "views", "add_to_carts", "purchases", "recency_days"};
  }
  return {};
}

// [features] and [features.user|item|user_item].
Status ParseFeatures(TableReader& r, const std::string& file, Project* p) {
  FeaturesOptions& f = p->features;
  const toml::node* n = r.Get("features");
  std::string store;
  if (n) {
    if (!n->is_table()) return r.Error(n, "features", "expected a table");
    TableReader fr(*n->as_table(), "features", file);
    RETURN_IF_ERROR(fr.String("online_store", &store));
    RETURN_IF_ERROR(fr.Int("online_store_mb", 1, int64_t{1} << 22, &f.online_store_mb));
    for (FeatureGroup g : {FeatureGroup::kUser, FeatureGroup::kItem, FeatureGroup::kUserItem}) {
      const std::string name(FeatureGroupName(g));
      const toml::node* gn = fr.Get(name);
      if (!gn) continue;
      if (!gn->is_table()) return fr.Error(gn, name, "expected a table");
      FeatureGroupConfig& c = g == FeatureGroup::kUser   ? f.user
                              : g == FeatureGroup::kItem ? f.item
                                                         : f.user_item;
      c.enabled = true;
      TableReader gr(*gn->as_table(), "features." + name, file);
      std::vector<std::string_view> vocab = FeatureVocabulary(g);
      std::string vocab_text;
      for (auto v : vocab) vocab_text += (vocab_text.empty() ? "" : ", ") + std::string(v);
      RETURN_IF_ERROR(gr.StringList("features", &c.features));
      if (c.features.empty()) {
        return gr.Error(gr.Get("features"), "features",
                        "expected a non-empty list of features from " + vocab_text);
      }
      std::set<std::string> seen;
      for (const std::string& feat : c.features) {
        if (!Contains(vocab, feat) || !seen.insert(feat).second) {
          return gr.Error(gr.Get("features"), "features",
                          "expected distinct features from " + vocab_text + "; got " + Quote(feat));
        }
      }
      RETURN_IF_ERROR(gr.Double("ttl_hours", 0.001, 24.0 * 365 * 10, &c.ttl_hours));
      RETURN_IF_ERROR(gr.Int("top_categories", 1, 100, &c.top_categories));
      if (const toml::node* w = gr.Get("windows_days")) {
        c.windows_days.clear();
        if (!w->is_array() || w->as_array()->empty())
          return gr.Error(w, "windows_days", "expected a non-empty array of days (1 to 3650)");
        for (const auto& v : *w->as_array()) {
          if (!v.is_integer() || v.as_integer()->get() < 1 || v.as_integer()->get() > 3650)
            return gr.Error(&v, "windows_days", "expected a non-empty array of days (1 to 3650)");
          c.windows_days.push_back(v.as_integer()->get());
        }
      }
      if (const toml::node* e = gr.Get("price_band_edges")) {
        c.price_band_edges.clear();
        for (const auto& v : e->is_array() ? *e->as_array() : toml::array{}) {
          double d = v.is_integer()          ? static_cast<double>(v.as_integer()->get())
                     : v.is_floating_point() ? v.as_floating_point()->get()
                                             : -1;
          if (d < 0 || (!c.price_band_edges.empty() && d <= c.price_band_edges.back()))
            return gr.Error(&v, "price_band_edges",
                            "expected ascending non-negative numbers, e.g. [10, 50, 100]");
          c.price_band_edges.push_back(d);
        }
        if (c.price_band_edges.empty())
          return gr.Error(e, "price_band_edges",
                          "expected ascending non-negative numbers, e.g. [10, 50, 100]");
      }
      RETURN_IF_ERROR(gr.CheckNoUnknownKeys());
    }
    RETURN_IF_ERROR(fr.CheckNoUnknownKeys());
  }
  f.online_store = ResolvePath(p->dir, store.empty() ? "features.lmdb" : store);
  return Status::OK();
}

StatusOr<Project> ParseProject(std::string_view text, const std::string& file,
                               const std::string& dir) {
  // Debian's toml++ is built with exceptions; they end here, at the boundary.
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(file + ":" + std::to_string(e.source().begin.line) +
                                   ": not valid TOML: " + std::string(e.description()));
  }
  TableReader r(root, "", file);
  Project p;
  p.file = file;
  p.dir = dir;

  std::string lake = "lake";
  std::string catalog;
  if (const toml::node* n = r.Get("project")) {
    if (!n->is_table()) return r.Error(n, "project", "expected a table");
    TableReader pr(*n->as_table(), "project", file);
    RETURN_IF_ERROR(pr.String("name", &p.name));
    RETURN_IF_ERROR(pr.String("lake", &lake));
    if (pr.Get("lake") && lake.empty())
      return pr.Error(pr.Get("lake"), "lake", "expected a non-empty path");
    RETURN_IF_ERROR(pr.String("catalog", &catalog));
    RETURN_IF_ERROR(pr.CheckNoUnknownKeys());
  } else {
    return r.Error(nullptr, "project", "required table [project] is missing");
  }
  p.lake_root = ResolvePath(dir, lake);
  p.catalog_path =
      catalog.empty() ? ResolvePath(p.lake_root, "_recmart/catalog.db") : ResolvePath(dir, catalog);

  if (const toml::node* n = r.Get("etl")) {
    if (!n->is_table()) return r.Error(n, "etl", "expected a table");
    TableReader er(*n->as_table(), "etl", file);
    RETURN_IF_ERROR(er.String("memory_limit", &p.etl.memory_limit));
    if (!ParseByteSize(p.etl.memory_limit)) {
      return er.Error(
          er.Get("memory_limit"), "memory_limit",
          "expected a size such as \"1GB\" or \"512MiB\", got \"" + p.etl.memory_limit + "\"");
    }
    RETURN_IF_ERROR(er.Int("batch_mb", 0, int64_t{1} << 30, &p.etl.batch_mb));
    int64_t threads = 0, gap = p.etl.session_gap_minutes;
    RETURN_IF_ERROR(er.Int("threads", 0, 256, &threads));
    p.etl.threads = static_cast<int>(threads);
    int codec = 0;
    RETURN_IF_ERROR(er.Choice("compression", {"zstd", "snappy", "gzip", "uncompressed"}, &codec));
    p.etl.compression = std::vector<std::string>{"zstd", "snappy", "gzip", "uncompressed"}[codec];
    RETURN_IF_ERROR(er.Int("session_gap_minutes", 1, 7 * 24 * 60, &gap));
    p.etl.session_gap_minutes = static_cast<int>(gap);
    RETURN_IF_ERROR(er.CheckNoUnknownKeys());
  }

  if (const toml::node* n = r.Get("matrix")) {
    if (!n->is_table()) return r.Error(n, "matrix", "expected a table");
    TableReader mr(*n->as_table(), "matrix", file);
    RETURN_IF_ERROR(mr.Double("half_life_days", 0, 1e6, &p.matrix.half_life_days));
    if (const toml::node* w = mr.Get("weights")) {
      if (!w->is_table()) return mr.Error(w, "weights", "expected a table of event_type = number");
      p.matrix.weights.clear();
      TableReader wr(*w->as_table(), "matrix.weights", file);
      for (const auto& [k, v] : *w->as_table()) {
        double d = 0;
        RETURN_IF_ERROR(wr.Double(k.str(), -1e6, 1e6, &d));
        p.matrix.weights[ingest::NormalizeEventType(k.str())] = d;
      }
    }
    RETURN_IF_ERROR(mr.CheckNoUnknownKeys());
  }

  RETURN_IF_ERROR(ParseServe(r, file, &p));
  RETURN_IF_ERROR(ParseWorkflow(r, file, &p));

  const toml::node* sources = r.Get("sources");
  if (!sources)
    return r.Error(nullptr, "sources", "no [[sources]] declared (expected at least one)");
  if (!sources->is_array_of_tables())
    return r.Error(sources, "sources", "expected [[sources]] tables");
  std::set<std::string> names;
  size_t i = 0;
  for (const auto& node : *sources->as_array()) {
    SourceConfig src;
    RETURN_IF_ERROR(ParseSource(*node.as_table(), i, file, &src));
    if (src.type != SourceType::kFile) {
      // Extracts live under the lake; see etl/extract.h.
      src.path = p.lake_root + "/_recmart/extracts/" + src.name + "/*.jsonl";
      if (src.type == SourceType::kSqlite)
        src.database.connection = ResolvePath(dir, src.database.connection);
    }
    if (!names.insert(src.name).second) {
      TableReader sr(*node.as_table(), "sources[" + std::to_string(i) + "]", file);
      return sr.Error(node.as_table()->get("name"), "name",
                      "duplicate source name " + Quote(src.name));
    }
    p.sources.push_back(std::move(src));
    ++i;
  }
  RETURN_IF_ERROR(ParseMatching(r, file, &p));
  RETURN_IF_ERROR(ParseFeatures(r, file, &p));
  RETURN_IF_ERROR(r.CheckNoUnknownKeys());
  return p;
}

StatusOr<Project> LoadProject(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(path + ": project file not found");
    }
    return text.status();
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  dir = std::filesystem::absolute(dir).lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return ParseProject(*text, path, dir);
}

std::string_view ProjectTemplate() { return kProjectTemplate; }

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  try {
    size_t used = 0;
    number = std::stod(std::string(text.substr(0, i)), &used);
    if (used != i) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  while (i < text.size() && text[i] == ' ') ++i;
  std::string unit;
  for (char c : text.substr(i))
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, double> kUnits[] = {{"b", 1},
                                                          {"bytes", 1},
                                                          {"kb", 1e3},
                                                          {"mb", 1e6},
                                                          {"gb", 1e9},
                                                          {"tb", 1e12},
                                                          {"kib", 1024.0},
                                                          {"mib", 1048576.0},
                                                          {"gib", 1073741824.0},
                                                          {"tib", 1099511627776.0}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      double bytes = number * scale;
      if (!(bytes >= 1) || bytes > 1e18) return std::nullopt;
      return static_cast<uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

}  // namespace recmart::config
