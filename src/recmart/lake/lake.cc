#include "recmart/lake/lake.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace recmart::lake {
namespace fs = std::filesystem;

StatusOr<std::unique_ptr<Lake>> Lake::Open(const std::string& root, catalog::Catalog* catalog) {
  std::error_code ec;
  std::string abs = fs::absolute(root, ec).lexically_normal().string();
  if (ec) return Status::IOError(root + ": " + ec.message());
  fs::create_directories(fs::path(abs) / "_recmart", ec);
  if (ec) return Status::IOError(abs + ": cannot create lake directory: " + ec.message());
  return std::unique_ptr<Lake>(new Lake(abs, catalog));
}

std::string Lake::InternalDir() const { return root_ + "/_recmart"; }

std::string Lake::StagingDir(int64_t run_id) const {
  return root_ + "/_staging/run-" + std::to_string(run_id);
}

StatusOr<FileLock> Lake::LockForWrite(bool wait) const {
  return FileLock::Acquire(InternalDir() + "/write.lock", "the lake " + root_ + " (another run)",
                           wait ? FileLock::Mode::kExclusiveWait : FileLock::Mode::kExclusiveTry);
}

StatusOr<FileLock> Lake::LockForRead() const {
  return FileLock::Acquire(InternalDir() + "/commit.lock", "the lake's commit lock",
                           FileLock::Mode::kSharedWait);
}

Status Lake::Recover() {
  ASSIGN_OR_RETURN(FileLock commit_lock,
                   FileLock::Acquire(InternalDir() + "/commit.lock", "the lake's commit lock",
                                     FileLock::Mode::kExclusiveWait));
  ASSIGN_OR_RETURN(std::vector<catalog::PendingMove> moves, catalog_->PendingMoves());
  std::vector<int64_t> runs;
  for (const auto& m : moves) {
    std::error_code ec;
    if (fs::exists(m.from, ec)) {
      fs::create_directories(fs::path(m.to).parent_path(), ec);
      RETURN_IF_ERROR(RenameDurable(m.from, m.to));
    } else if (!fs::exists(m.to, ec)) {
      return Status::DataLoss("lake recovery: run " + std::to_string(m.run_id) + " committed " +
                              m.to + " but neither it nor its staged copy " + m.from + " exists");
    }
    if (runs.empty() || runs.back() != m.run_id) runs.push_back(m.run_id);
  }
  for (int64_t run : runs) RETURN_IF_ERROR(catalog_->FinishCommit(run));
  // A run committed with nothing to move, killed before FinishCommit.
  ASSIGN_OR_RETURN(std::vector<catalog::RunRecord> recent, catalog_->ListRuns(1000));
  for (const auto& r : recent) {
    if (r.state == "committing") RETURN_IF_ERROR(catalog_->FinishCommit(r.id));
  }
  RETURN_IF_ERROR(catalog_->AbandonRunningRuns());
  RETURN_IF_ERROR(CollectGarbage());
  std::error_code ec;
  fs::remove_all(root_ + "/_staging", ec);
  if (ec) return Status::IOError(root_ + "/_staging: cannot clean: " + ec.message());
  return Status::OK();
}

Status Lake::CollectGarbage() {
  ASSIGN_OR_RETURN(std::vector<std::string> garbage, catalog_->GarbageFiles());
  for (const auto& rel : garbage) {
    std::error_code ec;
    fs::path p = fs::path(root_) / rel;
    fs::remove(p, ec);
    if (ec) return Status::IOError(p.string() + ": cannot delete: " + ec.message());
    // Drop the partition directory once it is empty (a retired partition).
    fs::path dir = p.parent_path();
    if (dir != fs::path(root_) && fs::is_empty(dir, ec)) fs::remove(dir, ec);
  }
  return catalog_->ForgetGarbage(garbage);
}

