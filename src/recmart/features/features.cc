#include "recmart/features/features.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "recmart/catalog/catalog.h"
#include "recmart/common/fs.h"
#include "recmart/lake/lake.h"

namespace recmart::features {
namespace {

using config::FeatureGroup;
using lake::SqlIdent;
using lake::SqlString;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool Has(const config::FeatureGroupConfig& c, std::string_view f) {
  return std::find(c.features.begin(), c.features.end(), f) != c.features.end();
}

std::vector<std::string> KeyColumns(FeatureGroup g) {
  switch (g) {
    case FeatureGroup::kUser:
      return {"USER_ID"};
    case FeatureGroup::kItem:
      return {"ITEM_ID"};
    case FeatureGroup::kUserItem:
      return {"USER_ID", "ITEM_ID"};
  }
  return {};
}

// Rounded so that snapshots and training sets do not depend on summation order.
std::string Days(const std::string& since) {
  return "round((s._as_of - (" + since + ")) / 86400.0, 6)";
}

std::string Ratio(const std::string& num, const std::string& den) {
  return "round(" + num + " / nullif(" + den + ", 0), 6)";
}

// count(CASE …), not count_if: the latter is NULL when the LEFT JOIN found no event.
constexpr char kViews[] = "count(CASE WHEN e.EVENT_TYPE = 'view' THEN 1 END)";
constexpr char kCarts[] = "count(CASE WHEN e.EVENT_TYPE = 'add_to_cart' THEN 1 END)";
constexpr char kPurchases[] = "count(CASE WHEN e.EVENT_TYPE = 'purchase' THEN 1 END)";

// One output column (or several) per configured feature, as "expr AS name".
std::vector<std::string> FeatureColumns(FeatureGroup g, const config::FeatureGroupConfig& c) {
  std::vector<std::string> cols;
  auto add = [&](const std::string& expr, const std::string& name) {
    cols.push_back(expr + " AS " + name);
  };
  for (const std::string& f : c.features) {
    if (f == "events") {
      add("count(e.TIMESTAMP)", "events");
    } else if (f == "recency_days") {
      add(Days("max(e.TIMESTAMP)"), "recency_days");
    } else if (g == FeatureGroup::kUser && f == "frequency") {
      add("count(DISTINCT CASE WHEN e.EVENT_TYPE = 'purchase' THEN "
          "coalesce(e.SESSION_ID, CAST(e.TIMESTAMP AS VARCHAR)) END)",
          "frequency");
    } else if (f == "monetary") {
      add("round(coalesce(sum(CASE WHEN e.EVENT_TYPE = 'purchase' THEN e.EVENT_VALUE END), 0), 6)",
          "monetary");
    } else if (f == "average_price") {
      add("round(avg(ei.PRICE), 6)", "average_price");
    } else if (f == "favourite_categories") {
      add("any_value(fc.favourite_categories)", "favourite_categories");
    } else if (f == "popularity") {
      for (int64_t w : c.windows_days) {
        add("count(DISTINCT CASE WHEN e.TIMESTAMP >= s._as_of - " + std::to_string(w * 86400) +
                " THEN e.USER_ID END)",
            "popularity_" + std::to_string(w) + "d");
      }
    } else if (f == "conversion") {
      add(kViews, "views");
      add(kCarts, "add_to_carts");
      add(kPurchases, "purchases");
      add(Ratio(kCarts, kViews), "view_to_cart");
      add(Ratio(kPurchases, kCarts), "cart_to_purchase");
      add(Ratio(kPurchases, kViews), "view_to_purchase");
    } else if (f == "views") {
      add(kViews, "views");
    } else if (f == "add_to_carts") {
      add(kCarts, "add_to_carts");
    } else if (f == "purchases") {
      add(kPurchases, "purchases");
    } else if (f == "price_band") {
      const auto& e = c.price_band_edges;
      std::string expr = "CASE WHEN any_value(si.PRICE) IS NULL THEN NULL";
      for (size_t i = 0; i < e.size(); ++i) {
        expr += " WHEN any_value(si.PRICE) < " + Num(e[i]) + " THEN " +
                SqlString(i == 0 ? "<" + Num(e[0]) : Num(e[i - 1]) + "-" + Num(e[i]));
      }
      expr += " ELSE " + SqlString(">=" + Num(e.back())) + " END";
      add(expr, "price_band");
    } else if (f == "age_days") {
      const std::string born = "coalesce(any_value(si.CREATION_TIMESTAMP), min(e.TIMESTAMP))";
      add("CASE WHEN " + born + " <= s._as_of THEN " + Days(born) + " END", "age_days");
    }
  }
  return cols;
}

}  // namespace

std::string ItemsAsOfSql(std::string_view pairs) {
  // Records in effect strictly before _as_of (as events are), newest first
  // per field; items known only from the items table (a lake from before
  // item_history) hold for all time.
  const std::string key =
      "(coalesce(h.UPDATED_AT, 0)::HUGEINT << 88) + (h.RUN_ID::HUGEINT << 64) + h.RECORD_SEQ";
  auto pick = [&](const char* col) {
    return std::string("arg_max(h.") + col + ", " + key + ") FILTER (WHERE h." + col +
           " IS NOT NULL) AS " + col;
  };
  return "ia AS (SELECT p.ITEM_ID, p._as_of, " + pick("PRICE") + ", " + pick("CATEGORY_L1") + ", " +
         pick("CREATION_TIMESTAMP") + " FROM (" + std::string(pairs) +
         ") p JOIN item_history h ON h.ITEM_ID = p.ITEM_ID AND (h.EFFECTIVE_TS IS NULL OR "
         "h.EFFECTIVE_TS < p._as_of) GROUP BY p.ITEM_ID, p._as_of "
         "UNION ALL SELECT p.ITEM_ID, p._as_of, i.PRICE, i.CATEGORY_L1, i.CREATION_TIMESTAMP FROM "
         "(" +
         std::string(pairs) +
         ") p JOIN items i ON i.ITEM_ID = p.ITEM_ID "
         "WHERE i.ITEM_ID NOT IN (SELECT ITEM_ID FROM item_history))";
}

std::string FeatureSql(FeatureGroup g, const config::FeatureGroupConfig& c,
                       std::string_view spine) {
  std::vector<std::string> keys = KeyColumns(g);
  std::string on;
  for (const std::string& k : keys) on += "e." + k + " = s." + k + " AND ";
  std::string sql = "WITH s AS (" + std::string(spine) + ")";
  const bool fav = g == FeatureGroup::kUser && Has(c, "favourite_categories");
  const bool user_items = fav || (g == FeatureGroup::kUser && Has(c, "average_price"));
  // Item metadata as it was at each row's _as_of (ia: ITEM_ID, _as_of, …),
  // for the items the rows need.
  if (user_items || g == FeatureGroup::kItem) {
    const std::string pairs =
        g == FeatureGroup::kItem
            ? "SELECT DISTINCT ITEM_ID, _as_of FROM s"
            : "SELECT DISTINCT e.ITEM_ID, s._as_of FROM s JOIN interactions e ON " + on +
                  "e.TIMESTAMP < s._as_of";
    sql += ", " + ItemsAsOfSql(pairs);
  }
  if (fav) {
    // The user's top categories by events before _as_of, ties by name.
    sql += ", fc AS (SELECT _row, list(cat ORDER BY n DESC, cat)[1:" +
           std::to_string(c.top_categories) +
           "] AS favourite_categories FROM (SELECT s._row, i.CATEGORY_L1 AS cat, count(*) AS n "
           "FROM s JOIN interactions e ON " +
           on +
           "e.TIMESTAMP < s._as_of JOIN ia i ON i.ITEM_ID = e.ITEM_ID AND i._as_of = s._as_of "
           "WHERE i.CATEGORY_L1 IS NOT NULL GROUP BY ALL) GROUP BY _row)";
  }
  sql += " SELECT s._row";
  for (const std::string& k : keys) sql += ", s." + k;
  for (const std::string& col : FeatureColumns(g, c)) sql += ", " + col;
  sql += " FROM s LEFT JOIN interactions e ON " + on + "e.TIMESTAMP < s._as_of";
  if (g == FeatureGroup::kUser && Has(c, "average_price"))
    sql += " LEFT JOIN ia ei ON ei.ITEM_ID = e.ITEM_ID AND ei._as_of = s._as_of";
  if (g == FeatureGroup::kItem)
    sql += " LEFT JOIN ia si ON si.ITEM_ID = s.ITEM_ID AND si._as_of = s._as_of";
  if (fav) sql += " LEFT JOIN fc ON fc._row = s._row";
  sql += " GROUP BY s._row, s._as_of";
  for (const std::string& k : keys) sql += ", s." + k;
  return sql;
}

namespace {

int64_t WallClock() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "YYYY-MM-DD" → days since 1970-01-01.
StatusOr<int64_t> ParseDay(const std::string& date) {
  unsigned y = 0, m = 0, d = 0;
  char tail = 0;
  if (date.size() != 10 || std::sscanf(date.c_str(), "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return Status::InvalidArgument("--date: expected YYYY-MM-DD; got \"" + date + "\"");
  std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)), std::chrono::month(m),
                                  std::chrono::day(d)};
  if (!ymd.ok()) return Status::InvalidArgument("--date: \"" + date + "\" is not a date");
  return static_cast<int64_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::string FormatDay(int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(day))};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

