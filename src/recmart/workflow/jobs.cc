#include "recmart/workflow/jobs.h"

#include <charconv>
#include <filesystem>
#include <thread>

#include "recmart/common/fs.h"
#include "recmart/engine/bundle.h"
#include "recmart/engine/recipes.h"
#include "recmart/engine/registry.h"
#include "recmart/etl/crawl.h"
#include "recmart/etl/pipeline.h"
#include "recmart/features/features.h"
#include "recmart/training/lake_dataset.h"
#include "recmart/training/recipe_run.h"
#include "recmart/workflow/notify.h"

namespace recmart::workflow {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void Log(const JobContext& ctx, const std::string& line) {
  if (ctx.log) ctx.log(line);
}

int Threads(const JobContext& ctx) {
  return ctx.threads > 0 ? ctx.threads
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The output of an earlier job of this run by type ("train"), or null.
json OutputOf(const JobContext& ctx, const std::string& type) {
  for (const catalog::WorkflowJobRecord& j : ctx.run->jobs) {
    if (j.type == type && j.state == "succeeded" && !j.output_json.empty())
      return json::parse(j.output_json, nullptr, /*allow_exceptions=*/false);
  }
  return json();
}

StatusOr<JobResult> Crawl(const JobContext& ctx) {
  ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat,
                   catalog::Catalog::Open(ctx.project->catalog_path));
  ASSIGN_OR_RETURN(
      std::vector<etl::CrawlFinding> findings,
      etl::CrawlProject(*ctx.project, *cat, [&](const std::string& l) { Log(ctx, l); }));
  JobResult r;
  size_t changes = 0;
  for (const auto& f : findings) changes += f.changes.size();
  r.rows_out = findings.size();
  r.metrics = {{"files_checked", findings.size()}, {"schema_changes", changes}};
  return r;
}

StatusOr<JobResult> ClearExport(const JobContext& ctx) {
  const std::string& dir = ctx.project->workflow.export_dir;
  // Emptying a directory that holds the project, the lake or the models would
  // destroy them: refuse.
  auto inside = [](const fs::path& a, const fs::path& b) {  // is a == b or under b
    auto rel = fs::weakly_canonical(a).lexically_relative(fs::weakly_canonical(b));
    return !rel.empty() && *rel.begin() != "..";
  };
  for (const std::string& keep :
       {ctx.project->dir, ctx.project->lake_root, RegistryDir(*ctx.project)}) {
    if (inside(keep, dir))
      return Status::InvalidArgument("workflow.export_dir " + dir + " holds " + keep +
                                     "; clear_export would delete it");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  uint64_t removed = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    removed += fs::remove_all(e.path(), ec);
    if (ec) return Status::IOError(e.path().string() + ": " + ec.message());
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  JobResult r;
  r.metrics = {{"removed", removed}};
  r.output = {{"dir", dir}};
  return r;
}

StatusOr<JobResult> Dataset(const JobContext& ctx) {
  etl::EtlRunOptions o;
  for (const config::SourceConfig& s : ctx.project->sources) {
    const std::string kind(config::SourceKindName(s.kind));
    if (std::find(ctx.job->kinds.begin(), ctx.job->kinds.end(), kind) != ctx.job->kinds.end())
      o.only_sources.push_back(s.name);
  }
  JobResult r;
  if (o.only_sources.empty()) {
    r.skipped = true;
    std::string kinds;
    for (const auto& k : ctx.job->kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    r.note = "no source of kind " + kinds;
    return r;
  }
  o.wait_for_lock = true;
  o.log = ctx.log;
  if (ctx.progress) {
    o.progress = [&](uint64_t done, uint64_t total) {
      if (total > 0) ctx.progress(static_cast<double>(done) / static_cast<double>(total));
    };
  }
  ASSIGN_OR_RETURN(etl::EtlResult e, etl::RunEtl(*ctx.project, o));
  r.rows_in = e.raw_rows;
  r.rows_out = e.accepted;
  r.metrics = {{"files", e.files},
               {"input_bytes", e.input_bytes},
               {"quarantined", e.quarantined},
               {"duplicates", e.duplicates},
               {"items", e.items},
               {"users", e.users},
               {"matrix_rows", e.matrix_rows},
               {"seconds", e.seconds}};
  r.output = {{"etl_run", e.run_id}, {"nothing_new", e.nothing_new}, {"sources", o.only_sources}};
  if (e.nothing_new) r.note = "nothing new";
  return r;
}

// The params of this run: the run's file, else the workflow's, else the
// recipe's defaults. A file that names no recipe gets the workflow's.
StatusOr<training::ParamsFile> RunParams(const JobContext& ctx) {
  const config::WorkflowConfig& w = ctx.project->workflow;
  return training::ReadParamsFile(!ctx.params_file.empty() ? ctx.params_file : w.params, "",
                                  w.recipe);
}

models::TrainContext MakeTrainContext(const JobContext& ctx) {
  models::TrainContext tc;
  tc.seed = static_cast<uint64_t>(ctx.project->workflow.seed);
  tc.threads = Threads(ctx);
  if (ctx.progress) tc.progress = [&](std::string_view, double f) { ctx.progress(f); };
  return tc;
}

StatusOr<JobResult> Train(const JobContext& ctx) {
  ASSIGN_OR_RETURN(training::ParamsFile pf, RunParams(ctx));
  const std::string params_key = json{{"recipe", pf.recipe}, {"params", pf.params}}.dump();
  ASSIGN_OR_RETURN(engine::ModelRegistry reg,
                   engine::ModelRegistry::Open(RegistryDir(*ctx.project)));
  ASSIGN_OR_RETURN(std::vector<engine::VersionInfo> versions, reg.List());
  ASSIGN_OR_RETURN(json snapshot, training::ReadLakeSnapshot(*ctx.project));
  const json etl_run = snapshot.value("etl_run", json());
  JobResult r;
  // An earlier attempt of this run already added its version (killed after
  // the registry write): use it. Otherwise a version trained by a pipeline on
  // this very lake snapshot with these params makes this run's training moot.
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    ASSIGN_OR_RETURN(json m, reg.Manifest(it->version));
    const json p = m.value("pipeline", json::object());
    if (p.value("run", int64_t{0}) == ctx.run->id) {
      r.output = {{"version", it->version}, {"new", true}, {"recipe", pf.recipe}};
      r.note = "added by an earlier attempt";
      return r;
    }
    if (p.value("params_key", std::string()) == params_key &&
        m.value("snapshot", json::object()).value("etl_run", json()) == etl_run) {
      // Trained by a run that stopped before its gate: this run gates it.
      if (!it->live && !m.value("metrics", json::object()).contains("gate")) {
        r.output = {{"version", it->version}, {"new", true}, {"recipe", pf.recipe}};
        r.note = it->version + " was trained on this data by run " +
                 std::to_string(p.value("run", int64_t{0})) + ", which did not gate it";
        return r;
      }
      r.skipped = true;
      r.note = "up to date: " + it->version + " was trained on the same data with the same params";
      r.output = {{"version", it->version}, {"new", false}, {"recipe", pf.recipe}};
      return r;
    }
  }
  training::LoadOptions load;
  load.events = engine::RecipeReadsEvents(pf.recipe, pf.params);
  ASSIGN_OR_RETURN(training::LakeData data, training::LoadLakeData(*ctx.project, load));
  r.rows_in = data.dataset.matrix.nnz();
  Log(ctx, "training " + pf.recipe + " on " + std::to_string(data.dataset.users.size()) +
               " users, " + std::to_string(data.dataset.items.size()) + " items");
  const size_t users = data.dataset.users.size(), items = data.dataset.items.size();
  ASSIGN_OR_RETURN(engine::ModelBundle bundle,
                   engine::ModelBundle::Train(std::move(data.dataset), pf.recipe, pf.params,
                                              MakeTrainContext(ctx)));
  bundle.manifest()["snapshot"] = data.snapshot;
  bundle.manifest()["pipeline"] = {{"run", ctx.run->id}, {"params_key", params_key}};
  if (!ctx.params_file.empty() || !ctx.project->workflow.params.empty())
    bundle.manifest()["params_file"] =
        !ctx.params_file.empty() ? ctx.params_file : ctx.project->workflow.params;
  ASSIGN_OR_RETURN(std::string version, reg.Add(bundle));
  CrashPoint("pipeline-train-added");
  r.rows_out = users;
  r.metrics = {{"train_seconds", bundle.manifest()["timings"].value("train_seconds", 0.0)},
               {"users", users},
               {"items", items}};
  r.output = {{"version", version}, {"new", true}, {"recipe", pf.recipe}};
  return r;
}

StatusOr<size_t> MetricK(const std::string& metric) {
  size_t at = metric.find('@');
  size_t k = 0;
  auto [end, ec] = std::from_chars(metric.data() + at + 1, metric.data() + metric.size(), k);
  if (at == std::string::npos || ec != std::errc() || end != metric.data() + metric.size() ||
      k == 0 || k > 1000)
    return Status::InvalidArgument("workflow.metric: expected NAME@K, got '" + metric + "'");
  return k;
}

StatusOr<JobResult> Evaluate(const JobContext& ctx) {
  JobResult r;
  const json train = OutputOf(ctx, "train");
  if (train.is_null() || !train.value("new", false)) {
    r.skipped = true;
    r.note = "no new model in this run";
    return r;
  }
  const config::WorkflowConfig& w = ctx.project->workflow;
  ASSIGN_OR_RETURN(size_t k, MetricK(w.metric));
  const std::string candidate = train["version"];
  ASSIGN_OR_RETURN(engine::ModelRegistry reg,
                   engine::ModelRegistry::Open(RegistryDir(*ctx.project)));
  ASSIGN_OR_RETURN(std::string live, reg.Live());
  ASSIGN_OR_RETURN(json cm, reg.Manifest(candidate));
  ASSIGN_OR_RETURN(training::LakeData data, training::LoadLakeData(*ctx.project, {}));
  std::vector<size_t> ks = {k};
  if (k != 10) ks.push_back(10);
  std::sort(ks.begin(), ks.end());
  const models::TrainContext tc = MakeTrainContext(ctx);
  // Both recipes are trained on the same training part of the current lake
  // and measured on the same held-out part: comparing the live bundle itself
  // would be unfair, as it was trained on (some of) today's held-out pairs.
  ASSIGN_OR_RETURN(json cand_metrics, training::EvaluateRecipe(data.dataset, cm["recipe"],
                                                               cm.value("params", json::object()),
                                                               w.split, ks, true, tc));
  RETURN_IF_ERROR(reg.UpdateMetrics(candidate, cand_metrics));
  r.metrics = {{"candidate", cand_metrics}};
  r.output = {{"candidate", candidate},
              {"metric", w.metric},
              {"split", w.split},
              {"candidate_value", cand_metrics.value(w.metric, 0.0)}};
  if (!live.empty() && live != candidate) {
    ASSIGN_OR_RETURN(json lm, reg.Manifest(live));
    json live_metrics;
    if (lm["recipe"] == cm["recipe"] && lm.value("params", json()) == cm.value("params", json())) {
      live_metrics = cand_metrics;  // same recipe and params on the same split: same numbers
    } else {
      ASSIGN_OR_RETURN(live_metrics, training::EvaluateRecipe(data.dataset, lm["recipe"],
                                                              lm.value("params", json::object()),
                                                              w.split, ks, true, tc));
    }
    r.metrics["live"] = live_metrics;
    r.output["live"] = live;
    r.output["live_value"] = live_metrics.value(w.metric, 0.0);
  }
  r.rows_in = data.dataset.matrix.nnz();
  return r;
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Records the gate's decision with the candidate's metrics, so that a later
// run knows the version has been through it.
Status RecordGate(engine::ModelRegistry& reg, const std::string& version, const json& decision,
                  int64_t run) {
  ASSIGN_OR_RETURN(json m, reg.Manifest(version));
  json metrics = m.value("metrics", json::object());
  if (!metrics.is_object()) metrics = json::object();
  metrics["gate"] = decision;
  metrics["gate"]["run"] = run;
  return reg.UpdateMetrics(version, metrics);
}

StatusOr<JobResult> Promote(const JobContext& ctx) {
  JobResult r;
  const json ev = OutputOf(ctx, "evaluate");
  if (ev.is_null()) {
    r.skipped = true;
    r.note = "no new model in this run";
    return r;
  }
  const config::WorkflowConfig& w = ctx.project->workflow;
  const std::string candidate = ev["candidate"];
  ASSIGN_OR_RETURN(engine::ModelRegistry reg,
                   engine::ModelRegistry::Open(RegistryDir(*ctx.project)));
  ASSIGN_OR_RETURN(std::string live, reg.Live());
  const double cv = ev.value("candidate_value", 0.0);
  r.output = {{"candidate", candidate}, {"metric", w.metric}, {"candidate_value", cv}};
  if (!ev.contains("live")) {
    // The registry had no other live model: the first model goes live.
    RETURN_IF_ERROR(
        reg.Promote(candidate, "pipeline run " + std::to_string(ctx.run->id) + ": first model"));
    r.output["promoted"] = true;
    r.output["reason"] = candidate + " is the first model (" + w.metric + " " + Fixed(cv) + ")";
    RETURN_IF_ERROR(RecordGate(reg, candidate, r.output, ctx.run->id));
    return r;
  }
  const std::string was_live = ev["live"];
  const double lv = ev.value("live_value", 0.0);
  r.output["live"] = was_live;
  r.output["live_value"] = lv;
  if (live == candidate) {  // promoted by an earlier attempt of this job
    r.output["promoted"] = true;
    r.output["reason"] = candidate + " is live";
    RETURN_IF_ERROR(RecordGate(reg, candidate, r.output, ctx.run->id));
    return r;
  }
  if (cv + 1e-12 >= lv + w.min_improvement) {
    std::string why = w.metric + " " + Fixed(cv) + " >= " + was_live + "'s " + Fixed(lv);
    RETURN_IF_ERROR(
        reg.Promote(candidate, "pipeline run " + std::to_string(ctx.run->id) + ": " + why));
    CrashPoint("pipeline-promoted");
    r.output["promoted"] = true;
    r.output["reason"] = why;
  } else {
    r.output["promoted"] = false;
    r.output["reason"] = "kept " + was_live + ": " + candidate + "'s " + w.metric + " " +
                         Fixed(cv) + " < " + Fixed(lv) +
                         (w.min_improvement != 0 ? " + " + Fixed(w.min_improvement) : "") +
                         " on the same held-out data";
    Log(ctx, r.output["reason"]);
  }
  RETURN_IF_ERROR(RecordGate(reg, candidate, r.output, ctx.run->id));
  return r;
}

StatusOr<JobResult> Notify(const JobContext& ctx) {
  JobResult r;
  const config::WorkflowNotifyConfig& n = ctx.project->workflow.notify;
  if (n.command.empty() && n.url.empty()) {
    r.skipped = true;
    r.note = "no [workflow.notify] command or url";
    return r;
  }
  const json promote = OutputOf(ctx, "promote");
  const std::string event =
      promote.is_object() && promote.value("promoted", true) == false ? "refused" : "success";
  RETURN_IF_ERROR(SendNotification(n, ctx.project->dir, event, RunSummaryJson(*ctx.run, event)));
  r.output = {{"event", event}};
  return r;
}

StatusOr<JobResult> Features(const JobContext& ctx) {
  JobResult r;
  const config::FeaturesOptions& f = ctx.project->features;
  if (!f.user.enabled && !f.item.enabled && !f.user_item.enabled) {
    r.skipped = true;
    r.note = "the project defines no features";
    return r;
  }
  // Materialised already for this state of the lake: nothing to do.
  ASSIGN_OR_RETURN(json snapshot, training::ReadLakeSnapshot(*ctx.project));
  const std::string mark = ctx.project->lake_root + "/_recmart/features.etl_run";
  const std::string etl_run = snapshot.value("etl_run", json()).dump();
  if (StatusOr<std::string> done = ReadFileToString(mark); done.ok() && *done == etl_run) {
    r.skipped = true;
    r.note = "up to date: features were materialised after ETL run " + etl_run;
    return r;
  }
  // Today's snapshot is rewritten whole (temp + rename), so a retry repeats it.
  ASSIGN_OR_RETURN(features::MaterializeResult m, features::Materialize(*ctx.project, {}));
  RETURN_IF_ERROR(WriteFileAtomic(mark, etl_run));
  json groups = json::object();
  for (const features::GroupOutput& g : m.groups) {
    r.rows_out += g.rows;
    groups[g.group] = {{"rows", g.rows}, {"file", g.file}, {"skipped_ids", g.skipped}};
  }
  r.metrics = {{"groups", groups}};
  r.output = {{"snapshot_date", m.snapshot_date}, {"as_of", m.as_of}};
  return r;
}

}  // namespace

std::string RegistryDir(const config::Project& project) {
  return ResolvePath(project.dir, "models");
}

json JobResult::ToJson() const {
  return {{"skipped", skipped},   {"note", note},       {"rows_in", rows_in},
          {"rows_out", rows_out}, {"metrics", metrics}, {"output", output}};
}

StatusOr<JobResult> JobResult::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("job result: expected a JSON object");
  JobResult r;
  // value() throws on a mistyped member; a child's garbled line is an error value here.
  try {
    r.skipped = j.value("skipped", false);
    r.note = j.value("note", std::string());
    r.rows_in = j.value("rows_in", uint64_t{0});
    r.rows_out = j.value("rows_out", uint64_t{0});
    r.metrics = j.value("metrics", json::object());
    r.output = j.value("output", json::object());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("job result: ") + e.what());
  }
  return r;
}

StatusOr<JobResult> RunJob(const JobContext& ctx) {
  const std::string& type = ctx.job->type;
  if (type == "crawl") return Crawl(ctx);
  if (type == "clear_export") return ClearExport(ctx);
  if (type == "dataset") return Dataset(ctx);
  if (type == "features") return Features(ctx);
  if (type == "train") return Train(ctx);
  if (type == "evaluate") return Evaluate(ctx);
  if (type == "promote") return Promote(ctx);
  if (type == "notify") return Notify(ctx);
  return Status::InvalidArgument("job '" + ctx.job->name + "': type '" + type +
                                 "' is not a built-in job");
}

}  // namespace recmart::workflow
