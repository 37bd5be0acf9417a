// The A/B report: DuckDB scans and joins the logs; the statistics are C++.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "recmart/abtest/abtest.h"

namespace recmart::abtest {
namespace {

namespace fs = std::filesystem;
using lake::SqlString;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The segments of one log directory, sorted; none when it does not exist.
StatusOr<std::vector<std::string>> ListSegments(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!EndsWith(name, kSealedSuffix) && !EndsWith(name, kOpenSuffix)) continue;
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path().string());
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// File descriptors of the open segments a scan reads, closed when it ends.
// The server seals a segment by renaming it, possibly while DuckDB reads it;
// through /proc/self/fd/N DuckDB reads the file we opened, whatever its name
// has become (Linux).
class PinnedSegments {
 public:
  PinnedSegments() = default;
  PinnedSegments(const PinnedSegments&) = delete;
  PinnedSegments& operator=(const PinnedSegments&) = delete;
  ~PinnedSegments() {
    for (int fd : fds_) ::close(fd);
  }

  // A path that reads `path`'s file for as long as this object lives;
  // nullopt when no file has that name any more.
  StatusOr<std::optional<std::string>> Pin(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::optional<std::string>();
      return Status::IOError(path + ": " + std::strerror(errno));
    }
    fds_.push_back(fd);
    return std::optional<std::string>("/proc/self/fd/" + std::to_string(fd));
  }

 private:
  std::vector<int> fds_;
};

// The paths to read for a consistent view of the segments in `dir`: every
// line is read once, under whichever name its file had. Open segments are
// pinned in `pinned`; one sealed while we list is read under its new name.
StatusOr<std::vector<std::string>> SnapshotSegments(const std::string& dir,
                                                    PinnedSegments* pinned) {
  const std::string_view open_extra = ".open";  // kOpenSuffix = kSealedSuffix + ".open"
  ASSIGN_OR_RETURN(std::vector<std::string> listed, ListSegments(dir));
  auto listed_has = [&](const std::string& f) {
    return std::binary_search(listed.begin(), listed.end(), f);
  };
  std::vector<std::string> paths;
  for (const std::string& f : listed) {
    if (!EndsWith(f, kOpenSuffix)) {
      paths.push_back(f);
      continue;
    }
    const std::string sealed = f.substr(0, f.size() - open_extra.size());
    ASSIGN_OR_RETURN(std::optional<std::string> path, pinned->Pin(f));
    if (path) {
      paths.push_back(*path);
    } else if (!listed_has(sealed) && fs::exists(sealed)) {
      // Sealed since the listing. (A listing taken during the rename may
      // also hold both names: then the sealed one is read already.)
      paths.push_back(sealed);
    }
  }
  // readdir(3) during a rename may also return neither name: a sealed
  // segment the first listing missed under both is read too.
  ASSIGN_OR_RETURN(std::vector<std::string> again, ListSegments(dir));
  for (const std::string& f : again) {
    if (EndsWith(f, kSealedSuffix) && !listed_has(f) && !listed_has(f + ".open") &&
        std::find(paths.begin(), paths.end(), f) == paths.end()) {
      paths.push_back(f);
    }
  }
  return paths;
}

// Runs `make_sql(files, none)` (a statement reading `files`, an SQL list, or
// creating the empty table when there are `none`) over a snapshot of the
// segments of `dir`. Returns the number of files read. A failed read (say a
// sealed segment was removed by retention meanwhile) is retried on a fresh
// snapshot, a few times at most.
template <typename MakeSql>
StatusOr<uint64_t> ReadSegments(lake::Connection& con, const std::string& dir,
                                const MakeSql& make_sql) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    PinnedSegments pinned;
    ASSIGN_OR_RETURN(std::vector<std::string> files, SnapshotSegments(dir, &pinned));
    std::string list;
    for (const std::string& f : files) list += (list.empty() ? "" : ", ") + SqlString(f);
    Status status = con.Execute(make_sql("[" + list + "]", files.empty()));
    if (status.ok()) return files.size();
    if (attempt == kAttempts) return status.WithContext(dir);
  }
}

