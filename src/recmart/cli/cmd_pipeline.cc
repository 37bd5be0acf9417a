// recmart pipeline run|show, recmart runs list|show|resume, recmart scheduler:
// the automated workflow from raw exports to a promoted model (workflow/).
// `recmart pipeline job` is internal: the runner starts it once per job.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/common/fs.h"
#include "recmart/workflow/jobs.h"
#include "recmart/workflow/runner.h"
#include "recmart/workflow/scheduler.h"

namespace recmart::cli {
namespace {

using nlohmann::json;

std::string SelfExecutable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string Seconds(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

// The live view: on a terminal, one line per job redrawn in place (state,
// attempt, progress, elapsed); otherwise one JSON line per event.
class RunView {
 public:
  RunView(const config::Project& p, bool tty, bool quiet) : tty_(tty), quiet_(quiet) {
    for (const auto* j : workflow::TopologicalOrder(p.workflow)) {
      rows_.push_back({j->name, "pending", 0, -1, 0, "", {}});
    }
  }

  void On(const workflow::RunEvent& e) {
    std::lock_guard<std::mutex> l(mu_);
    if (!tty_) {
      if (e.state == "progress" && !quiet_) {
        auto now = std::chrono::steady_clock::now();
        auto& last = last_json_[e.job];
        if (now - last < std::chrono::seconds(1)) return;
        last = now;
      }
      if (quiet_ && (e.state == "progress" || e.state == "log")) return;
      json j = {{"run", e.run_id}, {"state", e.state}};
      if (!e.job.empty()) j["job"] = e.job;
      if (e.attempt > 0) j["attempt"] = e.attempt;
      if (e.progress >= 0) j["progress"] = e.progress;
      if (e.elapsed_seconds > 0) j["elapsed_seconds"] = e.elapsed_seconds;
      if (!e.message.empty()) j["message"] = e.message;
      std::cout << j.dump() << std::endl;
      return;
    }
    run_id_ = e.run_id;
    if (e.job.empty()) {
      header_ = e.state + (e.message.empty() ? "" : ": " + e.message);
    } else {
      for (Row& r : rows_) {
        if (r.job != e.job) continue;
        if (e.state == "progress") {
          r.progress = e.progress;
        } else if (e.state != "log") {
          r.state = e.state;
          r.attempt = e.attempt;
          r.message = e.message;
          if (e.state == "running") {
            r.started = std::chrono::steady_clock::now();
            r.progress = -1;
          } else {
            r.elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
          }
        }
      }
    }
    Draw();
  }

  // Redraws the elapsed times of running jobs.
  void Tick() {
    std::lock_guard<std::mutex> l(mu_);
    if (tty_ && drawn_ > 0) Draw();
  }

 private:
  struct Row {
    std::string job, state;
    int attempt;
    double progress;
    double elapsed;
    std::string message;
    std::chrono::steady_clock::time_point started;
  };

  void Draw() {
    std::string out;
    if (drawn_ > 0) out += "\x1b[" + std::to_string(drawn_) + "A";
    auto line = [&](const std::string& s) { out += "\x1b[2K" + s.substr(0, 160) + "\n"; };
    line("run " + std::to_string(run_id_) + "  " + header_);
    for (const Row& r : rows_) {
      double el =
          r.state == "running"
              ? std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count()
              : r.elapsed;
      char buf[200];
      std::string prog = r.state == "running" && r.progress >= 0
                             ? std::to_string(static_cast<int>(r.progress * 100)) + "%"
                             : "";
      std::snprintf(buf, sizeof buf, "  %-14s %-10s %-4s %6s %8s  ", r.job.c_str(), r.state.c_str(),
                    r.attempt > 1 ? ("#" + std::to_string(r.attempt)).c_str() : "", prog.c_str(),
                    el > 0 ? Seconds(el).c_str() : "");
      line(buf + r.message);
    }
    drawn_ = static_cast<int>(rows_.size()) + 1;
    std::cout << out << std::flush;
  }

  bool tty_, quiet_;
  std::mutex mu_;
  std::vector<Row> rows_;
  std::string header_ = "starting";
  int64_t run_id_ = 0;
  int drawn_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> last_json_;
};

void PrintRun(const catalog::WorkflowRunRecord& r, bool json_out) {
  if (json_out) {
    json jobs = json::array();
    for (const auto& j : r.jobs) {
      jobs.push_back(
          {{"job", j.job},
           {"type", j.type},
           {"state", j.state},
           {"attempts", j.attempts},
           {"started_ms", j.started_ms},
           {"finished_ms", j.finished_ms},
           {"rows_in", j.rows_in},
           {"rows_out", j.rows_out},
           {"metrics", json::parse(j.metrics_json.empty() ? "{}" : j.metrics_json, nullptr, false)},
           {"output", json::parse(j.output_json.empty() ? "{}" : j.output_json, nullptr, false)},
           {"error", j.error}});
    }
    std::cout << json{{"id", r.id},
                      {"trigger", r.trigger},
                      {"state", r.state},
                      {"started_ms", r.started_ms},
                      {"finished_ms", r.finished_ms},
                      {"params_file", r.params_file},
                      {"outcome", r.outcome},
                      {"error", r.error},
                      {"jobs", jobs}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "run " << r.id << ": " << r.state << " (trigger: " << r.trigger << ")\n";
  std::cout << "started " << FormatUtc(r.started_ms / 1000) << " UTC";
  if (r.finished_ms > 0) std::cout << ", took " << Seconds((r.finished_ms - r.started_ms) / 1000.0);
  std::cout << "\n";
  if (!r.params_file.empty()) std::cout << "params: " << r.params_file << "\n";
  if (!r.outcome.empty()) std::cout << "outcome: " << r.outcome << "\n";
  if (!r.error.empty()) std::cout << "error: " << r.error << "\n";
  TextTable t;
  t.headers = {"job", "state", "attempts", "rows_in", "rows_out", "seconds", "note"};
  t.numeric = {false, false, true, true, true, true, false};
  for (const auto& j : r.jobs) {
    std::string secs = j.finished_ms > 0 && j.started_ms > 0
                           ? Seconds((j.finished_ms - j.started_ms) / 1000.0)
                           : "";
    std::string note = j.error;
    if (note.empty() && !j.output_json.empty()) {
      json o = json::parse(j.output_json, nullptr, false);
      if (o.is_object()) {
        if (o.contains("reason"))
          note = o["reason"];
        else if (o.contains("note"))
          note = o["note"];
        else if (o.contains("version"))
          note = o["version"].get<std::string>();
      }
    }
    t.AddRow({j.job, j.state, std::to_string(j.attempts), WithThousands(j.rows_in),
              WithThousands(j.rows_out), secs, note});
  }
  PrintTable(std::cout, t);
}

int ExitFor(const catalog::WorkflowRunRecord& r) {
  return r.state == "succeeded" ? kExitOk : kExitError;
}

struct RunArgs {
  std::string params;
  std::string trigger = "manual";
  bool json = false;
  bool no_resume = false;
  int threads = 0;
};

int DoRun(const Context& ctx, const config::Project& p, workflow::RunOptions o, bool json_out) {
  bool tty = ::isatty(1) && !json_out;
  RunView view(p, tty, ctx.quiet);
  o.executable = SelfExecutable();
  o.observer = [&](const workflow::RunEvent& e) { view.On(e); };
  std::atomic<bool> done{false};
  std::thread ticker;
  if (tty) {
    ticker = std::thread([&] {
      while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        view.Tick();
      }
    });
  }
  StatusOr<workflow::RunOutcome> r = workflow::RunWorkflow(p, o);
  done = true;
  if (ticker.joinable()) ticker.join();
  if (!r.ok()) return ReportError(r.status());
  if (tty) {
    std::cout << "\n";
    PrintRun(r->record, false);
  }
  return ExitFor(r->record);
}

void RegisterPipelineRun(CLI::App* pipeline, Context& ctx) {
  auto* cmd = pipeline->add_subcommand(
      "run", "run the workflow once: live view on a terminal, JSON lines when piped");
  AddProjectOption(cmd, ctx);
  auto a = std::make_shared<RunArgs>();
  cmd->add_option("--params", a->params,
                  "training params file for this run (default: the workflow's)");
  cmd->add_option("--trigger", a->trigger, "what started the run, recorded with it");
  cmd->add_flag("--json", a->json, "JSON lines even on a terminal");
  cmd->add_flag("--no-resume", a->no_resume,
                "start a new run even when the last one was interrupted");
  cmd->add_option("--threads", a->threads, "worker threads per job (default: all cores)");
  cmd->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      workflow::RunOptions o;
      o.trigger = a->trigger;
      o.params_file =
          a->params.empty() ? "" : ResolvePath(std::filesystem::current_path().string(), a->params);
      o.resume_interrupted = !a->no_resume;
      o.threads = a->threads;
      return DoRun(ctx, *p, o, a->json);
    };
  });

