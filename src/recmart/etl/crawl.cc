#include "recmart/etl/crawl.h"

#include <set>

#include "recmart/common/fs.h"
#include "recmart/etl/extract.h"

namespace recmart::etl {
namespace {

std::string CompressionOption(const config::SourceConfig& source, const std::string& file) {
  ingest::Compression c = source.reader.compression;
  if (c == ingest::Compression::kAuto) {
    StatusOr<ingest::Compression> detected = ingest::DetectCompression(file);
    c = detected.ok() ? *detected : ingest::Compression::kNone;
  }
  switch (c) {
    case ingest::Compression::kGzip:
      return "gzip";
    case ingest::Compression::kZstd:
      return "zstd";
    default:
      return "uncompressed";  // DuckDB's name, for read_csv and read_json alike
  }
}

// DuckDB's sniffer reads a sample of rows: 2,048 settles the names and types
// of real exports, and keeps the check cheap enough to run on every new file.
std::string ReaderSql(const config::SourceConfig& source, const std::string& file) {
  using lake::SqlString;
  const ingest::ReaderOptions& r = source.reader;
  switch (r.format) {
    case ingest::Format::kCsv:
    case ingest::Format::kTsv: {
      char delim = r.delimiter ? r.delimiter : (r.format == ingest::Format::kTsv ? '\t' : ',');
      return "read_csv(" + SqlString(file) + ", delim = " + SqlString(std::string(1, delim)) +
             ", quote = " + SqlString(std::string(1, r.quote)) +
             ", header = " + (r.header ? "true" : "false") +
             ", sample_size = 2048, ignore_errors = true, compression = " +
             SqlString(CompressionOption(source, file)) + ")";
    }
    case ingest::Format::kJsonl:
      return "read_json(" + SqlString(file) +
             ", format = 'newline_delimited', sample_size = 2048, ignore_errors = true, "
             "compression = " +
             SqlString(CompressionOption(source, file)) + ")";
    case ingest::Format::kParquet:
      return "read_parquet(" + SqlString(file) + ")";
  }
  return "";
}

}  // namespace

std::vector<std::string> CrawlFinding::ChangeLines() const {
  std::vector<std::string> lines;
  for (const auto& c : changes) {
    lines.push_back("source '" + source + "': " + c.ToString() + " in " + file + " (" + action +
                    ")");
  }
  return lines;
}

StatusOr<std::vector<catalog::ColumnSchema>> InferSchema(lake::Connection& conn,
                                                         const config::SourceConfig& source,
                                                         const std::string& file) {
  // A database source's extract carries the database's own column types.
  if (source.type != config::SourceType::kFile) return ExtractSchema(file);
  StatusOr<lake::QueryResult> r = conn.Query("DESCRIBE SELECT * FROM " + ReaderSql(source, file));
  if (!r.ok()) {
    return Status::InvalidArgument("source '" + source.name + "': cannot infer the schema of " +
                                   file + ": " + r.status().message());
  }
  std::vector<catalog::ColumnSchema> cols;
  for (size_t i = 0; i < r->row_count(); ++i) {
    cols.push_back({r->GetString(0, i).value_or(""), r->GetString(1, i).value_or("")});
  }
  return cols;
}

StatusOr<CrawlFinding> CheckSchema(catalog::Catalog& catalog, lake::Connection& conn,
                                   const config::SourceConfig& source, const std::string& file) {
  ASSIGN_OR_RETURN(std::vector<catalog::ColumnSchema> columns, InferSchema(conn, source, file));
  return ApplySchema(catalog, source, file, std::move(columns));
}

StatusOr<CrawlFinding> ApplySchema(catalog::Catalog& catalog, const config::SourceConfig& source,
                                   const std::string& file,
                                   std::vector<catalog::ColumnSchema> columns) {
  CrawlFinding f;
  f.source = source.name;
  f.file = file;
  f.columns = std::move(columns);
  ASSIGN_OR_RETURN(std::optional<catalog::SchemaVersion> current,
                   catalog.CurrentSchema(source.name));
  if (!current) {
    ASSIGN_OR_RETURN(f.version, catalog.AddSchemaVersion(source.name, f.columns, file, "current"));
    f.action = "new";
    return f;
  }
  f.changes = catalog::DiffSchemas(current->columns, f.columns);
  if (f.changes.empty()) {
    f.action = "unchanged";
    return f;
  }
  std::string what;
  for (const auto& c : f.changes) what += (what.empty() ? "" : ", ") + c.ToString();
  switch (source.on_schema_change) {
    case config::SchemaChangePolicy::kFail:
      return Status::FailedPrecondition("source '" + source.name + "': " + what + " in " + file +
                                        "; on_schema_change = fail");
    case config::SchemaChangePolicy::kUpdate: {
      ASSIGN_OR_RETURN(f.version,
                       catalog.AddSchemaVersion(source.name, f.columns, file, "current"));
      f.action = "updated";
      return f;
    }
    case config::SchemaChangePolicy::kLog: {
      // Record each distinct observed schema once, not once per file.
      ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> history,
                       catalog.SchemaHistory(source.name));
      for (const auto& v : history) {
        if (v.state == "observed" && v.columns == f.columns) {
          f.action = "logged";
          f.version = v.version;
          return f;
        }
      }
      ASSIGN_OR_RETURN(f.version,
                       catalog.AddSchemaVersion(source.name, f.columns, file, "observed"));
      f.action = "logged";
      return f;
    }
  }
  return f;
}

StatusOr<std::vector<std::string>> SourceFiles(const config::Project& project,
                                               const config::SourceConfig& source) {
  return ExpandGlob(source.path, project.dir);
}

StatusOr<std::vector<CrawlFinding>> CrawlProject(
    const config::Project& project, catalog::Catalog& catalog,
    const std::function<void(const std::string&)>& log) {
  RETURN_IF_ERROR(ExtractDatabaseSources(project, log).status());
  ASSIGN_OR_RETURN(std::unique_ptr<lake::Database> db, lake::Database::Open(""));
  ASSIGN_OR_RETURN(lake::Connection conn, db->Connect());
  std::vector<CrawlFinding> out;
  for (const auto& source : project.sources) {
    RETURN_IF_ERROR(
        catalog.UpsertSource(source.name, std::string(config::SourceKindName(source.kind)),
                             source.path, std::string(ingest::FormatName(source.reader.format))));
    ASSIGN_OR_RETURN(std::vector<std::string> files, SourceFiles(project, source));
    // A database source without extracts yet: its table or query is empty;
    // a log without segments yet (allow_empty) has nothing to crawl.
    if (files.empty() && (source.type != config::SourceType::kFile || source.allow_empty)) continue;
    if (files.empty()) {
      return Status::NotFound("source '" + source.name + "': no file matches " +
                              ResolvePath(project.dir, source.path));
    }
    ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> done, catalog.ProcessedFiles(source.name));
    std::set<std::string> processed;
    for (const auto& d : done) processed.insert(d.path);
    std::vector<std::string> todo;
    for (const auto& f : files) {
      if (!processed.count(f)) todo.push_back(f);
    }
    if (todo.empty()) todo.push_back(files.back());
    for (const auto& file : todo) {
      ASSIGN_OR_RETURN(CrawlFinding f, CheckSchema(catalog, conn, source, file));
      if (log) {
        for (const auto& line : f.ChangeLines()) log(line);
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace recmart::etl
