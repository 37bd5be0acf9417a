#include "recmart/catalog/catalog.h"

#include <charconv>
#include <chrono>

#include "recmart/catalog/sqlite.h"
#include "recmart/common/clock.h"

namespace recmart::catalog {
namespace {

constexpr int kSchemaVersion = 1;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, format TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS schema_versions (
  source TEXT NOT NULL, version INTEGER NOT NULL, file TEXT NOT NULL,
  detected_at INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (source, version));
CREATE TABLE IF NOT EXISTS schema_columns (
  source TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
  name TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (source, version, position));
CREATE TABLE IF NOT EXISTS files (
  source TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  run_id INTEGER NOT NULL, rows INTEGER NOT NULL, processed_at INTEGER NOT NULL,
  PRIMARY KEY (source, path));
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, state TEXT NOT NULL,
  started_at INTEGER NOT NULL, finished_at INTEGER, error TEXT NOT NULL DEFAULT '',
  stats_json TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS reconciliation (
  run_id INTEGER NOT NULL, source TEXT NOT NULL, day TEXT NOT NULL, raw INTEGER NOT NULL,
  accepted INTEGER NOT NULL, quarantined INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  PRIMARY KEY (run_id, source, day));
CREATE TABLE IF NOT EXISTS quarantine_reasons (
  run_id INTEGER NOT NULL, source TEXT NOT NULL, day TEXT NOT NULL, reason TEXT NOT NULL,
  rows INTEGER NOT NULL, PRIMARY KEY (run_id, source, day, reason));
CREATE TABLE IF NOT EXISTS lake_files (
  path TEXT PRIMARY KEY, table_name TEXT NOT NULL, partition TEXT NOT NULL,
  rows INTEGER NOT NULL, bytes INTEGER NOT NULL, run_id INTEGER NOT NULL,
  state TEXT NOT NULL);  -- live | garbage
CREATE INDEX IF NOT EXISTS lake_files_table ON lake_files (table_name, state);
CREATE TABLE IF NOT EXISTS workflow_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, trigger TEXT NOT NULL, state TEXT NOT NULL,
  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
  params_file TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS workflow_jobs (
  run_id INTEGER NOT NULL, position INTEGER NOT NULL, job TEXT NOT NULL, type TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL, started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL, rows_in INTEGER NOT NULL, rows_out INTEGER NOT NULL,
  metrics_json TEXT NOT NULL, output_json TEXT NOT NULL, error TEXT NOT NULL,
  PRIMARY KEY (run_id, job));
CREATE TABLE IF NOT EXISTS pending_moves (
  run_id INTEGER NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (run_id, src));
)sql";

}  // namespace

std::string SchemaChange::ToString() const {
  switch (kind) {
    case Kind::kAdded:
      return "column '" + column + "' added (" + new_type + ")";
    case Kind::kRemoved:
      return "column '" + column + "' removed (was " + old_type + ")";
    case Kind::kRetyped:
      return "column '" + column + "' retyped from " + old_type + " to " + new_type;
  }
  return "";
}

std::vector<SchemaChange> DiffSchemas(const std::vector<ColumnSchema>& before,
                                      const std::vector<ColumnSchema>& after) {
  std::vector<SchemaChange> out;
  auto find = [](const std::vector<ColumnSchema>& v,
                 const std::string& name) -> const ColumnSchema* {
    for (const auto& c : v) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  for (const auto& c : before) {
    const ColumnSchema* a = find(after, c.name);
    if (!a)
      out.push_back({SchemaChange::Kind::kRemoved, c.name, c.type, ""});
    else if (a->type != c.type)
      out.push_back({SchemaChange::Kind::kRetyped, c.name, c.type, a->type});
  }
  for (const auto& c : after) {
    if (!find(before, c.name)) out.push_back({SchemaChange::Kind::kAdded, c.name, "", c.type});
  }
  return out;
}

Catalog::Catalog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
Catalog::~Catalog() = default;

const std::string& Catalog::path() const { return db_->path(); }

StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  std::unique_ptr<Catalog> c(new Catalog(std::move(db)));
  RETURN_IF_ERROR(c->Migrate());
  return c;
}