  auto* show = pipeline->add_subcommand("show", "print the workflow's jobs in run order");
  AddProjectOption(show, ctx);
  show->callback([&ctx] {
    ctx.action = [&ctx] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      TextTable t;
      t.headers = {"job", "type", "after", "retries", "timeout_s"};
      t.numeric = {false, false, false, true, true};
      for (const auto* j : workflow::TopologicalOrder(p->workflow)) {
        std::string after;
        for (const auto& d : j->after) after += (after.empty() ? "" : ", ") + d;
        t.AddRow({j->name, j->type + (j->type == "command" ? ": " + j->command : ""), after,
                  std::to_string(j->retries),
                  j->timeout_seconds > 0 ? Seconds(j->timeout_seconds) : "-"});
      }
      PrintTable(std::cout, t);
      return kExitOk;
    };
  });
}

void RegisterPipelineJob(CLI::App* pipeline, Context& ctx) {
  auto* cmd = pipeline->add_subcommand("job", "run one job of a run (started by the runner)");
  cmd->group("");  // internal: hidden from --help
  AddProjectOption(cmd, ctx);
  auto run = std::make_shared<int64_t>(0);
  auto job = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  cmd->add_option("--run", *run)->required();
  cmd->add_option("--job", *job)->required();
  cmd->add_option("--threads", *threads);
  cmd->callback([&ctx, run, job, threads] {
    ctx.action = [&ctx, run, job, threads] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      const config::WorkflowJobConfig* cfg = p->workflow.FindJob(*job);
      if (!cfg) return ReportError(Status::NotFound("job '" + *job + "' is not in the workflow"));
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::optional<catalog::WorkflowRunRecord>> rec = (*cat)->GetWorkflowRun(*run);
      if (!rec.ok()) return ReportError(rec.status());
      if (!*rec)
        return ReportError(Status::NotFound("run " + std::to_string(*run) + ": no such run"));
      cat->reset();
      workflow::JobContext jc;
      jc.project = &*p;
      jc.job = cfg;
      jc.run = &**rec;
      jc.params_file = (*rec)->params_file;
      jc.threads = *threads;
      jc.progress = [](double f) { std::cout << json{{"progress", f}}.dump() << std::endl; };
      jc.log = [](const std::string& l) { std::cerr << l << std::endl; };
      StatusOr<workflow::JobResult> r = workflow::RunJob(jc);
      if (!r.ok()) return ReportError(r.status());
      std::cout << json{{"result", r->ToJson()}}.dump() << std::endl;
      return kExitOk;
    };
  });
}