std::string InList(std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) return "false";
  std::string sql = std::string(column) + " IN (";
  for (size_t i = 0; i < values.size(); ++i) {
    std::string lower = values[i];
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    sql += (i ? ", " : "") + SqlString(lower);
  }
  return sql + ")";
}

uint64_t Count(const lake::QueryResult& r, size_t col) {
  return static_cast<uint64_t>(std::max<int64_t>(0, r.GetInt64(col, 0)));
}

// Loads the impression log into `imp` (one row per recommendationId, with the
// campaign and variant it is reported under) and fills the impression stats.
Status LoadImpressions(lake::Connection& con, const std::string& dir, LogStats* stats) {
  ASSIGN_OR_RETURN(
      stats->impression_files, ReadSegments(con, dir, [](const std::string& files, bool none) {
        if (none) {
          return std::string(
              "CREATE OR REPLACE TEMP TABLE imp_lines (rid VARCHAR, ts BIGINT, campaign VARCHAR, "
              "variant VARCHAR, model_version VARCHAR, items VARCHAR[])");
        }
        return "CREATE OR REPLACE TEMP TABLE imp_lines AS "
               "SELECT recommendationId AS rid, ts, campaign, variant, modelVersion AS "
               "model_version, items FROM read_json(" +
               files +
               ", format = 'newline_delimited', ignore_errors = true, columns = {"
               "recommendationId: 'VARCHAR', ts: 'BIGINT', campaign: 'VARCHAR', "
               "variant: 'VARCHAR', modelVersion: 'VARCHAR', items: 'VARCHAR[]'})";
      }));
  // A line without its key is unreadable: DuckDB turns a partial or malformed
  // line into a row of NULLs under ignore_errors. Without a campaign, the
  // model version stands for the variant.
  RETURN_IF_ERROR(con.Execute(
      fmt::format("CREATE OR REPLACE TEMP TABLE imp AS "
                  "SELECT DISTINCT ON (rid) rid, ts, "
                  "  CASE WHEN coalesce(campaign, '') = '' THEN {0} ELSE campaign END AS campaign, "
                  "  coalesce(nullif(CASE WHEN coalesce(campaign, '') = '' THEN model_version "
                  "                  ELSE variant END, ''), {0}) AS variant, "
                  "  coalesce(model_version, '') AS model_version, "
                  "  coalesce(items, []::VARCHAR[]) AS items "
                  "FROM imp_lines WHERE rid <> '' ORDER BY rid, ts NULLS LAST",
                  SqlString(kNoCampaign))));
  ASSIGN_OR_RETURN(lake::QueryResult r,
                   con.Query("SELECT (SELECT count(*) FROM imp_lines), "
                             "(SELECT count(*) FROM imp_lines WHERE rid <> ''), "
                             "(SELECT count(*) FROM imp)"));
  const uint64_t rows = Count(r, 0), valid = Count(r, 1), distinct = Count(r, 2);
  stats->impression_lines = valid;
  stats->skipped_impression_lines = rows - valid;
  stats->duplicate_impression_lines = valid - distinct;
  return con.Execute("DROP TABLE imp_lines");
}