StatusOr<lake::ReadSession> OpenLake(const config::Project& project) {
  lake::DatabaseOptions dbo;
  dbo.memory_limit = project.etl.memory_limit;
  dbo.threads = project.etl.threads;
  return lake::ReadSession::Open(project.catalog_path, project.lake_root, dbo);
}

bool AnyGroup(const config::FeaturesOptions& f) {
  return f.user.enabled || f.item.enabled || f.user_item.enabled;
}

Status NoGroups() {
  return Status::FailedPrecondition(
      "no feature groups configured: add [features.user], [features.item] or "
      "[features.user_item] to the project file");
}

// Writes the rows of `select_sql` to `path` as Parquet (or CSV) through a
// temporary file in the same directory and a rename.
Status CopyAtomically(lake::Connection& conn, const std::string& select_sql,
                      const std::string& path, bool parquet) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  Status s =
      conn.Execute("COPY (" + select_sql + ") TO " + SqlString(tmp) +
                   (parquet ? " (FORMAT parquet, COMPRESSION zstd)" : " (HEADER, DELIMITER ',')"));
  if (s.ok()) s = RenameDurable(tmp, path);
  if (!s.ok()) std::filesystem::remove(tmp, ec);
  return s;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

}  // namespace

StatusOr<MaterializeResult> Materialize(const config::Project& project,
                                        const MaterializeOptions& options) {
  if (!AnyGroup(project.features)) return NoGroups();
  ASSIGN_OR_RETURN(lake::ReadSession session, OpenLake(project));
  lake::Connection& conn = *session.conn;

  MaterializeResult result;
  int64_t day = 0;
  if (!options.date.empty()) {
    ASSIGN_OR_RETURN(day, ParseDay(options.date));
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> last,
                     conn.QueryScalar("SELECT max(TIMESTAMP) FROM interactions"));
    if (!last) {
      return Status::FailedPrecondition(
          "the lake has no interactions yet: run `recmart etl` first (lake: " + project.lake_root +
          ")");
    }
    int64_t ts = std::stoll(*last);
    day = ts >= 0 ? ts / 86400 : (ts - 86399) / 86400;
  }
  result.snapshot_date = FormatDay(day);
  result.as_of = (day + 1) * 86400;
  const std::string as_of = std::to_string(result.as_of);
  const int64_t now = options.now ? options.now : WallClock();

  std::unique_ptr<OnlineStore> store;
  if (options.online) {
    ASSIGN_OR_RETURN(store, OnlineStore::Open(project.features.online_store, /*read_only=*/false,
                                              project.features.online_store_mb));
  }
  const std::string before = " FROM interactions WHERE TIMESTAMP < " + as_of;
  for (FeatureGroup g : kGroups) {
    const config::FeatureGroupConfig& c = project.features.group(g);
    if (!c.enabled) continue;
    const std::string name(config::FeatureGroupName(g));
    std::vector<std::string> keys = KeyColumns(g);
    std::string ids;
    switch (g) {
      case FeatureGroup::kUser:
        ids = "SELECT DISTINCT USER_ID" + before;
        break;
      case FeatureGroup::kItem:
        // Items with events before the date, and catalog items created by then.
        ids = "SELECT DISTINCT ITEM_ID" + before +
              " UNION SELECT ITEM_ID FROM items WHERE coalesce(CREATION_TIMESTAMP, 0) < " + as_of;
        break;
      case FeatureGroup::kUserItem:
        ids = "SELECT DISTINCT USER_ID, ITEM_ID" + before;
        break;
    }
    const std::string spine = "SELECT row_number() OVER (ORDER BY " + Join(keys, ", ") +
                              ") AS _row, *, " + as_of + "::BIGINT AS _as_of FROM (" + ids + ")";
    const std::string table = "feat_" + name;
    RETURN_IF_ERROR(
        conn.Execute("CREATE OR REPLACE TEMP TABLE " + table + " AS " + FeatureSql(g, c, spine)));
    GroupOutput out;
    out.group = name;
    out.file = project.lake_root + "/features/" + name + "/snapshot_date=" + result.snapshot_date +
               "/part.parquet";
    RETURN_IF_ERROR(CopyAtomically(conn, "SELECT * EXCLUDE (_row) FROM " + table + " ORDER BY _row",
                                   out.file, /*parquet=*/true));
    if (store) {
      // The feature columns: everything after _row and the keys.
      ASSIGN_OR_RETURN(lake::QueryResult cols, conn.Query("SELECT * FROM " + table + " LIMIT 0"));
      std::vector<std::string> fields;
      for (size_t i = 1 + keys.size(); i < cols.column_count(); ++i) {
        const std::string& col = cols.column_name(i);
        fields.push_back(SqlString(col) + ", " + SqlIdent(col));
      }
      ASSIGN_OR_RETURN(
          lake::QueryResult rows,
          conn.Query("SELECT " + Join(keys, ", ") + ", CAST(json_object(" + Join(fields, ", ") +
                     ") AS VARCHAR) FROM " + table + " ORDER BY _row"));
      const std::string meta = ",\"as_of\":" + as_of + ",\"snapshot_date\":\"" +
                               result.snapshot_date + "\",\"written_at\":" + std::to_string(now) +
                               "}";
      std::vector<std::pair<std::string, std::string>> records;
      records.reserve(rows.row_count());
      for (size_t r = 0; r < rows.row_count(); ++r) {
        std::string id = rows.GetString(0, r).value_or("");
        if (keys.size() == 2) id += '\0' + rows.GetString(1, r).value_or("");
        records.emplace_back(std::move(id),
                             "{\"values\":" + rows.GetString(keys.size(), r).value_or("{}") + meta);
      }
      RETURN_IF_ERROR(store->ReplaceGroup(name, records, &out.skipped));
      out.rows = records.size();
    } else {
      ASSIGN_OR_RETURN(std::optional<std::string> n,
                       conn.QueryScalar("SELECT count(*) FROM " + table));
      out.rows = n ? std::stoull(*n) : 0;
    }
    result.groups.push_back(std::move(out));
  }
  return result;
}

