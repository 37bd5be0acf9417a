#include <filesystem>
#include <iostream>

#include "recmart/cli/cli.h"
#include "recmart/common/fs.h"

namespace recmart::cli {

void RegisterInit(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "write a commented example project file into DIR");
  auto dir = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("dir", *dir, "directory for recmart.toml (created if missing)")->required();
  cmd->add_flag("--force", *force, "overwrite an existing recmart.toml");
  cmd->callback([&ctx, dir, force] {
    ctx.action = [&ctx, dir, force] {
      std::string path = *dir + "/recmart.toml";
      std::error_code ec;
      if (std::filesystem::exists(path, ec) && !*force) {
        return ReportError(Status::AlreadyExists(path + " exists (use --force to overwrite)"));
      }
      std::filesystem::create_directories(*dir, ec);
      Status s = WriteFileAtomic(path, config::ProjectTemplate());
      if (!s.ok()) return ReportError(s);
      Info(ctx, "wrote " + path + "; edit the [[sources]] blocks, then run: recmart validate -p " +
                    path);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