StatusOr<std::vector<StagedFile>> Lake::Stage(Connection& conn, int64_t run_id,
                                              const TableDef& table, std::string_view select_sql,
                                              std::string_view compression,
                                              std::string_view name_prefix) {
  std::string dir = StagingDir(run_id) + "/" + std::string(table.name);
  if (!name_prefix.empty()) dir += "/" + std::string(name_prefix);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::string pattern = "part-r" + std::to_string(run_id) + "-" +
                        (name_prefix.empty() ? "" : std::string(name_prefix) + "-") + "{i}";
  std::string sql = "COPY (" + std::string(select_sql) + ") TO " + SqlString(dir) +
                    " (FORMAT parquet, COMPRESSION " + std::string(compression) +
                    ", ROW_GROUP_SIZE 122880, FILENAME_PATTERN " + SqlString(pattern);
  if (!table.partition_column.empty()) {
    sql += ", PARTITION_BY (" + std::string(table.partition_column) + "), OVERWRITE_OR_IGNORE";
  } else {
    sql += ", PER_THREAD_OUTPUT false";
  }
  sql += ")";
  if (table.partition_column.empty()) {
    // COPY of an unpartitioned result writes a single file at the given path.
    std::string file = dir + "/part-r" + std::to_string(run_id) + "-" +
                       (name_prefix.empty() ? "" : std::string(name_prefix) + "-") + "0.parquet";
    sql = "COPY (" + std::string(select_sql) + ") TO " + SqlString(file) +
          " (FORMAT parquet, COMPRESSION " + std::string(compression) + ", ROW_GROUP_SIZE 122880)";
  }
  RETURN_IF_ERROR(conn.Execute(sql).WithContext("writing " + std::string(table.name)));

  std::vector<StagedFile> out;
  // List what COPY wrote (a directory walk, not a glob: the lake's path may
  // contain wildcard characters).
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".parquet")
      files.push_back(it->path().string());
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return out;
  ASSIGN_OR_RETURN(QueryResult meta,
                   conn.Query("SELECT file_name, num_rows FROM parquet_file_metadata(" +
                              SqlFileList(files) + ")"));
  std::map<std::string, uint64_t> rows;
  for (size_t r = 0; r < meta.row_count(); ++r) {
    rows[meta.GetString(0, r).value_or("")] = static_cast<uint64_t>(meta.GetInt64(1, r));
  }
  for (const auto& f : files) {
    StagedFile sf;
    sf.table = std::string(table.name);
    sf.staged_path = f;
    std::string rel = fs::path(f).lexically_relative(StagingDir(run_id)).string();
    // Drop the name prefix directory from the final path.
    if (!name_prefix.empty()) {
      std::string pre = std::string(table.name) + "/" + std::string(name_prefix) + "/";
      if (rel.rfind(pre, 0) == 0) rel = std::string(table.name) + "/" + rel.substr(pre.size());
    }
    sf.final_path = rel;
    fs::path parent = fs::path(rel).parent_path();
    sf.partition = parent == fs::path(table.name) ? "" : parent.filename().string();
    sf.rows = rows[f];
    ASSIGN_OR_RETURN(FileStat st, StatFile(f));
    sf.bytes = st.size;
    if (sf.rows == 0) {
      fs::remove(f, ec);  // never publish an empty file
      continue;
    }
    out.push_back(std::move(sf));
  }
  return out;
}

Status Lake::Commit(catalog::RunCommit commit, const std::vector<StagedFile>& staged) {
  for (const auto& f : staged) {
    catalog::LakeFile lf;
    lf.table = f.table;
    lf.path = f.final_path;
    lf.partition = f.partition;
    lf.rows = f.rows;
    lf.bytes = f.bytes;
    lf.run_id = commit.run_id;
    commit.added.push_back(std::move(lf));
    commit.moves.push_back({commit.run_id, f.staged_path, root_ + "/" + f.final_path});
  }
  // The staged files must be durable before the catalog says they exist.
  RETURN_IF_ERROR(SyncFileSystem(root_));
  CrashPoint("before_catalog_commit");
  // Readers hold the commit lock shared; wait for them, then flip atomically.
  ASSIGN_OR_RETURN(FileLock commit_lock,
                   FileLock::Acquire(InternalDir() + "/commit.lock", "the lake's commit lock",
                                     FileLock::Mode::kExclusiveWait));
  RETURN_IF_ERROR(catalog_->CommitRun(commit));
  // From here on the run is committed: failures below are finished by Recover().
  CrashPoint("after_catalog_commit");
  bool first = true;
  for (const auto& m : commit.moves) {
    if (!first) CrashPoint("during_renames");
    first = false;
    std::error_code ec;
    fs::create_directories(fs::path(m.to).parent_path(), ec);
    RETURN_IF_ERROR(Rename(m.from, m.to));
  }
  // The renames must be durable before the journal that can redo them goes.
  RETURN_IF_ERROR(SyncFileSystem(root_));
  CrashPoint("before_finish_commit");
  RETURN_IF_ERROR(catalog_->FinishCommit(commit.run_id));
  CrashPoint("before_garbage_collection");
  RETURN_IF_ERROR(CollectGarbage());
  std::error_code ec;
  fs::remove_all(StagingDir(commit.run_id), ec);
  fs::remove(root_ + "/_staging", ec);  // only if empty
  return Status::OK();
}

StatusOr<std::string> Lake::TableRelation(const TableDef& table) {
  ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> files,
                   catalog_->LiveFiles(std::string(table.name)));
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(root_ + "/" + f.path);
  return FilesRelation(table, paths);
}

Status Lake::CreateViews(Connection& conn) {
  for (const TableDef& t : LakeTables()) {
    ASSIGN_OR_RETURN(std::string rel, TableRelation(t));
    RETURN_IF_ERROR(
        conn.Execute("CREATE OR REPLACE VIEW " + std::string(t.name) + " AS SELECT * FROM " + rel));
  }
  return Status::OK();
}

StatusOr<ReadSession> ReadSession::Open(const std::string& catalog_path,
                                        const std::string& lake_root, DatabaseOptions options) {
  ReadSession s;
  ASSIGN_OR_RETURN(s.catalog, catalog::Catalog::Open(catalog_path));
  ASSIGN_OR_RETURN(s.lake, Lake::Open(lake_root, s.catalog.get()));
  if (options.temp_directory.empty()) options.temp_directory = s.lake->InternalDir() + "/tmp";
  ASSIGN_OR_RETURN(s.db, Database::Open("", options));
  ASSIGN_OR_RETURN(Connection c, s.db->Connect());
  s.conn.emplace(std::move(c));
  ASSIGN_OR_RETURN(FileLock lock, s.lake->LockForRead());
  s.read_lock.emplace(std::move(lock));
  RETURN_IF_ERROR(s.lake->CreateViews(*s.conn));
  return s;
}

}  // namespace recmart::lake