StatusOr<OnlineFeatures> ReadOnline(const OnlineStore& store,
                                    const config::FeaturesOptions& options, FeatureGroup group,
                                    std::string_view id, int64_t now) {
  const config::FeatureGroupConfig& c = options.group(group);
  const std::string name(config::FeatureGroupName(group));
  if (!c.enabled)
    return Status::FailedPrecondition("feature group '" + name + "' is not configured");
  ASSIGN_OR_RETURN(std::optional<std::string> text, store.Get(name, id));
  if (!text) {
    std::string shown(id);
    std::replace(shown.begin(), shown.end(), '\0', '/');
    return Status::NotFound("no " + name + " features for '" + shown + "'");
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::DataLoss("online store: malformed record for " + name);
  OnlineFeatures f;
  f.as_of = j.value("as_of", int64_t{0});
  f.snapshot_date = j.value("snapshot_date", "");
  f.written_at = j.value("written_at", int64_t{0});
  f.expired = static_cast<double>(now - f.written_at) > c.ttl_hours * 3600.0;
  if (!f.expired && j.contains("values")) f.values = j["values"];
  return f;
}

nlohmann::json OnlineFeaturesJson(std::string_view key_name, std::string_view id,
                                  const OnlineFeatures& f, double ttl_hours) {
  nlohmann::json j;
  j[std::string(key_name)] = std::string(id);
  j["status"] = f.expired ? "expired" : "ok";
  if (!f.expired) j["features"] = f.values;
  j["asOf"] = f.as_of;
  j["snapshotDate"] = f.snapshot_date;
  j["writtenAt"] = f.written_at;
  j["ttlHours"] = ttl_hours;
  return j;
}

StatusOr<TrainingSetResult> BuildTrainingSet(const config::Project& project,
                                             const TrainingSetOptions& options) {
  if (!AnyGroup(project.features)) return NoGroups();
  if (!std::filesystem::exists(options.labels))
    return Status::NotFound("labels file not found: " + options.labels);
  ASSIGN_OR_RETURN(lake::ReadSession session, OpenLake(project));
  lake::Connection& conn = *session.conn;

  const std::string src =
      "read_csv(" + SqlString(options.labels) + ", header = true, all_varchar = true, delim = ',')";
  {
    ASSIGN_OR_RETURN(lake::QueryResult head, conn.Query("SELECT * FROM " + src + " LIMIT 0"));
    std::vector<std::string> want = {"user_id", "item_id", "timestamp", "label"};
    if (head.column_names() != want) {
      return Status::InvalidArgument(
          options.labels + ": expected the columns user_id,item_id,timestamp,label; got " +
          Join(head.column_names(), ","));
    }
  }
  // Epoch seconds, or ISO-8601 (UTC unless it names a zone).
  RETURN_IF_ERROR(conn.Execute(
      "CREATE TEMP TABLE labels AS SELECT row_number() OVER () AS _row, user_id, item_id, "
      "\"timestamp\" AS raw_ts, coalesce(TRY_CAST(\"timestamp\" AS BIGINT), "
      "CAST(epoch(TRY_CAST(\"timestamp\" AS TIMESTAMPTZ)) AS BIGINT)) AS ts, label FROM " +
      src));
  ASSIGN_OR_RETURN(lake::QueryResult bad,
                   conn.Query("SELECT _row, raw_ts FROM labels WHERE ts IS NULL OR user_id IS "
                              "NULL OR item_id IS NULL ORDER BY _row LIMIT 1"));
  if (bad.row_count() > 0) {
    return Status::InvalidArgument(options.labels + ":" + std::to_string(bad.GetInt64(0, 0) + 1) +
                                   ": expected user_id, item_id and a timestamp (epoch seconds "
                                   "or ISO-8601); got timestamp \"" +
                                   bad.GetString(1, 0).value_or("") + "\"");
  }
  const std::string spine =
      "SELECT _row, user_id AS USER_ID, item_id AS ITEM_ID, ts AS _as_of FROM labels";
  std::string select = "SELECT l.user_id, l.item_id, l.ts AS \"timestamp\", l.label";
  std::string from = " FROM labels l";
  for (FeatureGroup g : kGroups) {
    const config::FeatureGroupConfig& c = project.features.group(g);
    if (!c.enabled) continue;
    const std::string name(config::FeatureGroupName(g));
    const std::string prefix = g == FeatureGroup::kUserItem ? "ui" : name;
    const std::string table = "pit_" + name;
    RETURN_IF_ERROR(conn.Execute("CREATE TEMP TABLE " + table + " AS " + FeatureSql(g, c, spine)));
    ASSIGN_OR_RETURN(lake::QueryResult cols, conn.Query("SELECT * FROM " + table + " LIMIT 0"));
    for (size_t i = 1 + KeyColumns(g).size(); i < cols.column_count(); ++i) {
      select += ", " + table + "." + SqlIdent(cols.column_name(i)) + " AS " +
                SqlIdent(prefix + "_" + cols.column_name(i));
    }
    from += " JOIN " + table + " USING (_row)";
  }
  const bool parquet =
      options.out.size() >= 8 && options.out.compare(options.out.size() - 8, 8, ".parquet") == 0;
  const std::string sql = select + from + " ORDER BY l._row";
  RETURN_IF_ERROR(CopyAtomically(conn, sql, options.out, parquet));
  TrainingSetResult result;
  ASSIGN_OR_RETURN(lake::QueryResult head, conn.Query(sql + " LIMIT 0"));
  result.columns = head.column_names();
  ASSIGN_OR_RETURN(std::optional<std::string> n, conn.QueryScalar("SELECT count(*) FROM labels"));
  result.rows = n ? std::stoull(*n) : 0;
  return result;
}

}  // namespace recmart::features
