// Runs a project's workflow once: the jobs of config::WorkflowConfig in
// dependency order, independent ones in parallel (up to `parallel`), each in
// a child process so that a timeout can stop it and a crash of one job cannot
// take the runner down. Every state change is recorded in the catalog as it
// happens (catalog::WorkflowRunRecord), so that `recmart runs` shows live
// runs and a killed run can be resumed from its first unfinished job.
//
// Children die with the runner (PR_SET_PDEATHSIG), so a killed runner leaves
// no job behind; the lake, the catalog and the registry are each written
// atomically, so it leaves no half-written state either.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"

namespace recmart::workflow {

// What the runner reports as it goes (the live view and JSON lines).
struct RunEvent {
  int64_t run_id = 0;
  std::string job;    // "" for run-level events
  std::string state;  // the job's or the run's new state, or "progress" / "log"
  int attempt = 0;
  double progress = -1;  // in [0, 1] for "progress", else -1
  double elapsed_seconds = 0;
  std::string message;
};

struct RunOptions {
  std::string trigger = "manual";
  // Training params for this run ("" = the workflow's `params`).
  std::string params_file;
  // The recmart binary that runs built-in jobs (`<exe> pipeline job ...`).
  std::string executable;
  // Continue this run (a failed or interrupted one) instead of starting one.
  int64_t resume_run_id = 0;
  // When no resume_run_id is given and the latest run was interrupted (its
  // runner was killed), continue it instead of starting a new run.
  bool resume_interrupted = true;
  int threads = 0;  // per job; 0 = all cores
  // Called from the runner's thread; may be empty.
  std::function<void(const RunEvent&)> observer;
};

struct RunOutcome {
  int64_t run_id = 0;
  bool resumed = false;
  catalog::WorkflowRunRecord record;  // final, with its jobs
};

// Runs (or resumes) the workflow. The returned status is not OK only when the
// run could not be carried out at all (catalog unreadable, another run in
// progress: FailedPrecondition); a failed job gives an OK status with
// record.state == "failed" and the job's error.
StatusOr<RunOutcome> RunWorkflow(const config::Project& project, const RunOptions& options);

// The jobs in an order that respects `after` (ties by declaration order).
std::vector<const config::WorkflowJobConfig*> TopologicalOrder(const config::WorkflowConfig& w);

// The directory of a run's job logs: <lake>/_recmart/runs/<id>/<job>.log.
std::string RunLogDir(const config::Project& project, int64_t run_id);

}  // namespace recmart::workflow