Status Catalog::Migrate() {
  return db_->Transaction([&]() -> Status {
    RETURN_IF_ERROR(db_->Exec(kSchema));
    ASSIGN_OR_RETURN(SqliteStatement st,
                     db_->Prepare("SELECT value FROM meta WHERE key='schema_version'"));
    ASSIGN_OR_RETURN(bool has, st.Step());
    if (has) {
      std::string text = st.ColumnText(0);
      int v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Status::DataLoss("catalog " + db_->path() + ": damaged schema_version '" + text +
                                "'");
      }
      if (v > kSchemaVersion) {
        return Status::FailedPrecondition("catalog " + db_->path() + " has schema version " +
                                          std::to_string(v) + ", newer than this recmart (" +
                                          std::to_string(kSchemaVersion) + ")");
      }
      return Status::OK();
    }
    ASSIGN_OR_RETURN(SqliteStatement ins,
                     db_->Prepare("INSERT INTO meta VALUES ('schema_version', ?)"));
    return ins.Bind(1, std::to_string(kSchemaVersion)).Run();
  });
}

Status Catalog::UpsertSource(const std::string& name, const std::string& kind,
                             const std::string& path, const std::string& format) {
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare(
          "INSERT INTO sources VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(name) DO UPDATE SET "
          "kind=?2, path=?3, format=?4, updated_at=?5 "
          "WHERE kind<>?2 OR path<>?3 OR format<>?4"));
  return st.Bind(1, name).Bind(2, kind).Bind(3, path).Bind(4, format).Bind(5, UnixSeconds()).Run();
}

StatusOr<std::vector<std::string>> Catalog::SourceNames() {
  ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare("SELECT name FROM sources ORDER BY name"));
  std::vector<std::string> out;
  RETURN_IF_ERROR(
      st.ForEachRow([&](const SqliteStatement& row) { out.push_back(row.ColumnText(0)); }));
  return out;
}

StatusOr<std::vector<SchemaVersion>> Catalog::SchemaHistory(const std::string& source) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("SELECT version, file, detected_at, state FROM schema_versions "
                                "WHERE source=? ORDER BY version"));
  st.Bind(1, source);
  std::vector<SchemaVersion> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    SchemaVersion v;
    v.source = source;
    v.version = static_cast<int>(row.ColumnInt(0));
    v.file = row.ColumnText(1);
    v.detected_at = row.ColumnInt(2);
    v.state = row.ColumnText(3);
    out.push_back(std::move(v));
  }));
  ASSIGN_OR_RETURN(SqliteStatement cols,
                   db_->Prepare("SELECT version, name, type FROM schema_columns WHERE source=? "
                                "ORDER BY version, position"));
  cols.Bind(1, source);
  RETURN_IF_ERROR(cols.ForEachRow([&](const SqliteStatement& row) {
    int version = static_cast<int>(row.ColumnInt(0));
    for (auto& v : out) {
      if (v.version == version) v.columns.push_back({row.ColumnText(1), row.ColumnText(2)});
    }
  }));
  return out;
}

StatusOr<std::optional<SchemaVersion>> Catalog::CurrentSchema(const std::string& source) {
  ASSIGN_OR_RETURN(std::vector<SchemaVersion> all, SchemaHistory(source));
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->state == "current") return std::optional<SchemaVersion>(*it);
  }
  return std::optional<SchemaVersion>();
}

StatusOr<int> Catalog::AddSchemaVersion(const std::string& source,
                                        const std::vector<ColumnSchema>& columns,
                                        const std::string& file, const std::string& state) {
  int version = 0;
  Status s = db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(
        SqliteStatement mx,
        db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_versions WHERE source=?"));
    mx.Bind(1, source);
    ASSIGN_OR_RETURN(bool row, mx.Step());
    (void)row;
    version = static_cast<int>(mx.ColumnInt(0)) + 1;
    if (state == "current") {
      ASSIGN_OR_RETURN(
          SqliteStatement up,
          db_->Prepare(
              "UPDATE schema_versions SET state='superseded' WHERE source=? AND state='current'"));
      RETURN_IF_ERROR(up.Bind(1, source).Run());
    }
    ASSIGN_OR_RETURN(SqliteStatement ins,
                     db_->Prepare("INSERT INTO schema_versions VALUES (?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(ins.Bind(1, source)
                        .Bind(2, int64_t{version})
                        .Bind(3, file)
                        .Bind(4, UnixSeconds())
                        .Bind(5, state)
                        .Run());
    for (size_t i = 0; i < columns.size(); ++i) {
      ASSIGN_OR_RETURN(SqliteStatement c,
                       db_->Prepare("INSERT INTO schema_columns VALUES (?, ?, ?, ?, ?)"));
      RETURN_IF_ERROR(c.Bind(1, source)
                          .Bind(2, int64_t{version})
                          .Bind(3, static_cast<int64_t>(i))
                          .Bind(4, columns[i].name)
                          .Bind(5, columns[i].type)
                          .Run());
    }
    return Status::OK();
  });
  RETURN_IF_ERROR(s);
  return version;
}