// Loads the events that carry a recommendationId into `ev` (one row per
// eventId, the earliest received line kept) and fills the event stats.
// Needs `imp`.
Status LoadEvents(lake::Connection& con, const std::string& dir, LogStats* stats) {
  ASSIGN_OR_RETURN(
      stats->event_files, ReadSegments(con, dir, [](const std::string& files, bool none) {
        if (none) {
          return std::string(
              "CREATE OR REPLACE TEMP TABLE ev_lines (event_id VARCHAR, received_at BIGINT, "
              "rid VARCHAR, item_id VARCHAR, event_type VARCHAR, event_value DOUBLE)");
        }
        return "CREATE OR REPLACE TEMP TABLE ev_lines AS "
               "SELECT eventId AS event_id, receivedAt AS received_at, recommendationId AS rid, "
               "itemId AS item_id, lower(eventType) AS event_type, eventValue AS event_value "
               "FROM read_json(" +
               files +
               ", format = 'newline_delimited', ignore_errors = true, columns = {"
               "eventId: 'VARCHAR', receivedAt: 'BIGINT', eventType: 'VARCHAR', "
               "itemId: 'VARCHAR', eventValue: 'DOUBLE', recommendationId: 'VARCHAR'})";
      }));
  // Only events that carry a recommendationId can be attributed: `ev` keeps
  // those; the counts cover every line.
  const char* kValid = "event_id <> '' AND event_type IS NOT NULL";
  RETURN_IF_ERROR(con.Execute(
      fmt::format("CREATE OR REPLACE TEMP TABLE ev AS "
                  "SELECT DISTINCT ON (event_id) event_id, rid, item_id, event_type, event_value "
                  "FROM ev_lines WHERE {} AND rid <> '' ORDER BY event_id, received_at NULLS LAST",
                  kValid)));
  ASSIGN_OR_RETURN(
      lake::QueryResult r,
      con.Query(fmt::format(
          "SELECT count(*), count(*) FILTER (WHERE {0}), "
          "  count(DISTINCT event_id) FILTER (WHERE {0}), "
          "  count(DISTINCT event_id) FILTER (WHERE {0} AND coalesce(rid, '') = ''), "
          "  (SELECT count(*) FROM ev WHERE NOT EXISTS (SELECT 1 FROM imp WHERE imp.rid = ev.rid)) "
          "FROM ev_lines",
          kValid)));
  const uint64_t rows = Count(r, 0), valid = Count(r, 1);
  stats->event_lines = valid;
  stats->skipped_event_lines = rows - valid;
  stats->events = Count(r, 2);
  stats->duplicate_event_lines = valid - stats->events;
  stats->events_without_recommendation = Count(r, 3);
  stats->events_unknown_recommendation = Count(r, 4);
  return con.Execute("DROP TABLE ev_lines");
}

// Per (campaign, variant) counts of the selected impressions.
StatusOr<std::map<std::string, std::map<std::string, VariantReport>>> CountVariants(
    lake::Connection& con, const ReportOptions& options) {
  std::string where = "true";
  if (!options.campaign.empty()) where += " AND campaign = " + SqlString(options.campaign);
  if (options.since_ms) where += " AND ts >= " + std::to_string(*options.since_ms);
  if (options.until_ms) where += " AND ts < " + std::to_string(*options.until_ms);
  // An impression is clicked (converted) when at least one attributed event
  // is of a click (conversion) type; model versions are joined by \x1f.
  const std::string sql = fmt::format(
      "WITH sel AS (SELECT * FROM imp WHERE {where}), "
      "att AS ("
      "  SELECT sel.rid, coalesce(list_contains(sel.items, ev.item_id), false) AS matched,"
      "    ev.event_type, ev.event_value"
      "  FROM sel JOIN ev ON ev.rid = sel.rid), "
      "per_imp AS ("
      "  SELECT rid,"
      "    count(*) FILTER (WHERE matched) AS events,"
      "    count(*) FILTER (WHERE NOT matched) AS other_events,"
      "    bool_or(matched AND {clicks}) AS clicked,"
      "    bool_or(matched AND {conversions}) AS converted,"
      "    sum(event_value) FILTER (WHERE matched AND {conversions}) AS revenue"
      "  FROM att GROUP BY rid) "
      "SELECT sel.campaign, sel.variant, count(*),"
      "  count(*) FILTER (WHERE per_imp.clicked),"
      "  count(*) FILTER (WHERE per_imp.converted),"
      "  coalesce(sum(per_imp.events), 0), coalesce(sum(per_imp.other_events), 0),"
      "  coalesce(sum(per_imp.revenue), 0),"
      "  string_agg(DISTINCT sel.model_version, chr(31) ORDER BY sel.model_version)"
      "    FILTER (WHERE sel.model_version <> '') "
      "FROM sel LEFT JOIN per_imp ON per_imp.rid = sel.rid "
      "GROUP BY sel.campaign, sel.variant",
      fmt::arg("where", where), fmt::arg("clicks", InList("event_type", options.click_event_types)),
      fmt::arg("conversions", InList("event_type", options.conversion_event_types)));
  ASSIGN_OR_RETURN(lake::QueryResult r, con.Query(sql));
  std::map<std::string, std::map<std::string, VariantReport>> out;
  for (size_t row = 0; row < r.row_count(); ++row) {
    VariantReport v;
    v.name = r.GetString(1, row).value_or("");
    v.impressions = static_cast<uint64_t>(r.GetInt64(2, row));
    v.clicks = static_cast<uint64_t>(r.GetInt64(3, row));
    v.conversions = static_cast<uint64_t>(r.GetInt64(4, row));
    v.attributed_events = static_cast<uint64_t>(r.GetInt64(5, row));
    v.other_attributed_events = static_cast<uint64_t>(r.GetInt64(6, row));
    v.revenue = r.GetDouble(7, row);
    if (std::optional<std::string> versions = r.GetString(8, row)) {
      size_t start = 0;
      while (start <= versions->size()) {
        size_t end = versions->find('\x1f', start);
        if (end == std::string::npos) end = versions->size();
        v.model_versions.push_back(versions->substr(start, end - start));
        start = end + 1;
      }
    }
    const std::string campaign = r.GetString(0, row).value_or("");
    out[campaign][v.name] = std::move(v);
  }
  return out;
}

