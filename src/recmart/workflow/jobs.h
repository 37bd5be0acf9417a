// The built-in jobs of a pipeline (config::WorkflowJobConfig::type), each run
// once by RunJob in its own process (`recmart pipeline job`), started by the
// runner (runner.h).
//
//   crawl         infer every source's schema, apply its change policy
//   clear_export  empty the workflow's export directory (what a previous run
//                 or an interrupted export left there)
//   dataset       the incremental ETL for the sources of the job's kinds
//   features      materialise the feature store ([features]); skipped when the
//                 project defines no features
//   train         fit the params file's recipe on the lake and add the model
//                 to the registry; skipped ("up to date") when a version was
//                 already trained on the same lake snapshot with the same
//                 params
//   evaluate      measure the new model's recipe and the live model's recipe
//                 on the same held-out split of the current lake
//   promote       make the new model live when it is at least as good as the
//                 live one by the workflow's metric; otherwise keep the live
//                 one and say why (the run's outcome is then "refused")
//   notify        run the notify command and/or POST the run's summary
//
// Re-running a job of the same run is safe: every job either repeats an
// idempotent step or finds what its earlier attempt finished (train finds the
// version it added, by the run id in its manifest). This is what lets a
// killed run be resumed with the same end state.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"

namespace recmart::workflow {

struct JobContext {
  const config::Project* project = nullptr;
  const config::WorkflowJobConfig* job = nullptr;
  // The run as recorded so far: the outputs of the jobs already finished.
  const catalog::WorkflowRunRecord* run = nullptr;
  // Params file of this run ("" = the workflow's).
  std::string params_file;
  int threads = 0;  // 0 = all cores
  // Fraction done in [0, 1]; may be empty.
  std::function<void(double)> progress;
  // Informational lines; may be empty.
  std::function<void(const std::string&)> log;
};

struct JobResult {
  bool skipped = false;  // nothing to do; `note` says why
  std::string note;
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json output = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static StatusOr<JobResult> FromJson(const nlohmann::json& j);
};

// Runs one built-in job (not "command": the runner runs those itself).
StatusOr<JobResult> RunJob(const JobContext& ctx);

// The registry directory of a project (<project dir>/models).
std::string RegistryDir(const config::Project& project);

}  // namespace recmart::workflow
