// `recmart export personalize DIR` and `recmart import personalize DIR`: the
// three datasets in Amazon Personalize's bulk-import layout, and back.
//
// Export writes interactions.csv (USER_ID, ITEM_ID, TIMESTAMP as epoch
// seconds, EVENT_TYPE, EVENT_VALUE, SESSION_ID), items.csv and users.csv (the id and every
// metadata field that has a value somewhere), each with its Avro schema
// (interactions.schema.json, ...) in the service's format. The service's
// minimums are checked first. The files are written into DIR.tmp-XXXXXX and
// renamed into DIR: a reader never sees half a file.
//
// Import maps DIR's files to [[sources]] of a project (epoch-second
// timestamps, the service's column names), so that `recmart etl` ingests them.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/common/fs.h"
#include "recmart/lake/lake.h"

namespace recmart::cli {
namespace {
namespace fs = std::filesystem;

// The service's minimums for training (custom dataset groups).
constexpr int64_t kMinInteractions = 1000;
constexpr int64_t kMinActiveUsers = 25;  // users with at least kMinUserInteractions
constexpr int64_t kMinUserInteractions = 2;
constexpr size_t kMaxFields = 50;  // per items/users schema

// One exported field: the lake column, its Avro type and attributes.
struct Field {
  const char* name;
  const char* type;  // "string", "long", "float"
  bool categorical = false;
  bool textual = false;
  bool required = false;
};

constexpr Field kInteractionFields[] = {
    {"USER_ID", "string", false, false, true},
    {"ITEM_ID", "string", false, false, true},
    {"TIMESTAMP", "long", false, false, true},
    {"EVENT_TYPE", "string", false, false, true},
    {"EVENT_VALUE", "float"},
    // Not a reserved name: a custom categorical field. It keeps apart events
    // that differ only by session (e.g. the same purchase seen in the
    // clickstream and in the orders), so that a round trip keeps every one.
    {"SESSION_ID", "string", true},
};
constexpr Field kItemFields[] = {
    {"ITEM_ID", "string", false, false, true},
    {"TITLE", "string"},
    {"DESCRIPTION", "string", false, true},
    {"CATEGORY_L1", "string", true},
    {"CATEGORY_L2", "string", true},
    {"CATEGORY_L3", "string", true},
    {"BRAND", "string", true},
    {"PRICE", "float"},
    {"AVAILABLE", "string", true},
    {"CREATION_TIMESTAMP", "long"},
};
constexpr Field kUserFields[] = {
    {"USER_ID", "string", false, false, true},
    {"SEGMENT", "string", true},
    {"COUNTRY", "string", true},
    {"CREATION_TIMESTAMP", "long"},
};

nlohmann::ordered_json AvroSchema(const char* record, const std::vector<Field>& fields) {
  nlohmann::ordered_json j;
  j["type"] = "record";
  j["name"] = record;
  j["namespace"] = "com.amazonaws.personalize.schema";
  j["fields"] = nlohmann::ordered_json::array();
  for (const Field& f : fields) {
    nlohmann::ordered_json field;
    field["name"] = f.name;
    if (f.required) {
      field["type"] = f.type;
    } else {
      field["type"] = {"null", f.type};
    }
    if (f.categorical) field["categorical"] = true;
    if (f.textual) field["textual"] = true;
    j["fields"].push_back(field);
  }
  j["version"] = "1.0";
  return j;
}

StatusOr<int64_t> Scalar(lake::Connection& conn, const std::string& sql) {
  ASSIGN_OR_RETURN(lake::QueryResult r, conn.Query(sql));
  return r.row_count() ? r.GetInt64(0, 0) : 0;
}

// The fields of `all` that have at least one value in `table` (the id always).
StatusOr<std::vector<Field>> FieldsWithValues(lake::Connection& conn, const char* table,
                                              std::span<const Field> all) {
  std::vector<Field> out;
  for (const Field& f : all) {
    if (f.required) {
      out.push_back(f);
      continue;
    }
    ASSIGN_OR_RETURN(int64_t n,
                     Scalar(conn, "SELECT count(" + std::string(f.name) + ") FROM " + table));
    if (n > 0) out.push_back(f);
  }
  if (out.size() > kMaxFields) out.resize(kMaxFields);
  return out;
}

struct ExportSummary {
  int64_t interactions = 0, users = 0, active_users = 0, items = 0, user_rows = 0;
  std::vector<std::string> files;
  std::vector<std::string> notes;
};

Status ExportPersonalize(const config::Project& p, const std::string& out_dir, bool force,
                         ExportSummary* sum) {
  lake::DatabaseOptions dbo;
  dbo.memory_limit = p.etl.memory_limit;
  dbo.threads = p.etl.threads;
  ASSIGN_OR_RETURN(lake::ReadSession session,
                   lake::ReadSession::Open(p.catalog_path, p.lake_root, dbo));
  lake::Connection& conn = *session.conn;

  ASSIGN_OR_RETURN(sum->interactions, Scalar(conn, "SELECT count(*) FROM interactions"));
  ASSIGN_OR_RETURN(sum->users, Scalar(conn, "SELECT count(DISTINCT USER_ID) FROM interactions"));
  ASSIGN_OR_RETURN(sum->active_users,
                   Scalar(conn,
                          "SELECT count(*) FROM (SELECT USER_ID FROM interactions GROUP BY "
                          "USER_ID HAVING count(*) >= " +
                              std::to_string(kMinUserInteractions) + ")"));
  std::vector<std::string> unmet;
  if (sum->interactions < kMinInteractions) {
    unmet.push_back(WithThousands(sum->interactions) + " interactions (at least " +
                    WithThousands(kMinInteractions) + " needed)");
  }
  if (sum->active_users < kMinActiveUsers) {
    unmet.push_back(std::to_string(sum->active_users) + " users with " +
                    std::to_string(kMinUserInteractions) + " or more interactions (at least " +
                    std::to_string(kMinActiveUsers) + " needed)");
  }
  if (!unmet.empty()) {
    std::string what;
    for (const auto& u : unmet) what += (what.empty() ? "" : "; ") + u;
    if (!force) {
      return Status::FailedPrecondition("the lake does not meet Amazon Personalize's minimums: " +
                                        what + "; nothing written (--force writes anyway)");
    }
    sum->notes.push_back("warning: below Amazon Personalize's minimums: " + what);
  }

  // Everything goes to a sibling temporary directory first.
  fs::path target = fs::absolute(out_dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::string tmpl = target.string() + ".tmp-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::IOError("cannot create " + tmpl);
  const std::string tmp = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{tmp};

  std::vector<std::string> files;  // written into tmp, renamed into the target at the end
  auto write = [&](const std::string& name, const char* record, const std::vector<Field>& fields,
                   const std::string& select) -> Status {
    std::string cols;
    for (const Field& f : fields) cols += (cols.empty() ? "" : ", ") + std::string(f.name);
    RETURN_IF_ERROR(conn.Execute("COPY (SELECT " + cols + " FROM " + select + ") TO " +
                                 lake::SqlString(tmp + "/" + name + ".csv") +
                                 " (FORMAT csv, HEADER true, DELIMITER ',')"));
    RETURN_IF_ERROR(WriteFileAtomic(tmp + "/" + name + ".schema.json",
                                    AvroSchema(record, fields).dump(2) + "\n"));
    files.push_back(name + ".csv");
    files.push_back(name + ".schema.json");
    return Status::OK();
  };
  RETURN_IF_ERROR(write("interactions", "Interactions",
                        {std::begin(kInteractionFields), std::end(kInteractionFields)},
                        "interactions ORDER BY TIMESTAMP, USER_ID, ITEM_ID, EVENT_TYPE"));
  // Items and users need at least one metadata field in the service's schema.
  ASSIGN_OR_RETURN(std::vector<Field> item_fields, FieldsWithValues(conn, "items", kItemFields));
  if (item_fields.size() > 1) {
    ASSIGN_OR_RETURN(sum->items, Scalar(conn, "SELECT count(*) FROM items"));
    RETURN_IF_ERROR(write("items", "Items", item_fields, "items ORDER BY ITEM_ID"));
  } else {
    sum->notes.push_back("items.csv not written: no item metadata in the lake");
  }
  ASSIGN_OR_RETURN(std::vector<Field> user_fields, FieldsWithValues(conn, "users", kUserFields));
  if (user_fields.size() > 1) {
    ASSIGN_OR_RETURN(sum->user_rows, Scalar(conn, "SELECT count(*) FROM users"));
    RETURN_IF_ERROR(write("users", "Users", user_fields, "users ORDER BY USER_ID"));
  } else {
    sum->notes.push_back("users.csv not written: no user metadata in the lake");
  }

  fs::create_directories(target, ec);
  if (ec) return Status::IOError("cannot create " + target.string() + ": " + ec.message());
  RETURN_IF_ERROR(SyncFileSystem(tmp));
  // Files of an earlier export that this one does not replace would not match it.
  for (const char* stale : {"items.csv", "items.schema.json", "users.csv", "users.schema.json"}) {
    if (std::find(files.begin(), files.end(), stale) == files.end()) fs::remove(target / stale, ec);
  }
  for (const auto& name : files) {
    RETURN_IF_ERROR(Rename(tmp + "/" + name, (target / name).string()));
    sum->files.push_back((target / name).string());
  }
  return SyncPath(target.string());
}

// A TOML basic string.
std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

StatusOr<std::vector<std::string>> CsvHeader(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return Status::NotFound(path + ": not found or empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> cols;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      cols.push_back(cur);
      cur.clear();
    } else if (c != '"') {
      cur += c;
    }
  }
  cols.push_back(cur);
  return cols;
}

// The [[sources]] blocks mapping DIR's files, and notes on what was left out.
StatusOr<std::string> ImportSnippet(const std::string& dir, const std::string& project_dir,
                                    std::vector<std::string>* notes) {
  fs::path abs = fs::absolute(dir).lexically_normal();
  fs::path rel = abs.lexically_relative(fs::absolute(project_dir).lexically_normal());
  const std::string where = rel.empty() ? abs.string() : rel.string();
  std::string out = "\n# Imported by `recmart import personalize " + abs.string() +
                    "`: Amazon Personalize bulk-import files.\n";
  struct Dataset {
    const char* file;
    const char* kind;
    std::span<const Field> fields;
    bool required;
  };
  const Dataset sets[] = {{"interactions", "events", kInteractionFields, true},
                          {"items", "items", kItemFields, false},
                          {"users", "users", kUserFields, false}};
  for (const Dataset& d : sets) {
    const std::string path = (abs / (std::string(d.file) + ".csv")).string();
    if (!fs::exists(path)) {
      if (d.required) return Status::NotFound(path + ": not found (expected interactions.csv)");
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<std::string> header, CsvHeader(path));
    std::string columns;
    bool has_event_type = false;
    std::set<std::string> mapped;
    for (const Field& f : d.fields) {
      if (std::find(header.begin(), header.end(), f.name) == header.end()) {
        if (f.required && std::string_view(f.name) != "EVENT_TYPE")
          return Status::InvalidArgument(path + ": no " + f.name + " column");
        continue;
      }
      columns += std::string(f.name) + " = " + TomlString(f.name) + "\n";
      has_event_type |= std::string_view(f.name) == "EVENT_TYPE";
      mapped.insert(f.name);
    }
    for (const auto& h : header) {
      if (!mapped.count(h)) notes->push_back(path + ": column " + h + " is not imported");
    }
    out += "[[sources]]\nname = \"personalize_" + std::string(d.file) + "\"\nkind = \"" + d.kind +
           "\"\npath = " + TomlString(where + "/" + d.file + ".csv") + "\nformat = \"csv\"\n";
    if (std::string_view(d.kind) == "events" && !has_event_type) {
      out += "event_type_constant = \"view\"  # the file has no EVENT_TYPE column\n";
    }
    out += "[sources.columns]\n" + columns + "[sources.timestamp]\nformat = \"epoch_s\"\n";
  }
  return out;
}

}  // namespace

void RegisterExport(CLI::App& app, Context& ctx) {
  auto* exp = app.add_subcommand("export", "write the lake's datasets in another system's format");
  exp->require_subcommand(1);
  auto* cmd = exp->add_subcommand(
      "personalize",
      "interactions.csv, items.csv, users.csv and their Avro schemas, as Amazon Personalize "
      "imports them");
  AddProjectOption(cmd, ctx);
  auto dir = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("DIR", *dir, "output directory (created; files in it are replaced)")->required();
  cmd->add_flag("--force", *force, "write even when the service's minimums are not met");
  cmd->add_flag("--json", *json, "print the summary as JSON");
  cmd->callback([&ctx, dir, force, json] {
    ctx.action = [&ctx, dir, force, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      ExportSummary sum;
      Status s = ExportPersonalize(*p, *dir, *force, &sum);
      if (!s.ok()) return ReportError(s);
      for (const auto& n : sum.notes) Info(ctx, n);
      if (*json) {
        nlohmann::json j = {{"interactions", sum.interactions},
                            {"users", sum.users},
                            {"users_with_2_interactions", sum.active_users},
                            {"items", sum.items},
                            {"user_rows", sum.user_rows},
                            {"files", sum.files}};
        std::cout << j.dump() << std::endl;
      } else {
        std::cout << "wrote " << *dir << ": " << WithThousands(sum.interactions)
                  << " interactions (" << WithThousands(sum.users) << " users, "
                  << WithThousands(sum.active_users) << " with 2 or more), "
                  << WithThousands(sum.items) << " items, " << WithThousands(sum.user_rows)
                  << " user rows; " << sum.files.size() << " files" << std::endl;
      }
      return kExitOk;
    };
  });
}

void RegisterImport(CLI::App& app, Context& ctx) {
  auto* imp = app.add_subcommand("import", "declare another system's export as sources");
  imp->require_subcommand(1);
  auto* cmd = imp->add_subcommand(
      "personalize",
      "add [[sources]] for DIR's interactions.csv, items.csv and users.csv (Amazon Personalize "
      "layout) to the project file (created if missing); then run `recmart etl`");
  AddProjectOption(cmd, ctx);
  auto dir = std::make_shared<std::string>();
  auto print = std::make_shared<bool>(false);
  cmd->add_option("DIR", *dir, "directory holding the files")->required();
  cmd->add_flag("--print", *print, "print the [[sources]] blocks instead of editing the project");
  cmd->callback([&ctx, dir, print] {
    ctx.action = [&ctx, dir, print] {
      const std::string path = ctx.project_path;
      std::string project_dir = fs::path(path).parent_path().string();
      if (project_dir.empty()) project_dir = ".";
      std::vector<std::string> notes;
      StatusOr<std::string> snippet = ImportSnippet(*dir, project_dir, &notes);
      if (!snippet.ok()) return ReportError(snippet.status());
      for (const auto& n : notes) Info(ctx, n);
      if (*print) {
        std::cout << *snippet;
        return kExitOk;
      }
      StatusOr<std::string> text = ReadFileToString(path);
      std::string base;
      if (text.ok()) {
        base = *text;
        if (!base.empty() && base.back() != '\n') base += '\n';
      } else if (text.status().code() == StatusCode::kNotFound) {
        base = "# recmart project written by `recmart import personalize`.\n[project]\nname = " +
               TomlString(fs::path(*dir).filename().string()) + "\nlake = \"lake\"\n";
      } else {
        return ReportError(text.status());
      }
      const std::string updated = base + *snippet;
      // The result must be a valid project before it replaces the file.
      StatusOr<config::Project> check = config::ParseProject(
          updated, path, fs::absolute(project_dir).lexically_normal().string());
      if (!check.ok()) return ReportError(check.status());
      Status s = WriteFileAtomic(path, updated);
      if (!s.ok()) return ReportError(s);
      std::cout << (text.ok() ? "added " : "wrote ") << path
                << ": sources personalize_*; run `recmart etl -p " << path << "`" << std::endl;
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
