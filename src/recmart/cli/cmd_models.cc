// recmart models list|show|promote|rollback: the model registry.
#include <iostream>

#include "recmart/cli/model_cli.h"

namespace recmart::cli {
namespace {

std::string Metric(const nlohmann::json& metrics, const char* name) {
  if (!metrics.is_object() || !metrics.contains(name) || !metrics[name].is_number()) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", metrics[name].get<double>());
  return buf;
}

int RunList(const engine::ModelRegistry& reg, bool json) {
  StatusOr<std::vector<engine::VersionInfo>> list = reg.List();
  if (!list.ok()) return ReportError(list.status());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : *list) {
      out.push_back({{"version", v.version},
                     {"recipe", v.recipe},
                     {"created_at", v.created_at},
                     {"live", v.live},
                     {"metrics", v.metrics}});
    }
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  TextTable t;
  t.headers = {"version", "recipe", "created_at", "live", "ndcg@10", "precision@10"};
  t.numeric = {false, false, false, false, true, true};
  for (const auto& v : *list) {
    t.AddRow({v.version, v.recipe, v.created_at, v.live ? "*" : "", Metric(v.metrics, "ndcg@10"),
              Metric(v.metrics, "precision@10")});
  }
  PrintTable(std::cout, t);
  return kExitOk;
}

}  // namespace

void RegisterModels(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("models", "list, inspect, promote and roll back model versions");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto version = std::make_shared<std::string>();
  auto open = [&ctx]() -> std::optional<engine::ModelRegistry> {
    std::optional<config::Project> p = LoadProjectOrReport(ctx);
    if (!p) return std::nullopt;
    StatusOr<engine::ModelRegistry> reg = OpenRegistry(*p);
    if (!reg.ok()) {
      ReportError(reg.status());
      return std::nullopt;
    }
    return std::move(reg).value();
  };

  auto* list = cmd->add_subcommand("list", "every version, oldest first; * marks the live one");
  AddProjectOption(list, ctx);
  list->add_flag("--json", *json, "print JSON");
  list->callback([&ctx, json, open] {
    ctx.action = [json, open] {
      auto reg = open();
      return reg ? RunList(*reg, *json) : kExitUsage;
    };
  });

  auto* show = cmd->add_subcommand(
      "show", "a version's manifest: recipe, params, metrics, timings, data snapshot");
  AddProjectOption(show, ctx);
  show->add_option("version", *version, "version (default: the live one)");
  show->callback([&ctx, version, open] {
    ctx.action = [version, open] {
      auto reg = open();
      if (!reg) return kExitUsage;
      StatusOr<nlohmann::json> m = reg->Manifest(*version);
      if (!m.ok()) return ReportError(m.status());
      std::cout << m->dump(2) << "\n";
      return kExitOk;
    };
  });

  auto* promote = cmd->add_subcommand("promote", "make a version live");
  AddProjectOption(promote, ctx);
  promote->add_option("version", *version, "version to make live")->required();
  promote->callback([&ctx, version, open] {
    ctx.action = [&ctx, version, open] {
      auto reg = open();
      if (!reg) return kExitUsage;
      if (Status s = reg->Promote(*version, "recmart models promote"); !s.ok())
        return ReportError(s);
      Info(ctx, *version + " is live");
      return kExitOk;
    };
  });

  auto* rollback = cmd->add_subcommand("rollback", "make the previously live version live again");
  AddProjectOption(rollback, ctx);
  rollback->callback([&ctx, open] {
    ctx.action = [&ctx, open] {
      auto reg = open();
      if (!reg) return kExitUsage;
      StatusOr<std::string> v = reg->Rollback();
      if (!v.ok()) return ReportError(v.status());
      Info(ctx, *v + " is live again");
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
