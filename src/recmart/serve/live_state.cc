#include "recmart/serve/live_state.h"

#include <filesystem>
#include <limits>
#include <unordered_map>

#include "recmart/abtest/abtest.h"
#include "recmart/catalog/catalog.h"
#include "recmart/common/fs.h"
#include "recmart/lake/lake.h"
#include "recmart/serve/live_log.h"

namespace recmart::serve {

namespace {

namespace fs = std::filesystem;

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : p.string();
}

// Segment path (canonical) -> the ETL run that ingested it.
using Ingested = std::unordered_map<std::string, int64_t>;

// Reads the lake's users into a new base for `live` and, when `ingested` is
// set, the files the ETL has processed -- in one read session, so the users
// table includes exactly the ingested files. Returns the number of users with
// metadata; 0 (and nothing else done) when the project has no lake yet.
StatusOr<uint64_t> ReadLake(const config::Project& project, LiveStore& live, Ingested* ingested) {
  std::error_code ec;
  if (project.catalog_path.empty() || !fs::exists(project.catalog_path, ec)) return 0;
  lake::DatabaseOptions dbo;
  dbo.memory_limit = project.etl.memory_limit;
  dbo.threads = project.etl.threads;
  ASSIGN_OR_RETURN(lake::ReadSession session,
                   lake::ReadSession::Open(project.catalog_path, project.lake_root, dbo));
  ASSIGN_OR_RETURN(
      lake::QueryResult q,
      session.conn->Query("SELECT USER_ID, SEGMENT, COUNTRY, CREATION_TIMESTAMP FROM users "
                          "WHERE USER_ID IS NOT NULL AND (SEGMENT IS NOT NULL OR COUNTRY IS NOT "
                          "NULL OR CREATION_TIMESTAMP IS NOT NULL) ORDER BY USER_ID"));
  auto base = std::make_shared<BaseRecords>(kUserFieldDefs);
  Record r;
  for (size_t row = 0; row < q.row_count(); ++row) {
    r.strings.assign(kUserFieldDefs.size(), "");
    r.numbers.assign(kUserFieldDefs.size(), std::numeric_limits<double>::quiet_NaN());
    r.present = 0;
    for (size_t f = 0; f < kUserFieldDefs.size(); ++f) {
      const size_t col = f + 1;  // SEGMENT, COUNTRY, CREATION_TIMESTAMP in kUserFieldDefs order
      if (q.IsNull(col, row)) continue;
      if (kUserFieldDefs[f].type == filter::FieldType::kString) {
        r.strings[f] = q.GetString(col, row).value_or("");
      } else {
        r.numbers[f] = static_cast<double>(q.GetInt64(col, row));
      }
      r.present |= 1u << f;
    }
    base->Add(q.GetString(0, row).value_or(""), r);
  }
  const uint64_t users = base->size();
  live.SetUserBase(std::move(base));
  if (ingested != nullptr) {
    ASSIGN_OR_RETURN(std::vector<std::string> sources, session.catalog->SourceNames());
    for (const std::string& s : sources) {
      ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> files, session.catalog->ProcessedFiles(s));
      for (const catalog::FileRecord& f : files) {
        (*ingested)[Canonical(ResolvePath(project.dir, f.path))] = f.run_id;
      }
    }
  }
  return users;
}

// The ETL run of the lake snapshot `bundle` was trained on; 0 when unknown
// (trained outside a lake).
int64_t SnapshotRun(const engine::ModelBundle& bundle) {
  const nlohmann::json& m = bundle.manifest();
  auto snap = m.find("snapshot");
  if (snap == m.end() || !snap->is_object()) return 0;
  auto run = snap->find("etl_run");
  return run != snap->end() && run->is_number_integer() ? run->get<int64_t>() : 0;
}

// Calls `fn` with every complete line of `path`; counts a non-empty
// unterminated tail in `bad`.
Status ForEachLine(const std::string& path, uint64_t* bad,
                   const std::function<bool(std::string_view)>& fn) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      ++*bad;
      break;
    }
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!fn(line)) ++*bad;
  }
  return Status::OK();
}

}  // namespace

std::string LiveStateStats::Summary() const {
  return std::to_string(lake_users) + " lake users, " + std::to_string(segments) +
         " log segments replayed (" + std::to_string(events) + " events, " + std::to_string(items) +
         " items, " + std::to_string(users) + " users" +
         (bad_lines ? ", " + std::to_string(bad_lines) + " incomplete lines skipped" : "") + "), " +
         std::to_string(skipped_segments) + " already in the model or the lake";
}

StatusOr<uint64_t> LoadLakeUsers(const config::Project& project, LiveStore& live) {
  return ReadLake(project, live, nullptr);
}

StatusOr<LiveStateStats> LoadLiveState(Recommender& rec, const std::string& project_dir) {
  LiveStateStats stats;
  Ingested ingested;
  ASSIGN_OR_RETURN(stats.lake_users, ReadLake(rec.project(), rec.live(), &ingested));
  const int64_t model_run = SnapshotRun(*rec.models()->live->bundle);
  auto already_in = [&](const std::string& path, LiveLogKind kind) {
    auto it = ingested.find(Canonical(path));
    if (it == ingested.end() || it->second <= 0) return false;
    return kind == LiveLogKind::kUsers || it->second <= model_run;
  };

  for (LiveLogKind kind : {LiveLogKind::kEvents, LiveLogKind::kItems, LiveLogKind::kUsers}) {
    const std::string dir = LiveLogDir(project_dir, kind);
    ASSIGN_OR_RETURN(std::vector<std::string> segments, ListSegments(dir, LiveLogName(kind)));
    std::vector<std::pair<std::string, Record>> records;
    for (const std::string& path : segments) {
      if (already_in(path, kind)) {
        ++stats.skipped_segments;
        continue;
      }
      ++stats.segments;
      auto line_fn = [&](std::string_view line) {
        if (kind == LiveLogKind::kEvents) {
          std::optional<LoggedLiveEvent> e = ParseLiveEventLine(line);
          if (!e) return false;
          rec.live().AddEvents(e->key, std::span<const LiveEvent>(&e->event, 1));
          ++stats.events;
          return true;
        }
        std::optional<std::pair<std::string, Record>> r = ParseRecordLine(kind, line);
        if (!r) return false;
        records.push_back(std::move(*r));
        ++(kind == LiveLogKind::kItems ? stats.items : stats.users);
        return true;
      };
      Status s = ForEachLine(path, &stats.bad_lines, line_fn);
      // A running server sealed (renamed) it since it was listed: nothing of
      // it was read, so read it under its sealed name.
      if (s.code() == StatusCode::kNotFound && path.ends_with(abtest::kOpenSuffix)) {
        s = ForEachLine(path.substr(0, path.size() - std::string_view(abtest::kOpenSuffix).size()) +
                            abtest::kSealedSuffix,
                        &stats.bad_lines, line_fn);
      }
      if (!s.ok()) return s.WithContext("replaying " + path);
    }
    if (records.empty()) continue;
    if (kind == LiveLogKind::kItems) {
      rec.live().PutItems(std::move(records));
    } else {
      rec.live().PutUsers(std::move(records));
    }
  }
  return stats;
}

}  // namespace recmart::serve
