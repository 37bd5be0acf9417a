#include "recmart/workflow/scheduler.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "recmart/catalog/catalog.h"
#include "recmart/common/clock.h"
#include "recmart/common/fs.h"
#include "recmart/etl/crawl.h"

namespace recmart::workflow {
std::string RunRequest::TriggerText() const {
  std::string out;
  for (const auto& t : triggers) out += (out.empty() ? "" : " + ") + t;
  return out;
}

void RunQueue::Fire(const std::string& trigger, const std::string& params_file) {
  std::lock_guard<std::mutex> l(mu_);
  if (!pending_) pending_.emplace();
  if (std::find(pending_->triggers.begin(), pending_->triggers.end(), trigger) ==
      pending_->triggers.end())
    pending_->triggers.push_back(trigger);
  if (!params_file.empty()) pending_->params_file = params_file;
}

std::optional<RunRequest> RunQueue::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (running_ || !pending_) return std::nullopt;
  running_ = true;
  std::optional<RunRequest> r = std::move(pending_);
  pending_.reset();
  return r;
}

void RunQueue::Finish() {
  std::lock_guard<std::mutex> l(mu_);
  running_ = false;
}

bool RunQueue::busy() const {
  std::lock_guard<std::mutex> l(mu_);
  return running_;
}

bool RunQueue::has_pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_.has_value();
}

StatusOr<TriggerWatcher> TriggerWatcher::Create(const config::Project& project,
                                                int64_t now_seconds) {
  TriggerWatcher w(project);
  for (const std::string& e : project.workflow.triggers.cron) {
    StatusOr<CronSchedule> c = CronSchedule::Parse(e);
    if (!c.ok()) return c.status().WithContext(project.file + ": workflow.triggers.cron");
    w.cron_.push_back(std::move(c).value());
  }
  w.last_minute_ = now_seconds / 60 * 60;
  // Params files that a recorded run already trained with are not new.
  if (!project.workflow.triggers.params_dir.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat,
                     catalog::Catalog::Open(project.catalog_path));
    ASSIGN_OR_RETURN(std::vector<catalog::WorkflowRunRecord> runs, cat->ListWorkflowRuns(100000));
    for (const auto& r : runs) {
      if (!r.params_file.empty()) w.seen_params_.insert(r.params_file);
    }
  }
  return w;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> TriggerWatcher::Poll(
    int64_t now_seconds) {
  std::vector<std::pair<std::string, std::string>> fired;
  const config::WorkflowTriggerConfig& t = project_->workflow.triggers;
  // Cron: every minute start since the last poll, up to now.
  const int64_t minute = now_seconds / 60 * 60;
  for (int64_t m = last_minute_ + 60; m <= minute; m += 60) {
    for (const CronSchedule& c : cron_) {
      if (c.Matches(m)) fired.emplace_back("cron " + c.text(), "");
    }
  }
  if (minute > last_minute_) last_minute_ = minute;

  if (t.new_files) {
    ASSIGN_OR_RETURN(std::unique_ptr<catalog::Catalog> cat,
                     catalog::Catalog::Open(project_->catalog_path));
    bool fresh = false;
    for (const config::SourceConfig& s : project_->sources) {
      StatusOr<std::vector<std::string>> files = etl::SourceFiles(*project_, s);
      if (!files.ok()) continue;  // a source with no files yet: nothing to trigger
      ASSIGN_OR_RETURN(std::vector<catalog::FileRecord> done, cat->ProcessedFiles(s.name));
      std::set<std::string> processed;
      for (const auto& d : done)
        processed.insert(d.path + "|" + std::to_string(d.size) + "|" + std::to_string(d.mtime_ns));
      for (const std::string& f : *files) {
        StatusOr<FileStat> st = StatFile(f);
        if (!st.ok()) continue;
        std::string key = f + "|" + std::to_string(st->size) + "|" + std::to_string(st->mtime_ns);
        if (processed.count(key)) continue;
        if (seen_files_.insert(key).second) fresh = true;
      }
    }
    if (fresh) fired.emplace_back("files", "");
  }

  if (!t.params_dir.empty()) {
    std::error_code ec;
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(t.params_dir, ec)) {
      const std::string p = e.path().string();
      // Skip files still being written by convention (*.tmp, hidden files).
      if (e.path().extension() != ".json" || e.path().filename().string()[0] == '.') continue;
      found.push_back(p);
    }
    std::sort(found.begin(), found.end());
    for (const std::string& p : found) {
      if (seen_params_.insert(p).second) fired.emplace_back("params " + p, p);
    }
  }
  return fired;
}

Status RunScheduler(const config::Project& project, const SchedulerOptions& options) {
  ASSIGN_OR_RETURN(TriggerWatcher watcher, TriggerWatcher::Create(project, UnixSeconds()));
  RunQueue queue;
  int finished = 0;
  std::thread worker;
  auto log = [&](const std::string& l) {
    if (options.log) options.log(l);
  };
  std::atomic<bool> worker_done{true};
  auto stop = [&] {
    return (options.stop && options.stop->load()) ||
           (options.max_runs > 0 && finished >= options.max_runs);
  };
  const auto poll = std::chrono::milliseconds(
      std::max<int64_t>(10, static_cast<int64_t>(project.workflow.triggers.poll_seconds * 1000)));
  while (!stop()) {
    if (worker.joinable() && worker_done.load()) {
      worker.join();
      queue.Finish();
      ++finished;
      if (stop()) break;
    }
    StatusOr<std::vector<std::pair<std::string, std::string>>> fired = watcher.Poll(UnixSeconds());
    if (!fired.ok()) {
      log("trigger check failed: " + fired.status().message());
    } else {
      for (const auto& [trigger, params] : *fired) {
        log(std::string(queue.busy() ? "queued: " : "fired: ") + trigger);
        queue.Fire(trigger, params);
      }
    }
    if (!worker.joinable()) {
      if (std::optional<RunRequest> req = queue.Start()) {
        worker_done = false;
        worker = std::thread([&, r = *req] {
          options.run(r);
          worker_done = true;
        });
      }
    }
    std::this_thread::sleep_for(poll);
  }
  if (worker.joinable()) worker.join();
  return Status::OK();
}

}  // namespace recmart::workflow
