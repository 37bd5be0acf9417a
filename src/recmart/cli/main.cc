// recmart: the command-line entry point. Subcommands live in cmd_*.cc.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "recmart/cli/cli.h"

namespace recmart::cli {

std::optional<config::Project> LoadProjectOrReport(const Context& ctx) {
  StatusOr<config::Project> p = config::LoadProject(ctx.project_path);
  if (!p.ok()) {
    ReportError(p.status());
    return std::nullopt;
  }
  return std::move(p).value();
}

int ReportError(const Status& s) {
  std::cerr << "recmart: " << s.message() << std::endl;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kDataLoss:
      return kExitDataLoss;
    default:
      return kExitError;
  }
}

bool StderrIsTty() { return ::isatty(STDERR_FILENO) == 1; }

void Info(const Context& ctx, const std::string& line) {
  if (!ctx.quiet) std::cerr << line << std::endl;
}

void AddProjectOption(CLI::App* cmd, Context& ctx) {
  cmd->add_option("-p,--project", ctx.project_path,
                  "project file (default: $RECMART_PROJECT or ./recmart.toml)");
}

}  // namespace recmart::cli

int main(int argc, char** argv) {
  using namespace recmart::cli;
  Context ctx;
  if (const char* env = std::getenv("RECMART_PROJECT"); env && *env) ctx.project_path = env;

  CLI::App app{"recmart: e-commerce data mart, recommendation engine and API in one program"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-q) may follow the subcommand too
  app.add_flag("-q,--quiet", ctx.quiet, "no informational output on stderr");
  app.set_version_flag("--version", "recmart 0.1.0");
  RegisterInit(app, ctx);
  RegisterValidate(app, ctx);
  RegisterCrawl(app, ctx);
  RegisterCatalog(app, ctx);
  RegisterEtl(app, ctx);
  RegisterReport(app, ctx);
  RegisterSql(app, ctx);
  RegisterBookmark(app, ctx);
  RegisterGenerate(app, ctx);
  RegisterTrain(app, ctx);
  RegisterEvaluate(app, ctx);
  RegisterTune(app, ctx);
  RegisterModels(app, ctx);
  RegisterRecommend(app, ctx);
  RegisterSimilar(app, ctx);
  RegisterRank(app, ctx);
  RegisterBatchRecommend(app, ctx);
  RegisterServe(app, ctx);
  RegisterAbtest(app, ctx);
  RegisterFeatures(app, ctx);
  RegisterMatch(app, ctx);
  RegisterExport(app, ctx);
  RegisterImport(app, ctx);
  RegisterPipeline(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, not CLI11's multi-line banner.
    std::cerr << "recmart: " << e.what() << " (see --help)" << std::endl;
    return kExitUsage;
  }
  if (!ctx.action) return kExitUsage;
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    // Library code below us reports through Status; this is the last guard.
    std::cerr << "recmart: internal error: " << e.what() << std::endl;
    return kExitError;
  }
}