StatusOr<std::vector<FileRecord>> Catalog::ProcessedFiles(const std::string& source) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("SELECT path, size, mtime_ns, run_id, rows, processed_at FROM "
                                "files WHERE source=? ORDER BY path"));
  st.Bind(1, source);
  std::vector<FileRecord> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    FileRecord f;
    f.source = source;
    f.path = row.ColumnText(0);
    f.size = static_cast<uint64_t>(row.ColumnInt(1));
    f.mtime_ns = row.ColumnInt(2);
    f.run_id = row.ColumnInt(3);
    f.rows = static_cast<uint64_t>(row.ColumnInt(4));
    f.processed_at = row.ColumnInt(5);
    out.push_back(std::move(f));
  }));
  return out;
}

StatusOr<int64_t> Catalog::ResetBookmarks(const std::string& source) {
  ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare("DELETE FROM files WHERE source=?"));
  RETURN_IF_ERROR(st.Bind(1, source).Run());
  ASSIGN_OR_RETURN(SqliteStatement ch, db_->Prepare("SELECT changes()"));
  ASSIGN_OR_RETURN(bool row, ch.Step());
  (void)row;
  return ch.ColumnInt(0);
}

namespace {
Status InsertFile(SqliteDb* db, const FileRecord& f, int64_t run_id) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db->Prepare("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)"));
  return st.Bind(1, f.source)
      .Bind(2, f.path)
      .Bind(3, static_cast<int64_t>(f.size))
      .Bind(4, f.mtime_ns)
      .Bind(5, run_id)
      .Bind(6, static_cast<int64_t>(f.rows))
      .Bind(7, UnixSeconds())
      .Run();
}
}  // namespace

Status Catalog::SetBookmarks(const std::vector<FileRecord>& files) {
  return db_->Transaction([&]() -> Status {
    for (const auto& f : files) RETURN_IF_ERROR(InsertFile(db_.get(), f, f.run_id));
    return Status::OK();
  });
}

StatusOr<int64_t> Catalog::BeginRun(const std::string& kind) {
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare("INSERT INTO runs (kind, state, started_at) VALUES (?, 'running', ?)"));
  RETURN_IF_ERROR(st.Bind(1, kind).Bind(2, UnixSeconds()).Run());
  return db_->LastInsertRowId();
}

Status Catalog::FinishRun(int64_t run_id, const std::string& state, const std::string& error,
                          const std::string& stats_json) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("UPDATE runs SET state=?, finished_at=?, error=?, "
                                "stats_json=CASE WHEN ?='' THEN stats_json ELSE ? END WHERE id=?"));
  return st.Bind(1, state)
      .Bind(2, UnixSeconds())
      .Bind(3, error)
      .Bind(4, stats_json)
      .Bind(5, stats_json)
      .Bind(6, run_id)
      .Run();
}

namespace {
RunRecord ReadRun(const SqliteStatement& st) {
  RunRecord r;
  r.id = st.ColumnInt(0);
  r.kind = st.ColumnText(1);
  r.state = st.ColumnText(2);
  r.started_at = st.ColumnInt(3);
  r.finished_at = st.ColumnIsNull(4) ? 0 : st.ColumnInt(4);
  r.error = st.ColumnText(5);
  r.stats_json = st.ColumnText(6);
  return r;
}
constexpr char kRunColumns[] = "id, kind, state, started_at, finished_at, error, stats_json";
}  // namespace

