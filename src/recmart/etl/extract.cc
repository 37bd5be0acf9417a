#include "recmart/etl/extract.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recmart/common/fs.h"
#include "recmart/common/json_text.h"
#include "recmart/ingest/db_source.h"

namespace recmart::etl {
namespace fs = std::filesystem;
namespace {

constexpr char kExtractSuffix[] = ".jsonl";
constexpr char kSchemaSuffix[] = ".schema.json";

std::string SchemaPathFor(const std::string& extract_file) {
  std::string base = extract_file;
  if (base.ends_with(kExtractSuffix)) base.resize(base.size() - (sizeof kExtractSuffix - 1));
  return base + kSchemaSuffix;
}

// The last non-empty line of a file (the newest extract's last row).
StatusOr<std::string> LastLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  int64_t chunk = 64 * 1024;
  while (true) {
    const int64_t start = std::max<int64_t>(0, size - chunk);
    std::string buf(size - start, '\0');
    in.seekg(start);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    while (!buf.empty() && (buf.back() == '\n' || buf.back() == '\r')) buf.pop_back();
    const size_t nl = buf.rfind('\n');
    if (nl != std::string::npos) return buf.substr(nl + 1);
    if (start == 0) return buf;
    chunk *= 4;
  }
}

// The high-water mark recorded by the newest extract: its last row's value of
// the incremental column.
StatusOr<std::optional<ingest::DbValue>> HighWaterMark(const std::string& extract,
                                                       const std::string& column) {
  ASSIGN_OR_RETURN(std::string line, LastLine(extract));
  nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!row.is_object()) return Status::DataLoss(extract + ": last line is not a JSON object");
  auto it = row.find(column);
  if (it == row.end()) {
    return Status::FailedPrecondition(extract + " has no column '" + column +
                                      "' (incremental_column); remove the source's extracts to "
                                      "read the table again from the start");
  }
  ingest::DbValue v;
  if (it->is_null()) return std::optional<ingest::DbValue>();
  if (it->is_number_integer()) {
    v = {ingest::DbValue::Kind::kInteger, it->dump()};
  } else if (it->is_number()) {
    v = {ingest::DbValue::Kind::kReal, it->dump()};
  } else if (it->is_boolean()) {
    v = {ingest::DbValue::Kind::kBool, it->dump()};
  } else if (it->is_string()) {
    v = {ingest::DbValue::Kind::kText, it->get<std::string>()};
  } else {
    v = {ingest::DbValue::Kind::kText, it->dump()};
  }
  return std::optional<ingest::DbValue>(std::move(v));
}

StatusOr<bool> SameContents(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return Status::IOError("cannot compare " + a + " with " + b);
  std::string ba(1 << 16, '\0'), bb(1 << 16, '\0');
  while (true) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount()) return false;
    if (ba.compare(0, fa.gcount(), bb, 0, fb.gcount()) != 0) return false;
    if (fa.gcount() == 0) return true;
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

void AppendValue(const ingest::DbValue& v, std::string* out) {
  switch (v.kind) {
    case ingest::DbValue::Kind::kNull:
      *out += "null";
      break;
    case ingest::DbValue::Kind::kText:
      AppendJsonString(v.text, out);
      break;
    default:
      *out += v.text;
  }
}

