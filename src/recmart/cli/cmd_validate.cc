#include <filesystem>
#include <iostream>

#include "recmart/cli/cli.h"
#include "recmart/common/fs.h"
#include "recmart/etl/crawl.h"

namespace recmart::cli {

void RegisterValidate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("validate",
                                 "check a project file; names file, key and expectation on error");
  AddProjectOption(cmd, ctx);
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "project file (same as -p)");
  cmd->callback([&ctx, file] {
    if (!file->empty()) ctx.project_path = *file;
    ctx.action = [&ctx] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      // Every source must match at least one file.
      for (const auto& s : p->sources) {
        // A database is checked when `etl` or `crawl` connects; a SQLite file must exist.
        if (s.type == config::SourceType::kSqlite &&
            !std::filesystem::exists(s.database.connection))
          return ReportError(Status::NotFound(p->file + ": sources." + s.name +
                                              ".connection: no SQLite database at " +
                                              s.database.connection));
        if (s.type != config::SourceType::kFile) continue;
        StatusOr<std::vector<std::string>> files = etl::SourceFiles(*p, s);
        if (!files.ok()) return ReportError(files.status());
        if (files->empty() && !s.allow_empty) {
          return ReportError(Status::NotFound(p->file + ": sources." + s.name +
                                              ".path: no file matches " +
                                              ResolvePath(p->dir, s.path)));
        }
      }
      std::cout << p->file << ": ok (" << p->sources.size() << " sources, lake " << p->lake_root
                << ")" << std::endl;
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
