#include <algorithm>
#include <iostream>

#include "recmart/catalog/catalog.h"
#include "recmart/cli/cli.h"
#include "recmart/common/fs.h"
#include "recmart/etl/crawl.h"
#include "recmart/lake/lake.h"

namespace recmart::cli {

// Bookmarks are moved under the lake's writer lock, so that they cannot
// change under a running ETL.
void RegisterBookmark(CLI::App& app, Context& ctx) {
  auto* cmd =
      app.add_subcommand("bookmark", "reset a source's bookmarks, or move them to a chosen file");
  cmd->require_subcommand(1);
  auto source = std::make_shared<std::string>();
  auto through = std::make_shared<std::string>();

  auto* reset =
      cmd->add_subcommand("reset",
                          "forget what SOURCE has processed: the next etl reads all its files "
                          "again (events already in the lake are not duplicated)");
  AddProjectOption(reset, ctx);
  reset->add_option("source", *source, "source name")->required();
  auto* set =
      cmd->add_subcommand("set",
                          "mark SOURCE's files up to and including --through (in name order) as "
                          "processed without reading them");
  AddProjectOption(set, ctx);
  set->add_option("source", *source, "source name")->required();
  set->add_option("--through", *through,
                  "last file to mark processed (path as matched by the source's glob)")
      ->required();

  auto run = [&ctx, source, through](bool is_set) {
    std::optional<config::Project> p = LoadProjectOrReport(ctx);
    if (!p) return kExitUsage;
    const config::SourceConfig* src = p->FindSource(*source);
    if (!src)
      return ReportError(Status::NotFound("no source named '" + *source + "' in " + p->file));
    StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
    if (!cat.ok()) return ReportError(cat.status());
    StatusOr<std::unique_ptr<lake::Lake>> lk = lake::Lake::Open(p->lake_root, cat->get());
    if (!lk.ok()) return ReportError(lk.status());
    StatusOr<FileLock> lock = (*lk)->LockForWrite();
    if (!lock.ok()) return ReportError(lock.status());
    if (!is_set) {
      StatusOr<int64_t> n = (*cat)->ResetBookmarks(*source);
      if (!n.ok()) return ReportError(n.status());
      std::cout << "source '" << *source << "': " << *n << " bookmarks cleared" << std::endl;
      return kExitOk;
    }
    StatusOr<std::vector<std::string>> files = etl::SourceFiles(*p, *src);
    if (!files.ok()) return ReportError(files.status());
    std::string target = ResolvePath(p->dir, *through);
    auto it = std::find(files->begin(), files->end(), target);
    if (it == files->end()) {
      return ReportError(
          Status::NotFound("source '" + *source + "': " + target + " is not one of its files"));
    }
    std::vector<catalog::FileRecord> marks;
    for (auto f = files->begin(); f <= it; ++f) {
      StatusOr<FileStat> st = StatFile(*f);
      if (!st.ok()) return ReportError(st.status());
      catalog::FileRecord r;
      r.source = *source;
      r.path = *f;
      r.size = st->size;
      r.mtime_ns = st->mtime_ns;
      marks.push_back(r);
    }
    Status s = (*cat)->SetBookmarks(marks);
    if (!s.ok()) return ReportError(s);
    std::cout << "source '" << *source << "': " << marks.size()
              << " files marked processed through " << target << std::endl;
    return kExitOk;
  };
  reset->callback([&ctx, run] { ctx.action = [run] { return run(false); }; });
  set->callback([&ctx, run] { ctx.action = [run] { return run(true); }; });
}

}  // namespace recmart::cli