void RegisterRuns(CLI::App& app, Context& ctx) {
  auto* runs = app.add_subcommand("runs", "the pipeline's run records");
  runs->require_subcommand(1);
  auto* list = runs->add_subcommand("list", "recent runs, newest first");
  AddProjectOption(list, ctx);
  auto limit = std::make_shared<int>(20);
  auto json_out = std::make_shared<bool>(false);
  list->add_option("-n,--limit", *limit, "how many (default 20)")->check(CLI::Range(1, 100000));
  list->add_flag("--json", *json_out, "print JSON");
  list->callback([&ctx, limit, json_out] {
    ctx.action = [&ctx, limit, json_out] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::vector<catalog::WorkflowRunRecord>> rs = (*cat)->ListWorkflowRuns(*limit);
      if (!rs.ok()) return ReportError(rs.status());
      TextTable t;
      t.headers = {"run", "state", "trigger", "started (UTC)", "seconds", "outcome / error"};
      t.numeric = {true, false, false, false, true, false};
      for (const auto& r : *rs) {
        t.AddRow({std::to_string(r.id), r.state, r.trigger, FormatUtc(r.started_ms / 1000),
                  r.finished_ms > 0 ? Seconds((r.finished_ms - r.started_ms) / 1000.0) : "",
                  r.error.empty() ? r.outcome : r.error});
      }
      Print(std::cout, t, *json_out ? OutputFormat::kJson : OutputFormat::kTable);
      return kExitOk;
    };
  });
  auto* show = runs->add_subcommand("show", "one run and its jobs");
  AddProjectOption(show, ctx);
  auto id = std::make_shared<int64_t>(0);
  auto show_json = std::make_shared<bool>(false);
  show->add_option("ID", *id, "run id")->required();
  show->add_flag("--json", *show_json, "print JSON");
  show->callback([&ctx, id, show_json] {
    ctx.action = [&ctx, id, show_json] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      StatusOr<std::unique_ptr<catalog::Catalog>> cat = catalog::Catalog::Open(p->catalog_path);
      if (!cat.ok()) return ReportError(cat.status());
      StatusOr<std::optional<catalog::WorkflowRunRecord>> r = (*cat)->GetWorkflowRun(*id);
      if (!r.ok()) return ReportError(r.status());
      if (!*r) return ReportError(Status::NotFound("run " + std::to_string(*id) + ": no such run"));
      PrintRun(**r, *show_json);
      return kExitOk;
    };
  });
  auto* resume =
      runs->add_subcommand("resume", "continue a failed run from its first unfinished job");
  AddProjectOption(resume, ctx);
  auto rid = std::make_shared<int64_t>(0);
  auto rjson = std::make_shared<bool>(false);
  resume->add_option("ID", *rid, "run id")->required();
  resume->add_flag("--json", *rjson, "JSON lines even on a terminal");
  resume->callback([&ctx, rid, rjson] {
    ctx.action = [&ctx, rid, rjson] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      workflow::RunOptions o;
      o.resume_run_id = *rid;
      o.trigger = "resume";
      return DoRun(ctx, *p, o, *rjson);
    };
  });
}

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

