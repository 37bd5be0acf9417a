#include "recmart/workflow/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "recmart/common/clock.h"
#include "recmart/common/fs.h"
#include "recmart/workflow/jobs.h"
#include "recmart/workflow/notify.h"
#include "recmart/workflow/subprocess.h"

namespace recmart::workflow {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  return Status::OK();
}

bool Done(const std::string& state) { return state == "succeeded" || state == "skipped"; }
bool Dead(const std::string& state) { return state == "failed" || state == "cancelled"; }

// One job while the run is in progress.
struct Slot {
  const config::WorkflowJobConfig* cfg = nullptr;
  catalog::WorkflowJobRecord rec;
  std::optional<Subprocess> proc;
  std::string out, err;        // unread partial lines
  std::string last_err_line;   // for the error message
  std::optional<json> result;  // the child's {"result": ...}
  Clock::time_point started;
  Clock::time_point not_before;  // retry backoff
  Clock::time_point last_progress;
  bool timed_out = false;
  int log_fd = -1;
};

class Runner {
 public:
  Runner(const config::Project& p, const RunOptions& o) : project_(p), options_(o) {}
  ~Runner() {
    for (auto& s : slots_) {
      if (s.log_fd >= 0) ::close(s.log_fd);
    }
  }

  StatusOr<RunOutcome> Run();

 private:
  void Emit(const Slot* s, const std::string& state, const std::string& message = "",
            double progress = -1) {
    if (!options_.observer) return;
    RunEvent e;
    e.run_id = run_id_;
    e.state = state;
    e.message = message;
    e.progress = progress;
    if (s) {
      e.job = s->rec.job;
      e.attempt = s->rec.attempts;
      if (s->proc)
        e.elapsed_seconds = std::chrono::duration<double>(Clock::now() - s->started).count();
      else if (s->rec.finished_ms > 0)
        e.elapsed_seconds = static_cast<double>(s->rec.finished_ms - s->rec.started_ms) / 1000.0;
    }
    options_.observer(e);
  }
  Status Record(Slot& s) { return catalog_->UpdateWorkflowJob(s.rec); }
  Status Start(Slot& s);
  Status Pump(Slot& s);
  Status Finish(Slot& s, int wait_status);
  void LogLine(Slot& s, const std::string& line);
  std::string Outcome() const;

  const config::Project& project_;
  const RunOptions& options_;
  std::unique_ptr<catalog::Catalog> catalog_;
  int64_t run_id_ = 0;
  std::vector<Slot> slots_;  // in topological order
};

