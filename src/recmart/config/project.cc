#include "recmart/config/project.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "recmart/common/fs.h"
#include "recmart/config/project_template.h"

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
  RETURN_IF_ERROR(r.String("path", &src->path, /*required=*/true));

  int format = -1;
  if (!r.Get("format"))
    return r.Error(nullptr, "format",
                   "required key is missing (expected one of csv, tsv, jsonl, parquet)");
  RETURN_IF_ERROR(r.Choice("format", {"csv", "tsv", "jsonl", "parquet"}, &format));
  src->reader.format = static_cast<ingest::Format>(format);
  int compression = 0;
  RETURN_IF_ERROR(r.Choice("compression", {"auto", "none", "gzip", "zstd"}, &compression));
  src->reader.compression = static_cast<ingest::Compression>(compression);
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
      allowed = {"ITEM_ID"};
      for (auto f : kItemFields) allowed.emplace_back(f);
      required = {"ITEM_ID"};
      break;
    case SourceKind::kUsers:
      allowed = {"USER_ID"};
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
    RETURN_IF_ERROR(sr.Bool("durable_events", &o.durable_events));
    RETURN_IF_ERROR(sr.Double("session_weight", 0, 100, &o.session_weight));
    RETURN_IF_ERROR(sr.Double("poll_seconds", 0.05, 3600, &o.poll_seconds));
    RETURN_IF_ERROR(sr.Int("ann_min_items", 0, int64_t{1} << 32, &o.ann_min_items));
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
    if (!names.insert(src.name).second) {
      TableReader sr(*node.as_table(), "sources[" + std::to_string(i) + "]", file);
      return sr.Error(node.as_table()->get("name"), "name",
                      "duplicate source name " + Quote(src.name));
    }
    p.sources.push_back(std::move(src));
    ++i;
  }
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

}  // namespace recmart::config