StatusOr<std::vector<RunRecord>> Catalog::ListRuns(int limit) {
  ASSIGN_OR_RETURN(SqliteStatement st, db_->Prepare(std::string("SELECT ") + kRunColumns +
                                                    " FROM runs ORDER BY id DESC LIMIT ?"));
  st.Bind(1, int64_t{limit});
  std::vector<RunRecord> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) { out.push_back(ReadRun(row)); }));
  return out;
}

StatusOr<std::optional<RunRecord>> Catalog::GetRun(int64_t run_id) {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id=?"));
  st.Bind(1, run_id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RunRecord>();
  return std::optional<RunRecord>(ReadRun(st));
}

Status Catalog::CommitRun(const RunCommit& c) {
  return db_->Transaction([&]() -> Status {
    for (const auto& f : c.files) RETURN_IF_ERROR(InsertFile(db_.get(), f, c.run_id));
    for (const auto& r : c.reconciliation) {
      ASSIGN_OR_RETURN(SqliteStatement st,
                       db_->Prepare("INSERT INTO reconciliation VALUES (?, ?, ?, ?, ?, ?, ?)"));
      RETURN_IF_ERROR(st.Bind(1, c.run_id)
                          .Bind(2, r.source)
                          .Bind(3, r.day)
                          .Bind(4, static_cast<int64_t>(r.raw))
                          .Bind(5, static_cast<int64_t>(r.accepted))
                          .Bind(6, static_cast<int64_t>(r.quarantined))
                          .Bind(7, static_cast<int64_t>(r.duplicates))
                          .Run());
    }
    for (const auto& q : c.reasons) {
      ASSIGN_OR_RETURN(SqliteStatement st,
                       db_->Prepare("INSERT INTO quarantine_reasons VALUES (?, ?, ?, ?, ?)"));
      RETURN_IF_ERROR(st.Bind(1, c.run_id)
                          .Bind(2, q.source)
                          .Bind(3, q.day)
                          .Bind(4, q.reason)
                          .Bind(5, static_cast<int64_t>(q.rows))
                          .Run());
    }
    for (const auto& p : c.removed) {
      ASSIGN_OR_RETURN(
          SqliteStatement st,
          db_->Prepare("UPDATE lake_files SET state='garbage' WHERE path=? AND state='live'"));
      RETURN_IF_ERROR(st.Bind(1, p).Run());
    }
    for (const auto& f : c.added) {
      ASSIGN_OR_RETURN(
          SqliteStatement st,
          db_->Prepare("INSERT OR REPLACE INTO lake_files VALUES (?, ?, ?, ?, ?, ?, 'live')"));
      RETURN_IF_ERROR(st.Bind(1, f.path)
                          .Bind(2, f.table)
                          .Bind(3, f.partition)
                          .Bind(4, static_cast<int64_t>(f.rows))
                          .Bind(5, static_cast<int64_t>(f.bytes))
                          .Bind(6, c.run_id)
                          .Run());
    }
    for (const auto& m : c.moves) {
      ASSIGN_OR_RETURN(SqliteStatement st,
                       db_->Prepare("INSERT INTO pending_moves VALUES (?, ?, ?)"));
      RETURN_IF_ERROR(st.Bind(1, c.run_id).Bind(2, m.from).Bind(3, m.to).Run());
    }
    ASSIGN_OR_RETURN(SqliteStatement st,
                     db_->Prepare("UPDATE runs SET state='committing', stats_json=? WHERE id=?"));
    return st.Bind(1, c.stats_json).Bind(2, c.run_id).Run();
  });
}

Status Catalog::FinishCommit(int64_t run_id) {
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(SqliteStatement del, db_->Prepare("DELETE FROM pending_moves WHERE run_id=?"));
    RETURN_IF_ERROR(del.Bind(1, run_id).Run());
    ASSIGN_OR_RETURN(SqliteStatement st,
                     db_->Prepare("UPDATE runs SET state='succeeded', finished_at=? WHERE id=?"));
    return st.Bind(1, UnixSeconds()).Bind(2, run_id).Run();
  });
}

StatusOr<std::vector<PendingMove>> Catalog::PendingMoves() {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("SELECT run_id, src, dst FROM pending_moves ORDER BY run_id, src"));
  std::vector<PendingMove> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    out.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2)});
  }));
  return out;
}

