// Shared pieces of the recmart command line: each subcommand lives in its own
// cmd_*.cc file and registers itself on the CLI11 app through a Register*
// function; the chosen subcommand's action runs after parsing.
//
// Conventions: --help everywhere; --json for scripts; errors are one line on
// stderr ("recmart: …") and a non-zero exit; progress only on a terminal.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "recmart/common/status.h"
#include "recmart/config/project.h"

namespace recmart::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;     // the operation failed
inline constexpr int kExitUsage = 2;     // bad flags or configuration
inline constexpr int kExitDataLoss = 3;  // reconciliation failed

struct Context {
  std::string project_path = "recmart.toml";
  bool quiet = false;
  // Set by the chosen subcommand; returns the exit code.
  std::function<int()> action;
};

// Loads ctx.project_path; prints the one-line error and returns nullopt on failure.
std::optional<config::Project> LoadProjectOrReport(const Context& ctx);
// Prints "recmart: <message>" and returns the exit code for the status.
int ReportError(const Status& s);
// True when stderr is a terminal (progress bars, colours).
bool StderrIsTty();
// Informational line on stderr unless quiet.
void Info(const Context& ctx, const std::string& line);

// Adds the -p/--project option to a subcommand.
void AddProjectOption(CLI::App* cmd, Context& ctx);

void RegisterInit(CLI::App& app, Context& ctx);
void RegisterValidate(CLI::App& app, Context& ctx);
void RegisterCrawl(CLI::App& app, Context& ctx);
void RegisterCatalog(CLI::App& app, Context& ctx);
void RegisterEtl(CLI::App& app, Context& ctx);
void RegisterReport(CLI::App& app, Context& ctx);
void RegisterSql(CLI::App& app, Context& ctx);
void RegisterBookmark(CLI::App& app, Context& ctx);
void RegisterGenerate(CLI::App& app, Context& ctx);
void RegisterTrain(CLI::App& app, Context& ctx);
void RegisterEvaluate(CLI::App& app, Context& ctx);
void RegisterTune(CLI::App& app, Context& ctx);
void RegisterModels(CLI::App& app, Context& ctx);
void RegisterRecommend(CLI::App& app, Context& ctx);
void RegisterSimilar(CLI::App& app, Context& ctx);
void RegisterRank(CLI::App& app, Context& ctx);
void RegisterBatchRecommend(CLI::App& app, Context& ctx);
void RegisterServe(CLI::App& app, Context& ctx);
void RegisterAbtest(CLI::App& app, Context& ctx);
void RegisterFeatures(CLI::App& app, Context& ctx);  // cmd_features.cc
void RegisterMatch(CLI::App& app, Context& ctx);     // cmd_match.cc
// export personalize / import personalize (cmd_export.cc)
void RegisterExport(CLI::App& app, Context& ctx);
void RegisterImport(CLI::App& app, Context& ctx);
void RegisterPipeline(CLI::App& app, Context& ctx);

}  // namespace recmart::cli