// Orders the variants (definition order, then the rest by name), picks the
// control and fills in what the definition knows.
CampaignReport Assemble(std::string name, std::map<std::string, VariantReport> counted,
                        const Campaign* definition) {
  CampaignReport c;
  c.name = std::move(name);
  if (definition != nullptr) {
    for (const Variant& d : definition->variants) {
      VariantReport v;
      if (auto it = counted.find(d.name); it != counted.end()) {
        v = std::move(it->second);
        counted.erase(it);
      }
      v.name = d.name;
      if (v.model_versions.empty() && !d.model_version.empty()) {
        v.model_versions.push_back(d.model_version);
      }
      c.variants.push_back(std::move(v));
    }
  }
  for (auto& [variant_name, v] : counted) c.variants.push_back(std::move(v));  // sorted by name
  if (!c.variants.empty()) c.control = c.variants.front().name;
  ComputeStatistics(&c);
  return c;
}

Rate MakeRate(uint64_t successes, uint64_t trials) {
  Rate r;
  r.successes = successes;
  r.trials = trials;
  r.value = trials == 0 ? 0 : static_cast<double>(successes) / static_cast<double>(trials);
  r.ci95 = WilsonInterval(successes, trials);
  return r;
}

Comparison Compare(const Rate& control, const Rate& variant) {
  Comparison c;
  c.absolute_lift = variant.value - control.value;
  if (control.value > 0) c.relative_lift = c.absolute_lift / control.value;
  ZTest t =
      TwoProportionZTest(control.successes, control.trials, variant.successes, variant.trials);
  c.z = t.z;
  c.p_value = t.p_value;
  c.significant = t.p_value < kSignificanceLevel;
  return c;
}

nlohmann::ordered_json RateJson(const Rate& r) {
  return {{"rate", r.value}, {"low", r.ci95.low}, {"high", r.ci95.high}};
}

nlohmann::ordered_json ComparisonJson(const std::optional<Comparison>& c) {
  if (!c) return nullptr;
  nlohmann::ordered_json j;
  j["absolute_lift"] = c->absolute_lift;
  j["relative_lift"] = c->relative_lift ? nlohmann::ordered_json(*c->relative_lift) : nullptr;
  j["z"] = c->z;
  j["p_value"] = c->p_value;
  j["significant"] = c->significant;
  return j;
}

}  // namespace

void ComputeStatistics(CampaignReport* campaign) {
  const VariantReport* control = nullptr;
  for (VariantReport& v : campaign->variants) {
    v.click_through = MakeRate(v.clicks, v.impressions);
    v.conversion = MakeRate(v.conversions, v.impressions);
    v.control = v.name == campaign->control;
    if (v.control) control = &v;
  }
  for (VariantReport& v : campaign->variants) {
    if (control == nullptr || v.control) {
      v.click_through_vs_control.reset();
      v.conversion_vs_control.reset();
      continue;
    }
    v.click_through_vs_control = Compare(control->click_through, v.click_through);
    v.conversion_vs_control = Compare(control->conversion, v.conversion);
  }
}

