// `recmart scheduler`: a long-running process that starts pipeline runs on
// the workflow's triggers (config::WorkflowTriggerConfig):
//   cron       each expression, checked minute by minute (UTC)
//   new_files  a source's location holds files the lake has not processed
//              (fires once per new file set, not again while a run handles it)
//   params_dir a new *.json params file appears: the run trains with it
// One run at a time: a trigger that fires during a run is queued, once —
// further firings merge into the queued run (its trigger lists them all, and
// the newest params file wins), so nothing is lost and nothing multiplied.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/workflow/cron.h"

namespace recmart::workflow {

// A run asked for by one or more triggers.
struct RunRequest {
  std::vector<std::string> triggers;  // "cron 0 3 * * *", "files", "params <path>"
  std::string params_file;            // "" = the workflow's
  std::string TriggerText() const;    // triggers joined by " + "
};

// The one-run-at-a-time queue: at most one run in progress and one pending.
// Thread-safe.
class RunQueue {
 public:
  // Adds a trigger: starts a pending request, or merges into it.
  void Fire(const std::string& trigger, const std::string& params_file = "");
  // Takes the pending request if no run is in progress, marking one in
  // progress; nullopt otherwise.
  std::optional<RunRequest> Start();
  // The run in progress has ended.
  void Finish();
  bool busy() const;
  bool has_pending() const;

 private:
  mutable std::mutex mu_;
  bool running_ = false;
  std::optional<RunRequest> pending_;
};

// Watches the triggers' inputs. Each Poll returns the triggers that fired
// since the previous one.
class TriggerWatcher {
 public:
  static StatusOr<TriggerWatcher> Create(const config::Project& project, int64_t now_seconds);
  // (trigger, params file) pairs.
  StatusOr<std::vector<std::pair<std::string, std::string>>> Poll(int64_t now_seconds);

 private:
  explicit TriggerWatcher(const config::Project& project) : project_(&project) {}
  const config::Project* project_;
  std::vector<CronSchedule> cron_;
  int64_t last_minute_ = 0;           // last minute start checked
  std::set<std::string> seen_files_;  // "path|size|mtime" already reported
  std::set<std::string> seen_params_;
};

struct SchedulerOptions {
  // Runs one request; called on the scheduler's worker thread.
  std::function<void(const RunRequest&)> run;
  // Stop after this many runs (0 = never): for tests and one-shot use.
  int max_runs = 0;
  // Set to stop (e.g. from a signal handler); checked every poll.
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> log;
};

// Polls the triggers every poll_seconds and runs requests one at a time until
// stopped or max_runs runs have finished.
Status RunScheduler(const config::Project& project, const SchedulerOptions& options);

}  // namespace recmart::workflow