Status Catalog::AbandonRunningRuns() {
  return db_->Exec(
      "UPDATE runs SET state='failed', finished_at=strftime('%s','now'), "
      "error='interrupted (the process ended before the run finished)' WHERE state='running'");
}

namespace {
StatusOr<std::vector<LakeFile>> ReadLakeFiles(SqliteStatement& st) {
  std::vector<LakeFile> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    LakeFile f;
    f.path = row.ColumnText(0);
    f.table = row.ColumnText(1);
    f.partition = row.ColumnText(2);
    f.rows = static_cast<uint64_t>(row.ColumnInt(3));
    f.bytes = static_cast<uint64_t>(row.ColumnInt(4));
    f.run_id = row.ColumnInt(5);
    out.push_back(std::move(f));
  }));
  return out;
}
constexpr char kLakeFileColumns[] = "path, table_name, partition, rows, bytes, run_id";
}  // namespace

StatusOr<std::vector<LakeFile>> Catalog::LiveFiles(const std::string& table) {
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare(std::string("SELECT ") + kLakeFileColumns +
                   " FROM lake_files WHERE table_name=? AND state='live' ORDER BY path"));
  st.Bind(1, table);
  return ReadLakeFiles(st);
}

StatusOr<std::vector<LakeFile>> Catalog::AllLiveFiles() {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare(std::string("SELECT ") + kLakeFileColumns +
                                " FROM lake_files WHERE state='live' ORDER BY table_name, path"));
  return ReadLakeFiles(st);
}

StatusOr<std::vector<std::string>> Catalog::GarbageFiles() {
  ASSIGN_OR_RETURN(SqliteStatement st,
                   db_->Prepare("SELECT path FROM lake_files WHERE state='garbage' ORDER BY path"));
  std::vector<std::string> out;
  RETURN_IF_ERROR(
      st.ForEachRow([&](const SqliteStatement& row) { out.push_back(row.ColumnText(0)); }));
  return out;
}

Status Catalog::ForgetGarbage(const std::vector<std::string>& paths) {
  return db_->Transaction([&]() -> Status {
    for (const auto& p : paths) {
      ASSIGN_OR_RETURN(SqliteStatement st,
                       db_->Prepare("DELETE FROM lake_files WHERE path=? AND state='garbage'"));
      RETURN_IF_ERROR(st.Bind(1, p).Run());
    }
    return Status::OK();
  });
}

StatusOr<std::vector<ReconRow>> Catalog::Reconciliation(int64_t run_id) {
  if (run_id == 0) {
    ASSIGN_OR_RETURN(SqliteStatement mx,
                     db_->Prepare("SELECT COALESCE(MAX(run_id), 0) FROM reconciliation"));
    ASSIGN_OR_RETURN(bool row, mx.Step());
    (void)row;
    run_id = mx.ColumnInt(0);
  }
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare(
          "SELECT run_id, source, day, raw, accepted, quarantined, duplicates FROM reconciliation "
          "WHERE run_id=? ORDER BY source, day"));
  st.Bind(1, run_id);
  std::vector<ReconRow> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    ReconRow r;
    r.run_id = row.ColumnInt(0);
    r.source = row.ColumnText(1);
    r.day = row.ColumnText(2);
    r.raw = static_cast<uint64_t>(row.ColumnInt(3));
    r.accepted = static_cast<uint64_t>(row.ColumnInt(4));
    r.quarantined = static_cast<uint64_t>(row.ColumnInt(5));
    r.duplicates = static_cast<uint64_t>(row.ColumnInt(6));
    out.push_back(std::move(r));
  }));
  return out;
}

StatusOr<std::vector<QuarantineCount>> Catalog::QuarantineReasons(int64_t run_id) {
  ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_->Prepare(
          "SELECT run_id, source, day, reason, rows FROM quarantine_reasons WHERE run_id=? "
          "ORDER BY source, day, reason"));
  st.Bind(1, run_id);
  std::vector<QuarantineCount> out;
  RETURN_IF_ERROR(st.ForEachRow([&](const SqliteStatement& row) {
    out.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3),
                   static_cast<uint64_t>(row.ColumnInt(4))});
  }));
  return out;
}

}  // namespace recmart::catalog