StatusOr<ExtractResult> ExtractSource(const config::Project& project,
                                      const config::SourceConfig& source) {
  const config::DatabaseSourceConfig& db = source.database;
  ExtractResult result;
  result.source = source.name;
  const std::string dir = ExtractDir(project, source);

  // What earlier runs left: a half-written extract (killed while reading), or
  // a schema file whose extract never got renamed into place.
  std::vector<std::string> extracts;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string p = e.path().string();
    if (p.ends_with(".tmp")) {
      fs::remove(p, ec);
    } else if (p.ends_with(kExtractSuffix)) {
      extracts.push_back(p);
    }
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string p = e.path().string();
    if (p.ends_with(kSchemaSuffix) &&
        !fs::exists(p.substr(0, p.size() - (sizeof kSchemaSuffix - 1)) + kExtractSuffix)) {
      fs::remove(p, ec);
    }
  }
  std::sort(extracts.begin(), extracts.end());
  const std::string newest = extracts.empty() ? "" : extracts.back();
  long next = 1;
  if (!newest.empty()) next = std::atol(fs::path(newest).filename().c_str()) + 1;

  ingest::DbReadOptions o;
  o.kind = source.type == config::SourceType::kPostgres ? ingest::DbKind::kPostgres
                                                        : ingest::DbKind::kSqlite;
  o.connection = db.connection;
  for (const auto& [var, out] :
       {std::pair{&db.user_env, &o.user}, {&db.password_env, &o.password}}) {
    if (var->empty()) continue;
    const char* v = std::getenv(var->c_str());
    if (!v) {
      return Status::FailedPrecondition("environment variable " + *var + " (" +
                                        (out == &o.user ? "user_env" : "password_env") +
                                        ") is not set");
    }
    *out = v;
  }
  o.table = db.table;
  o.query = db.query;
  o.incremental_column = db.incremental_column;
  o.batch_rows = db.batch_rows;
  if (!db.incremental_column.empty() && !newest.empty()) {
    ASSIGN_OR_RETURN(o.after, HighWaterMark(newest, db.incremental_column));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ingest::DbReader> reader, ingest::DbReader::Open(o));

  char name[32];
  std::snprintf(name, sizeof name, "%08ld", next);
  const std::string final_path = dir + "/" + name + kExtractSuffix;
  const std::string tmp_path = final_path + ".tmp";
  std::unique_ptr<std::FILE, FileCloser> out(std::fopen(tmp_path.c_str(), "wb"));
  if (!out) return Status::IOError("cannot write " + tmp_path);
  auto fail = [&](Status s) {
    out.reset();
    fs::remove(tmp_path, ec);
    return s;
  };
  const std::vector<ingest::DbColumn>& columns = reader->columns();
  std::vector<std::string> keys;  // '"name":' per column
  int hwm_col = -1;
  for (size_t c = 0; c < columns.size(); ++c) {
    std::string k;
    AppendJsonString(columns[c].name, &k);
    keys.push_back(k + ":");
    if (columns[c].name == db.incremental_column) hwm_col = static_cast<int>(c);
  }
  std::vector<std::vector<ingest::DbValue>> batch;
  std::string line;
  ingest::DbValue last;
  while (true) {
    StatusOr<bool> more = reader->NextBatch(&batch);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    for (const auto& row : batch) {
      line.clear();
      for (size_t c = 0; c < row.size(); ++c) {
        line += c == 0 ? "{" : ",";
        line += keys[c];
        AppendValue(row[c], &line);
      }
      line += row.empty() ? "{}\n" : "}\n";
      if (std::fwrite(line.data(), 1, line.size(), out.get()) != line.size()) {
        return fail(Status::IOError("cannot write " + tmp_path));
      }
      if (hwm_col >= 0) last = row[hwm_col];
      ++result.rows;
    }
  }
  if (std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
    return fail(Status::IOError("cannot write " + tmp_path));
  }
  out.reset();
  if (result.rows == 0) {
    fs::remove(tmp_path, ec);
    return result;
  }
  if (db.incremental_column.empty() && !newest.empty()) {
    StatusOr<bool> same = SameContents(tmp_path, newest);
    if (!same.ok()) return fail(same.status());
    if (*same) {  // the snapshot has not changed since the last extract
      fs::remove(tmp_path, ec);
      result.rows = 0;
      return result;
    }
  }
  nlohmann::json schema;
  schema["source"] = source.name;
  schema["type"] = std::string(config::SourceTypeName(source.type));
  schema["rows"] = result.rows;
  schema["columns"] = nlohmann::json::array();
  for (const auto& c : columns) schema["columns"].push_back({{"name", c.name}, {"type", c.type}});
  if (hwm_col >= 0) {
    result.high_water_mark = last.text;
    schema["incremental_column"] = db.incremental_column;
    schema["high_water_mark"] = last.text;
  }
  Status s =
      WriteFileAtomic(SchemaPathFor(final_path),
                      schema.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!s.ok()) return fail(s);
  s = RenameDurable(tmp_path, final_path);
  if (!s.ok()) return fail(s);
  result.file = final_path;
  return result;
}

}  // namespace

std::string ExtractDir(const config::Project& project, const config::SourceConfig& source) {
  return project.lake_root + "/_recmart/extracts/" + source.name;
}

StatusOr<std::vector<ExtractResult>> ExtractDatabaseSources(
    const config::Project& project, const std::function<void(const std::string&)>& log) {
  std::vector<ExtractResult> out;
  bool any = false;
  for (const auto& s : project.sources) any |= s.type != config::SourceType::kFile;
  if (!any) return out;
  const std::string root = project.lake_root + "/_recmart/extracts";
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IOError("cannot create " + root + ": " + ec.message());
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(root + "/.lock", "the extract directory",
                                                    FileLock::Mode::kExclusiveWait));
  for (const auto& source : project.sources) {
    if (source.type == config::SourceType::kFile) continue;
    fs::create_directories(ExtractDir(project, source), ec);
    if (ec) return Status::IOError("cannot create " + ExtractDir(project, source));
    StatusOr<ExtractResult> r = ExtractSource(project, source);
    if (!r.ok()) {
      return Status(r.status().code(), "source '" + source.name + "': " + r.status().message());
    }
    if (log && !r->file.empty()) {
      log("source '" + source.name + "': " + std::to_string(r->rows) + " new rows from " +
          std::string(config::SourceTypeName(source.type)) + " into " + r->file +
          (r->high_water_mark.empty() ? "" : " (high-water mark " + r->high_water_mark + ")"));
    }
    out.push_back(std::move(*r));
  }
  return out;
}

StatusOr<std::vector<catalog::ColumnSchema>> ExtractSchema(const std::string& extract_file) {
  const std::string path = SchemaPathFor(extract_file);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("columns") || !j["columns"].is_array()) {
    return Status::DataLoss(path + ": not an extract schema");
  }
  std::vector<catalog::ColumnSchema> cols;
  for (const auto& c : j["columns"]) {
    if (!c.is_object() || !c.value("name", nlohmann::json()).is_string())
      return Status::DataLoss(path + ": not an extract schema");
    cols.push_back({c["name"].get<std::string>(), c.value("type", std::string())});
  }
  return cols;
}

}  // namespace recmart::etl