Status Runner::Start(Slot& s) {
  s.rec.attempts++;
  s.rec.state = "running";
  s.rec.started_ms = UnixMillis();
  s.rec.finished_ms = 0;
  s.started = Clock::now();
  s.last_progress = Clock::time_point();
  s.out.clear();
  s.err.clear();
  s.last_err_line.clear();
  s.result.reset();
  s.timed_out = false;
  RETURN_IF_ERROR(Record(s));
  CrashPoint("pipeline-job-started");
  const std::string dir = RunLogDir(project_, run_id_);
  RETURN_IF_ERROR(EnsureDir(dir));
  if (s.log_fd < 0) {
    s.log_fd = ::open((dir + "/" + s.rec.job + ".log").c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  LogLine(s, "--- attempt " + std::to_string(s.rec.attempts));
  SpawnOptions o;
  o.cwd = project_.dir;
  o.env = {{"RECMART_RUN_ID", std::to_string(run_id_)},
           {"RECMART_JOB", s.rec.job},
           {"RECMART_PROJECT", std::filesystem::absolute(project_.file).string()}};
  if (s.cfg->type == "command") {
    o.argv = {"/bin/sh", "-c", s.cfg->command};
  } else {
    o.argv = {options_.executable,
              "pipeline",
              "job",
              "--run",
              std::to_string(run_id_),
              "--job",
              s.rec.job,
              "-p",
              std::filesystem::absolute(project_.file).string()};
    if (options_.threads > 0) {
      o.argv.push_back("--threads");
      o.argv.push_back(std::to_string(options_.threads));
    }
  }
  StatusOr<Subprocess> p = Subprocess::Spawn(o);
  if (!p.ok()) return p.status();
  s.proc.emplace(std::move(p).value());
  Emit(&s, "running");
  return Status::OK();
}

void Runner::LogLine(Slot& s, const std::string& line) {
  if (s.log_fd < 0) return;
  std::string l = line + "\n";
  (void)!::write(s.log_fd, l.data(), l.size());
}

// Reads the child's pipes: result and progress lines from a built-in job's
// stdout, everything else to the job's log.
Status Runner::Pump(Slot& s) {
  Subprocess::Drain(s.proc->stdout_fd(), &s.out);
  Subprocess::Drain(s.proc->stderr_fd(), &s.err);
  size_t nl;
  while ((nl = s.out.find('\n')) != std::string::npos) {
    std::string line = s.out.substr(0, nl);
    s.out.erase(0, nl + 1);
    if (s.cfg->type != "command" && !line.empty() && line[0] == '{') {
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("result")) {
        s.result = j["result"];
        continue;
      }
      if (j.is_object() && j.contains("progress") && j["progress"].is_number()) {
        if (Clock::now() - s.last_progress > std::chrono::milliseconds(200)) {
          s.last_progress = Clock::now();
          Emit(&s, "progress", "", j["progress"].get<double>());
        }
        continue;
      }
    }
    LogLine(s, line);
  }
  while ((nl = s.err.find('\n')) != std::string::npos) {
    std::string line = s.err.substr(0, nl);
    s.err.erase(0, nl + 1);
    LogLine(s, line);
    if (!line.empty()) s.last_err_line = line;
  }
  return Status::OK();
}

Status Runner::Finish(Slot& s, int wait_status) {
  // What the pipes still held.
  RETURN_IF_ERROR(Pump(s));
  if (!s.err.empty()) s.last_err_line = s.err;
  s.proc.reset();
  s.rec.finished_ms = UnixMillis();
  bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 && !s.timed_out;
  std::string error;
  if (ok && s.cfg->type != "command") {
    if (!s.result) {
      ok = false;
      error = "the job ended without a result";
    } else {
      StatusOr<JobResult> r = JobResult::FromJson(*s.result);
      if (!r.ok()) {
        ok = false;
        error = r.status().message();
      } else {
        s.rec.state = r->skipped ? "skipped" : "succeeded";
        s.rec.rows_in = r->rows_in;
        s.rec.rows_out = r->rows_out;
        s.rec.metrics_json = r->metrics.dump();
        json out = r->output;
        if (!r->note.empty()) out["note"] = r->note;
        s.rec.output_json = out.dump();
        s.rec.error = r->skipped ? r->note : "";
      }
    }
  } else if (ok) {
    s.rec.state = "succeeded";
    s.rec.error.clear();
  }
  if (!ok) {
    if (error.empty()) {
      error = s.timed_out
                  ? "timed out after " +
                        std::to_string(static_cast<int64_t>(std::lround(s.cfg->timeout_seconds))) +
                        " s"
                  : DescribeWaitStatus(wait_status);
      std::string detail = s.last_err_line;
      if (detail.rfind("recmart: ", 0) == 0) detail = detail.substr(9);
      if (!detail.empty() && !s.timed_out) error = detail + " (" + error + ")";
    }
    if (s.rec.attempts <= s.cfg->retries) {
      double backoff = s.cfg->retry_backoff_seconds * std::pow(2.0, s.rec.attempts - 1);
      s.not_before = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(backoff * 1000));
      s.rec.state = "pending";
      char buf[64];
      std::snprintf(buf, sizeof buf, "; retrying in %.1f s", backoff);
      s.rec.error = "attempt " + std::to_string(s.rec.attempts) + ": " + error + buf;
    } else {
      s.rec.state = "failed";
      s.rec.error = error;
    }
  }
  CrashPoint("pipeline-job-finished");
  RETURN_IF_ERROR(Record(s));
  LogLine(s, "--- " + s.rec.state + (s.rec.error.empty() ? "" : ": " + s.rec.error));
  Emit(&s, s.rec.state == "pending" ? "retrying" : s.rec.state, s.rec.error);
  return Status::OK();
}