void RegisterScheduler(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "scheduler", "start pipeline runs on the workflow's triggers (cron, new files, new params)");
  AddProjectOption(cmd, ctx);
  auto max_runs = std::make_shared<int>(0);
  cmd->add_option("--max-runs", *max_runs, "exit after this many runs (default: run until stopped)")
      ->check(CLI::Range(0, 1000000));
  cmd->callback([&ctx, max_runs] {
    ctx.action = [&ctx, max_runs] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      const auto& t = p->workflow.triggers;
      if (t.cron.empty() && !t.new_files && t.params_dir.empty())
        return ReportError(Status::InvalidArgument(
            p->file +
            ": workflow.triggers: no trigger configured (expected cron, new_files = "
            "true or params_dir)"));
      ::signal(SIGINT, OnStopSignal);
      ::signal(SIGTERM, OnStopSignal);
      const std::string exe = SelfExecutable();
      std::mutex out_mu;
      auto say = [&](const json& j) {
        std::lock_guard<std::mutex> l(out_mu);
        std::cout << j.dump() << std::endl;
      };
      workflow::SchedulerOptions so;
      so.max_runs = *max_runs;
      so.stop = &g_stop;
      so.log = [&](const std::string& l) { say({{"scheduler", l}}); };
      so.run = [&](const workflow::RunRequest& req) {
        workflow::RunOptions o;
        o.trigger = req.TriggerText();
        o.params_file = req.params_file;
        o.executable = exe;
        o.observer = [&](const workflow::RunEvent& e) {
          if (e.state == "progress" || e.state == "log") return;
          json j = {{"run", e.run_id}, {"state", e.state}};
          if (!e.job.empty()) j["job"] = e.job;
          if (!e.message.empty()) j["message"] = e.message;
          say(j);
        };
        StatusOr<workflow::RunOutcome> r = workflow::RunWorkflow(*p, o);
        if (!r.ok()) say({{"scheduler", "run failed to start: " + r.status().message()}});
      };
      Status s = workflow::RunScheduler(*p, so);
      if (!s.ok()) return ReportError(s);
      return kExitOk;
    };
  });
}

}  // namespace

void RegisterPipeline(CLI::App& app, Context& ctx) {
  auto* pipeline = app.add_subcommand("pipeline", "the automated workflow: data in, model live");
  pipeline->require_subcommand(1);
  RegisterPipelineRun(pipeline, ctx);
  RegisterPipelineJob(pipeline, ctx);
  RegisterRuns(app, ctx);
  RegisterScheduler(app, ctx);
}

}  // namespace recmart::cli
