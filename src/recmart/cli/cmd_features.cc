// recmart features materialize|get|training-set: the feature store
// (features/features.h).
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/common/clock.h"
#include "recmart/features/features.h"

namespace recmart::cli {
void RegisterFeatures(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "features", "feature store: materialize snapshots, read online values, build training sets");
  cmd->require_subcommand(1);

  auto* mat =
      cmd->add_subcommand("materialize",
                          "compute every [features] group as of a day: a Parquet snapshot under "
                          "<lake>/features/<group>/snapshot_date=D/ and the online store");
  AddProjectOption(mat, ctx);
  auto date = std::make_shared<std::string>();
  auto no_online = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  mat->add_option("--date", *date,
                  "YYYY-MM-DD: from events before the end of that day (UTC); default: the day "
                  "of the lake's latest event");
  mat->add_flag("--offline-only", *no_online, "write the snapshot only, not the online store");
  mat->add_flag("--json", *json, "JSON output");
  mat->callback([&ctx, date, no_online, json] {
    ctx.action = [&ctx, date, no_online, json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      features::MaterializeOptions o;
      o.date = *date;
      o.online = !*no_online;
      StatusOr<features::MaterializeResult> r = features::Materialize(*p, o);
      if (!r.ok()) return ReportError(r.status());
      if (*json) {
        nlohmann::json j = {{"snapshot_date", r->snapshot_date}, {"as_of", r->as_of}};
        for (const auto& g : r->groups)
          j["groups"][g.group] = {{"rows", g.rows}, {"file", g.file}, {"skipped", g.skipped}};
        std::cout << j.dump() << "\n";
        return kExitOk;
      }
      TextTable t;
      t.headers = {"group", "rows", "snapshot"};
      t.numeric = {false, true, false};
      for (const auto& g : r->groups) t.AddRow({g.group, std::to_string(g.rows), g.file});
      PrintTable(std::cout, t);
      Info(ctx, "features as of " + r->snapshot_date + " (events before " +
                    std::to_string(r->as_of) + ")" +
                    (o.online ? "; online store " + p->features.online_store : ""));
      return kExitOk;
    };
  });

  auto* get = cmd->add_subcommand(
      "get", "the online values of one key: get user U | get item I | get user_item U I");
  AddProjectOption(get, ctx);
  auto group = std::make_shared<std::string>();
  auto ids = std::make_shared<std::vector<std::string>>();
  get->add_option("group", *group, "user, item or user_item")
      ->required()
      ->check(CLI::IsMember({"user", "item", "user_item"}));
  get->add_option("id", *ids, "the id (user_item: user id and item id)")->required();
  get->callback([&ctx, group, ids] {
    ctx.action = [&ctx, group, ids] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      config::FeatureGroup g = *group == "user"   ? config::FeatureGroup::kUser
                               : *group == "item" ? config::FeatureGroup::kItem
                                                  : config::FeatureGroup::kUserItem;
      const size_t want = g == config::FeatureGroup::kUserItem ? 2 : 1;
      if (ids->size() != want) {
        return ReportError(
            Status::InvalidArgument("features get " + *group + ": expected " +
                                    (want == 2 ? "a user id and an item id" : "one id")));
      }
      std::string id = (*ids)[0];
      if (want == 2) id += '\0' + (*ids)[1];
      StatusOr<std::unique_ptr<features::OnlineStore>> store = features::OnlineStore::Open(
          p->features.online_store, /*read_only=*/true, p->features.online_store_mb);
      if (!store.ok()) return ReportError(store.status());
      StatusOr<features::OnlineFeatures> f =
          features::ReadOnline(**store, p->features, g, id, UnixSeconds());
      if (!f.ok()) return ReportError(f.status());
      nlohmann::json j =
          features::OnlineFeaturesJson(g == config::FeatureGroup::kItem ? "itemId" : "userId",
                                       (*ids)[0], *f, p->features.group(g).ttl_hours);
      if (want == 2) j["itemId"] = (*ids)[1];
      std::cout << j.dump(2) << "\n";
      return kExitOk;
    };
  });

  auto* ts = cmd->add_subcommand(
      "training-set",
      "join labels (CSV user_id,item_id,timestamp,label) to the features as they were at each "
      "label's time");
  AddProjectOption(ts, ctx);
  auto labels = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  ts->add_option("--labels", *labels, "labels CSV")->required();
  ts->add_option("--out", *out, "output file: .parquet, else CSV")->required();
  ts->callback([&ctx, labels, out] {
    ctx.action = [&ctx, labels, out] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<features::TrainingSetResult> r = features::BuildTrainingSet(*p, {*labels, *out});
      if (!r.ok()) return ReportError(r.status());
      Info(ctx, "wrote " + WithThousands(r->rows) + " rows x " + std::to_string(r->columns.size()) +
                    " columns to " + *out);
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