StatusOr<Report> BuildReport(const std::string& project_dir, const ReportOptions& options) {
  if (options.since_ms && options.until_ms && *options.since_ms >= *options.until_ms) {
    return Status::InvalidArgument("abtest report: since (" + std::to_string(*options.since_ms) +
                                   ") must be before until (" + std::to_string(*options.until_ms) +
                                   ")");
  }
  std::map<std::string, const Campaign*> definitions;
  for (const Campaign& c : options.campaigns) {
    RETURN_IF_ERROR(ValidateCampaign(c));
    if (!definitions.emplace(c.name, &c).second) {
      return Status::InvalidArgument("campaign '" + c.name + "' is defined twice");
    }
  }

  lake::DatabaseOptions db_options = options.database;
  if (db_options.temp_directory.empty()) {
    db_options.temp_directory = (fs::path(project_dir) / "live" / ".report-tmp").string();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<lake::Database> db, lake::Database::Open("", db_options));
  ASSIGN_OR_RETURN(lake::Connection con, db->Connect());

  Report report;
  RETURN_IF_ERROR(
      LoadImpressions(con, (fs::path(project_dir) / kImpressionsDir).string(), &report.logs));
  RETURN_IF_ERROR(LoadEvents(con, (fs::path(project_dir) / kEventsDir).string(), &report.logs));
  ASSIGN_OR_RETURN(auto counted, CountVariants(con, options));

  // Defined campaigns appear even without impressions.
  for (const auto& [name, definition] : definitions) {
    if (options.campaign.empty() || options.campaign == name) counted.try_emplace(name);
  }
  for (auto& [name, variants] : counted) {
    auto it = definitions.find(name);
    report.campaigns.push_back(
        Assemble(name, std::move(variants), it == definitions.end() ? nullptr : it->second));
  }
  // "(none)" last: it is not an experiment.
  std::stable_partition(report.campaigns.begin(), report.campaigns.end(),
                        [](const CampaignReport& c) { return c.name != kNoCampaign; });
  return report;
}

std::string ReportToJson(const Report& report, int indent) {
  nlohmann::ordered_json campaigns = nlohmann::ordered_json::array();
  for (const CampaignReport& c : report.campaigns) {
    nlohmann::ordered_json variants = nlohmann::ordered_json::array();
    for (const VariantReport& v : c.variants) {
      nlohmann::ordered_json j;
      j["name"] = v.name;
      j["model_versions"] = v.model_versions;
      j["control"] = v.control;
      j["impressions"] = v.impressions;
      j["clicks"] = v.clicks;
      j["conversions"] = v.conversions;
      j["attributed_events"] = v.attributed_events;
      j["other_attributed_events"] = v.other_attributed_events;
      j["revenue"] = v.revenue;
      j["click_through"] = RateJson(v.click_through);
      j["conversion"] = RateJson(v.conversion);
      j["click_through_vs_control"] = ComparisonJson(v.click_through_vs_control);
      j["conversion_vs_control"] = ComparisonJson(v.conversion_vs_control);
      variants.push_back(std::move(j));
    }
    campaigns.push_back({{"name", c.name}, {"control", c.control}, {"variants", variants}});
  }
  const LogStats& s = report.logs;
  nlohmann::ordered_json logs = {
      {"impression_files", s.impression_files},
      {"event_files", s.event_files},
      {"impression_lines", s.impression_lines},
      {"duplicate_impression_lines", s.duplicate_impression_lines},
      {"skipped_impression_lines", s.skipped_impression_lines},
      {"event_lines", s.event_lines},
      {"duplicate_event_lines", s.duplicate_event_lines},
      {"skipped_event_lines", s.skipped_event_lines},
      {"events", s.events},
      {"events_without_recommendation", s.events_without_recommendation},
      {"events_unknown_recommendation", s.events_unknown_recommendation},
  };
  nlohmann::ordered_json out;
  out["campaigns"] = std::move(campaigns);
  out["logs"] = std::move(logs);
  return out.dump(indent);
}

}  // namespace recmart::abtest