std::string Runner::Outcome() const {
  for (const Slot& s : slots_) {
    if (s.cfg->type != "promote" || s.rec.state != "succeeded") continue;
    json o = json::parse(s.rec.output_json, nullptr, false);
    if (!o.is_object()) continue;
    if (o.value("promoted", false))
      return "promoted " + o.value("candidate", std::string()) + ": " +
             o.value("reason", std::string());
    return "refused: " + o.value("reason", std::string());
  }
  for (const Slot& s : slots_) {
    if (s.cfg->type == "train" && s.rec.state == "skipped") return s.rec.error;
  }
  return "";
}

StatusOr<RunOutcome> Runner::Run() {
  ::signal(SIGPIPE, SIG_IGN);
  if (options_.executable.empty())
    return Status::InvalidArgument("pipeline: no executable to run the jobs with");
  ASSIGN_OR_RETURN(catalog_, catalog::Catalog::Open(project_.catalog_path));
  const std::string internal = project_.lake_root + "/_recmart";
  RETURN_IF_ERROR(EnsureDir(internal));
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(internal + "/pipeline.lock",
                                                    "the pipeline of " + project_.file +
                                                        " (a run is in progress)"));
  // Runs still "running" lost their runner (we hold its lock): interrupted.
  ASSIGN_OR_RETURN(std::vector<catalog::WorkflowRunRecord> recent, catalog_->ListWorkflowRuns(50));
  int64_t interrupted = 0;
  for (const auto& r : recent) {
    if (r.state != "running") continue;
    RETURN_IF_ERROR(catalog_->SetWorkflowRunState(r.id, "failed", r.outcome,
                                                  "interrupted: the process running it stopped"));
    if (interrupted == 0 && r.id == recent.front().id) interrupted = r.id;
  }
  RunOutcome outcome;
  std::vector<const config::WorkflowJobConfig*> order = TopologicalOrder(project_.workflow);
  int64_t resume = options_.resume_run_id;
  if (resume == 0 && options_.resume_interrupted) resume = interrupted;
  if (resume != 0) {
    ASSIGN_OR_RETURN(std::optional<catalog::WorkflowRunRecord> rec,
                     catalog_->GetWorkflowRun(resume));
    if (!rec) return Status::NotFound("run " + std::to_string(resume) + ": no such run");
    if (rec->state != "failed")
      return Status::FailedPrecondition("run " + std::to_string(resume) + " " + rec->state +
                                        "; only a failed or interrupted run can be resumed");
    if (rec->jobs.size() != order.size())
      return Status::FailedPrecondition("run " + std::to_string(resume) +
                                        ": the workflow's jobs changed since; start a new run");
    for (const auto* cfg : order) {
      auto it = std::find_if(rec->jobs.begin(), rec->jobs.end(),
                             [&](const auto& j) { return j.job == cfg->name; });
      if (it == rec->jobs.end())
        return Status::FailedPrecondition("run " + std::to_string(resume) + ": job '" + cfg->name +
                                          "' is new in the workflow; start a new run");
      Slot s;
      s.cfg = cfg;
      s.rec = *it;
      if (!Done(s.rec.state)) {
        s.rec.state = "pending";
        s.rec.attempts = 0;
        s.rec.error.clear();
      }
      slots_.push_back(std::move(s));
    }
    run_id_ = resume;
    outcome.resumed = true;
    RETURN_IF_ERROR(catalog_->SetWorkflowRunState(run_id_, "running", "", ""));
    for (Slot& s : slots_) RETURN_IF_ERROR(Record(s));
  } else {
    std::vector<catalog::WorkflowJobRecord> recs;
    for (const auto* cfg : order) {
      catalog::WorkflowJobRecord r;
      r.job = cfg->name;
      r.type = cfg->type;
      recs.push_back(r);
    }
    ASSIGN_OR_RETURN(run_id_,
                     catalog_->BeginWorkflowRun(options_.trigger, options_.params_file, recs));
    for (size_t i = 0; i < order.size(); ++i) {
      Slot s;
      s.cfg = order[i];
      s.rec = recs[i];
      s.rec.run_id = run_id_;
      slots_.push_back(std::move(s));
    }
  }
  outcome.run_id = run_id_;
  Emit(nullptr, outcome.resumed ? "resumed" : "started", options_.trigger);

  std::map<std::string, Slot*> by_name;
  for (Slot& s : slots_) by_name[s.rec.job] = &s;
  const size_t parallel = static_cast<size_t>(std::max(1, project_.workflow.parallel));
  while (true) {
    size_t running = 0;
    bool waiting = false;
    for (Slot& s : slots_) running += s.proc.has_value();
    for (Slot& s : slots_) {
      if (s.rec.state != "pending") continue;
      std::string dead_dep;
      bool ready = true;
      for (const std::string& d : s.cfg->after) {
        const std::string& st = by_name[d]->rec.state;
        if (Dead(st) && dead_dep.empty()) dead_dep = d;
        if (!Done(st)) ready = false;
      }
      if (!dead_dep.empty()) {
        s.rec.state = "cancelled";
        s.rec.error = "not run: " + dead_dep + " " + by_name[dead_dep]->rec.state;
        RETURN_IF_ERROR(Record(s));
        Emit(&s, "cancelled", s.rec.error);
        continue;
      }
      if (!ready) {
        waiting = true;
        continue;
      }
      if (Clock::now() < s.not_before || running >= parallel) {
        waiting = true;
        continue;
      }
      RETURN_IF_ERROR(Start(s));
      ++running;
    }
    if (running == 0 && !waiting) break;
    std::vector<pollfd> fds;
    for (Slot& s : slots_) {
      if (!s.proc) continue;
      fds.push_back({s.proc->stdout_fd(), POLLIN, 0});
      fds.push_back({s.proc->stderr_fd(), POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), 50);
    for (Slot& s : slots_) {
      if (!s.proc) continue;
      RETURN_IF_ERROR(Pump(s));
      int st = 0;
      if (s.proc->TryWait(&st)) {
        RETURN_IF_ERROR(Finish(s, st));
        continue;
      }
      if (s.cfg->timeout_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - s.started).count() >
              s.cfg->timeout_seconds) {
        s.timed_out = true;
        s.proc->Kill();
      }
    }
  }

  std::string state = "succeeded", error;
  for (const Slot& s : slots_) {
    if (Dead(s.rec.state)) {
      state = "failed";
      if (error.empty() && s.rec.state == "failed") error = s.rec.job + ": " + s.rec.error;
    }
  }
  CrashPoint("pipeline-before-finish");
  RETURN_IF_ERROR(catalog_->SetWorkflowRunState(run_id_, state, Outcome(), error));
  ASSIGN_OR_RETURN(std::optional<catalog::WorkflowRunRecord> final_rec,
                   catalog_->GetWorkflowRun(run_id_));
  outcome.record = std::move(*final_rec);
  if (state == "failed" && project_.workflow.FindJob("notify") != nullptr) {
    // The notify job did not run: the failure is reported from here.
    Status s = SendNotification(project_.workflow.notify, project_.dir, "failure",
                                RunSummaryJson(outcome.record, "failure"));
    if (!s.ok()) Emit(nullptr, "log", "notification failed: " + s.message());
  }
  Emit(nullptr, state, state == "failed" ? error : outcome.record.outcome);
  return outcome;
}

}  // namespace

std::vector<const config::WorkflowJobConfig*> TopologicalOrder(const config::WorkflowConfig& w) {
  std::vector<const config::WorkflowJobConfig*> out;
  std::map<std::string, bool> placed;
  // Repeatedly take the first job in declaration order whose dependencies are
  // placed (the graph is acyclic: config checked it).
  while (out.size() < w.jobs.size()) {
    bool progressed = false;
    for (const auto& j : w.jobs) {
      if (placed[j.name]) continue;
      bool ready = std::all_of(j.after.begin(), j.after.end(),
                               [&](const std::string& d) { return placed[d]; });
      if (ready) {
        out.push_back(&j);
        placed[j.name] = true;
        progressed = true;
        break;
      }
    }
    if (!progressed) break;
  }
  return out;
}

std::string RunLogDir(const config::Project& project, int64_t run_id) {
  return project.lake_root + "/_recmart/runs/" + std::to_string(run_id);
}

StatusOr<RunOutcome> RunWorkflow(const config::Project& project, const RunOptions& options) {
  Runner r(project, options);
  return r.Run();
}

}  // namespace recmart::workflow
