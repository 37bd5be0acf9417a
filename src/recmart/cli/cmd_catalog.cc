#include <iostream>
#include <map>
#include <set>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/lake/tables.h"

namespace recmart::cli {
namespace {

Status PrintSection(catalog::Catalog& cat, const std::string& what, OutputFormat fmt) {
  TextTable t;
  if (what == "sources" || what == "schemas") {
    ASSIGN_OR_RETURN(std::vector<std::string> names, cat.SourceNames());
    if (what == "sources") {
      t.headers = {"source", "schema_version", "columns", "files_processed", "rows_processed"};
      t.numeric = {false, true, true, true, true};
      for (const auto& n : names) {
        ASSIGN_OR_RETURN(std::optional<catalog::SchemaVersion> cur, cat.CurrentSchema(n));
        ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> files, cat.ProcessedFiles(n));
        uint64_t rows = 0;
        for (const auto& f : files) rows += f.rows;
        t.AddRow({n, cur ? std::to_string(cur->version) : "",
                  cur ? std::to_string(cur->columns.size()) : "", std::to_string(files.size()),
                  std::to_string(rows)});
      }
    } else {
      t.headers = {"source", "version", "state", "detected_at", "file", "columns"};
      t.numeric = {false, true, false, false, false, false};
      for (const auto& n : names) {
        ASSIGN_OR_RETURN(std::vector<catalog::SchemaVersion> hist, cat.SchemaHistory(n));
        for (const auto& v : hist) {
          std::string cols;
          for (const auto& c : v.columns)
            cols += (cols.empty() ? "" : ", ") + c.name + " " + c.type;
          t.AddRow({n, std::to_string(v.version), v.state, FormatUtc(v.detected_at), v.file, cols});
        }
      }
    }
  } else if (what == "tables" || what == "partitions") {
    ASSIGN_OR_RETURN(std::vector<catalog::LakeFile> files, cat.AllLiveFiles());
    struct Agg {
      uint64_t files = 0, rows = 0, bytes = 0;
      std::set<std::string> parts;
    };
    std::map<std::pair<std::string, std::string>, Agg> agg;
    for (const auto& f : files) {
      auto& a = agg[{f.table, what == "tables" ? "" : f.partition}];
      a.files++;
      a.rows += f.rows;
      a.bytes += f.bytes;
      a.parts.insert(f.partition);
    }
    if (what == "tables") {
      t.headers = {"table", "partitions", "files", "rows", "bytes", "description"};
      t.numeric = {false, true, true, true, true, false};
      for (const auto& def : lake::LakeTables()) {
        Agg a = agg[{std::string(def.name), ""}];
        size_t parts = def.partition_column.empty() ? 0 : a.parts.size();
        t.AddRow({std::string(def.name), std::to_string(parts), std::to_string(a.files),
                  std::to_string(a.rows), std::to_string(a.bytes), std::string(def.doc)});
      }
    } else {
      t.headers = {"table", "partition", "files", "rows", "bytes"};
      t.numeric = {false, false, true, true, true};
      for (const auto& [k, a] : agg) {
        t.AddRow({k.first, k.second, std::to_string(a.files), std::to_string(a.rows),
                  std::to_string(a.bytes)});
      }
    }
  } else if (what == "bookmarks" || what == "files") {
    ASSIGN_OR_RETURN(std::vector<std::string> names, cat.SourceNames());
    t.headers = {"source", "file", "bytes", "rows", "run", "processed_at"};
    t.numeric = {false, false, true, true, true, false};
    for (const auto& n : names) {
      ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> files, cat.ProcessedFiles(n));
      for (const auto& f : files) {
        t.AddRow({n, f.path, std::to_string(f.size), std::to_string(f.rows),
                  std::to_string(f.run_id), FormatUtc(f.processed_at)});
      }
    }
  } else if (what == "runs") {
    ASSIGN_OR_RETURN(std::vector<catalog::RunRecord> runs, cat.ListRuns(50));
    t.headers = {"run", "kind", "state", "started_at", "finished_at", "error"};
    t.numeric = {true, false, false, false, false, false};
    for (const auto& r : runs) {
      t.AddRow({std::to_string(r.id), r.kind, r.state, FormatUtc(r.started_at),
                FormatUtc(r.finished_at), r.error});
    }
  } else {
    return Status::InvalidArgument(
        "catalog: unknown section '" + what +
        "' (expected sources, schemas, tables, partitions, bookmarks or runs)");
  }
  if (fmt == OutputFormat::kTable) std::cout << "== " << what << "\n";
  Print(std::cout, t, fmt);
  return Status::OK();
}

}  // namespace

void RegisterCatalog(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "catalog", "show sources, schema versions, tables, partitions, bookmarks and runs");
  AddProjectOption(cmd, ctx);
  auto section = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("section", *section,
                  "sources | schemas | tables | partitions | bookmarks | runs (default: all)");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&ctx, section, json] {
    ctx.action = [&ctx, section, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      OutputFormat fmt = *json ? OutputFormat::kJson : OutputFormat::kTable;
      std::vector<std::string> sections = {"sources",    "schemas",   "tables",
                                           "partitions", "bookmarks", "runs"};
      if (!section->empty()) sections = {*section};
      for (const auto& s : sections) {
        Status st = PrintSection(**cat, s, fmt);
        if (!st.ok()) return ReportError(st);
      }
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
