// The workflow: its configuration (defaults, cycles, unknown jobs), cron,
// the one-run queue, the triggers, the runner (order, parallelism, retries,
// timeouts, cancellation, resume) and notifications. Built-in jobs over a
// real lake are covered end to end by tests/cli/pipeline_test.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "recmart/catalog/catalog.h"
#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/config/project.h"
#include "recmart/workflow/cron.h"
#include "recmart/workflow/notify.h"
#include "recmart/workflow/runner.h"
#include "recmart/workflow/scheduler.h"

namespace recmart::workflow {
namespace {

using ::recmart::testing::StatusIs;
using ::recmart::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSource[] = R"(
[project]
name = "t"
[[sources]]
name = "events"
kind = "events"
path = "data/*.csv"
format = "csv"
columns = { USER_ID = "u", ITEM_ID = "i", TIMESTAMP = "t" }
timestamp = { format = "epoch_s" }
event_type_constant = "view"
)";

StatusOr<config::Project> Parse(const std::string& workflow, const std::string& dir = "/tmp") {
  return config::ParseProject(std::string(kSource) + workflow, "p.toml", dir);
}

std::string Slurp(const std::string& path) {
  StatusOr<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : "";
}

// ---- configuration

TEST(WorkflowConfig, DefaultGraph) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Parse(""));
  std::vector<std::string> names;
  for (const auto* j : TopologicalOrder(p.workflow)) names.push_back(j->name);
  EXPECT_THAT(names, ElementsAre("crawl", "clear_export", "interactions", "items", "users",
                                 "features", "train", "evaluate", "promote", "notify"));
  EXPECT_EQ(p.workflow.FindJob("items")->after, std::vector<std::string>{"clear_export"});
  EXPECT_EQ(p.workflow.export_dir, "/tmp/export");
}

TEST(WorkflowConfig, RejectsCyclesUnknownJobsAndBadKeys) {
  EXPECT_THAT(Parse(R"(
[workflow]
[[workflow.jobs]]
name = "a"
type = "command"
command = "true"
after = ["c"]
[[workflow.jobs]]
name = "b"
type = "command"
command = "true"
after = ["a"]
[[workflow.jobs]]
name = "c"
type = "command"
command = "true"
after = ["b"]
)"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("form a cycle: a -> c -> b -> a")));
  EXPECT_THAT(Parse(R"(
[workflow]
[[workflow.jobs]]
name = "train"
after = ["crawl"]
)"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("workflow.jobs[0].after: unknown job \"crawl\"")));
  EXPECT_THAT(Parse("[workflow]\nparalel = 3\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("workflow.paralel: unknown key")));
  EXPECT_THAT(Parse("[workflow]\n[[workflow.jobs]]\nname = \"x\"\ntype = \"dataset\"\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("kinds")));
  EXPECT_THAT(Parse("[workflow]\n[[workflow.jobs]]\nname = \"x\"\ntype = \"spark\"\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("workflow.jobs[0].type")));
  EXPECT_THAT(Parse("[workflow.notify]\nurl = \"ftp://x\"\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("workflow.notify.url")));
}

TEST(WorkflowConfig, UserGraphKeepsDeclarationOrderWhereFree) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Parse(R"(
[workflow]
parallel = 3
retries = 2
[[workflow.jobs]]
name = "train"
after = ["b"]
[[workflow.jobs]]
name = "b"
type = "command"
command = "true"
retries = 0
)"));
  std::vector<std::string> names;
  for (const auto* j : TopologicalOrder(p.workflow)) names.push_back(j->name);
  EXPECT_THAT(names, ElementsAre("b", "train"));
  EXPECT_EQ(p.workflow.FindJob("train")->type, "train");
  EXPECT_EQ(p.workflow.FindJob("train")->retries, 2);
  EXPECT_EQ(p.workflow.FindJob("b")->retries, 0);
}

// ---- cron

int64_t Utc(int y, int mo, int d, int h, int mi) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<int64_t>(timegm(&tm));
}

TEST(Cron, FieldsRangesStepsNames) {
  ASSERT_OK_AND_ASSIGN(CronSchedule c, CronSchedule::Parse("*/15 9-17 * * mon-fri"));
  EXPECT_TRUE(c.Matches(Utc(2026, 11, 20, 9, 45)));  // a Friday
  EXPECT_FALSE(c.Matches(Utc(2026, 11, 20, 9, 46)));
  EXPECT_FALSE(c.Matches(Utc(2026, 11, 21, 9, 45)));  // Saturday
  EXPECT_FALSE(c.Matches(Utc(2026, 11, 20, 18, 0)));
  ASSERT_OK_AND_ASSIGN(CronSchedule d, CronSchedule::Parse("30 3 1,15 jan *"));
  EXPECT_TRUE(d.Matches(Utc(2027, 1, 15, 3, 30)));
  EXPECT_FALSE(d.Matches(Utc(2027, 2, 15, 3, 30)));
  EXPECT_EQ(d.Next(Utc(2026, 11, 21, 0, 0)), Utc(2027, 1, 1, 3, 30));
  // Day of month and day of week both restricted: either matches (Vixie cron).
  ASSERT_OK_AND_ASSIGN(CronSchedule e, CronSchedule::Parse("0 0 13 * 5"));
  EXPECT_TRUE(e.Matches(Utc(2026, 11, 13, 0, 0)));  // the 13th (a Friday too)
  EXPECT_TRUE(e.Matches(Utc(2026, 11, 20, 0, 0)));  // a Friday
  EXPECT_TRUE(e.Matches(Utc(2026, 12, 13, 0, 0)));  // the 13th, a Sunday
  EXPECT_FALSE(e.Matches(Utc(2026, 12, 14, 0, 0)));
  ASSERT_OK_AND_ASSIGN(CronSchedule sun, CronSchedule::Parse("0 12 * * 7"));
  EXPECT_TRUE(sun.Matches(Utc(2026, 11, 22, 12, 0)));
  ASSERT_OK_AND_ASSIGN(CronSchedule never, CronSchedule::Parse("0 0 30 2 *"));
  EXPECT_EQ(never.Next(Utc(2026, 1, 1, 0, 0)), -1);
}

TEST(Cron, Errors) {
  EXPECT_THAT(CronSchedule::Parse("* * * *"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected 5 fields")));
  EXPECT_THAT(CronSchedule::Parse("60 * * * *"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("minute field '60'")));
  EXPECT_THAT(CronSchedule::Parse("* * * * */0"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("day-of-week")));
  EXPECT_THAT(CronSchedule::Parse("* 5-3 * * *"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("hour")));
  EXPECT_THAT(CronSchedule::Parse("* * * foo *"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("month")));
}

// ---- the queue

TEST(RunQueue, TriggersDuringARunQueueOnceAndMerge) {
  RunQueue q;
  EXPECT_FALSE(q.Start().has_value());
  q.Fire("cron 0 * * * *");
  std::optional<RunRequest> first = q.Start();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->TriggerText(), "cron 0 * * * *");
  // While it runs: three firings, two kinds, one params file after another.
  q.Fire("files");
  q.Fire("files");
  q.Fire("params /p/a.json", "/p/a.json");
  q.Fire("params /p/b.json", "/p/b.json");
  EXPECT_FALSE(q.Start().has_value());  // one run at a time
  q.Finish();
  std::optional<RunRequest> second = q.Start();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->TriggerText(), "files + params /p/a.json + params /p/b.json");
  EXPECT_EQ(second->params_file, "/p/b.json");
  q.Finish();
  EXPECT_FALSE(q.Start().has_value());  // nothing lost, nothing multiplied
}

// ---- triggers

TEST(TriggerWatcher, CronNewFilesAndParams) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  std::filesystem::create_directories(dir / "params");
  ASSERT_OK_AND_ASSIGN(config::Project p, Parse(R"(
[workflow.triggers]
cron = ["*/10 * * * *"]
new_files = true
params_dir = "params"
)",
                                                dir.path()));
  const int64_t t0 = Utc(2026, 11, 21, 10, 1);
  ASSERT_OK_AND_ASSIGN(TriggerWatcher w, TriggerWatcher::Create(p, t0));
  ASSERT_OK_AND_ASSIGN(auto fired, w.Poll(t0 + 30));
  EXPECT_TRUE(fired.empty());
  // 10:10 passes between polls: the cron fires once.
  ASSERT_OK_AND_ASSIGN(fired, w.Poll(Utc(2026, 11, 21, 10, 12)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, "cron */10 * * * *");
  // A new source file fires once, not again while it is unprocessed.
  ASSERT_OK(WriteFileAtomic(dir / "data/a.csv", "u,i,t\n1,2,3\n"));
  ASSERT_OK_AND_ASSIGN(fired, w.Poll(Utc(2026, 11, 21, 10, 13)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, "files");
  ASSERT_OK_AND_ASSIGN(fired, w.Poll(Utc(2026, 11, 21, 10, 13)));
  EXPECT_TRUE(fired.empty());
  // A params file: the run trains with it. Non-JSON files are ignored.
  ASSERT_OK(WriteFileAtomic(dir / "params/als64.json", R"({"recipe":"als"})"));
  ASSERT_OK(WriteFileAtomic(dir / "params/notes.txt", "x"));
  ASSERT_OK_AND_ASSIGN(fired, w.Poll(Utc(2026, 11, 21, 10, 13)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].second, dir / "params/als64.json");
  ASSERT_OK_AND_ASSIGN(fired, w.Poll(Utc(2026, 11, 21, 10, 14)));
  EXPECT_TRUE(fired.empty());
}

TEST(Scheduler, RunsQueuedRequestsOneAtATime) {
  TempDir dir;
  std::filesystem::create_directories(dir / "params");
  ASSERT_OK_AND_ASSIGN(config::Project p, Parse(R"(
[workflow.triggers]
params_dir = "params"
poll_seconds = 0.05
)",
                                                dir.path()));
  std::mutex mu;
  std::vector<std::string> runs;
  std::atomic<int> running{0}, max_running{0};
  SchedulerOptions o;
  o.max_runs = 2;
  o.run = [&](const RunRequest& r) {
    int now = ++running;
    max_running = std::max(max_running.load(), now);
    {
      std::lock_guard<std::mutex> l(mu);
      runs.push_back(r.TriggerText());
    }
    if (runs.size() == 1) {
      // Two params files arrive during the first run.
      (void)WriteFileAtomic(dir / "params/b.json", "{}");
      (void)WriteFileAtomic(dir / "params/c.json", "{}");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    --running;
  };
  ASSERT_OK(WriteFileAtomic(dir / "params/a.json", "{}"));
  ASSERT_OK(RunScheduler(p, o));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], "params " + (dir / "params/a.json"));
  EXPECT_EQ(runs[1], "params " + (dir / "params/b.json") + " + params " + (dir / "params/c.json"));
  EXPECT_EQ(max_running.load(), 1);
}

// ---- the runner, with command jobs

class RunnerTest : public ::testing::Test {
 protected:
  StatusOr<config::Project> Project(const std::string& workflow) {
    std::filesystem::create_directories(dir_ / "data");
    return Parse(workflow, dir_.path());
  }
  StatusOr<RunOutcome> Run(const config::Project& p, int64_t resume = 0) {
    RunOptions o;
    o.executable = "/bin/false";  // no built-in job in these graphs
    o.resume_run_id = resume;
    o.observer = [&](const RunEvent& e) { events_.push_back(e); };
    return RunWorkflow(p, o);
  }
  static const catalog::WorkflowJobRecord& Job(const RunOutcome& o, const std::string& name) {
    for (const auto& j : o.record.jobs) {
      if (j.job == name) return j;
    }
    static catalog::WorkflowJobRecord none;
    return none;
  }
  TempDir dir_;
  std::vector<RunEvent> events_;
};

// Each job appends "<name> start <ns>" and "<name> end <ns>" lines to trace.
std::string TracedJob(const std::string& name, const std::string& after, double sleep) {
  return "[[workflow.jobs]]\nname = \"" + name + "\"\ntype = \"command\"\nafter = [" + after +
         "]\ncommand = \"echo " + name + " start $(date +%s%N) >> trace; sleep " +
         std::to_string(sleep) + "; echo " + name + " end $(date +%s%N) >> trace\"\n";
}

std::map<std::string, std::pair<int64_t, int64_t>> ReadTrace(const std::string& path) {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  std::ifstream in(path);
  std::string name, what;
  int64_t ns;
  while (in >> name >> what >> ns) (what == "start" ? out[name].first : out[name].second) = ns;
  return out;
}

TEST_F(RunnerTest, OrderAndParallelism) {
  ASSERT_OK_AND_ASSIGN(config::Project p,
                       Project("[workflow]\nparallel = 2\n" + TracedJob("a", "", 0.05) +
                               TracedJob("b", "\"a\"", 0.4) + TracedJob("c", "\"a\"", 0.4) +
                               TracedJob("d", "\"b\", \"c\"", 0.05)));
  ASSERT_OK_AND_ASSIGN(RunOutcome o, Run(p));
  EXPECT_EQ(o.record.state, "succeeded") << o.record.error;
  auto t = ReadTrace(dir_ / "trace");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_GE(t["b"].first, t["a"].second);
  EXPECT_GE(t["c"].first, t["a"].second);
  EXPECT_GE(t["d"].first, std::max(t["b"].second, t["c"].second));
  // b and c overlapped.
  EXPECT_LT(std::max(t["b"].first, t["c"].first), std::min(t["b"].second, t["c"].second));

  // parallel = 1: b and c one after the other.
  std::filesystem::remove(dir_ / "trace");
  ASSERT_OK_AND_ASSIGN(config::Project p1,
                       Project("[workflow]\nparallel = 1\n" + TracedJob("a", "", 0.05) +
                               TracedJob("b", "\"a\"", 0.2) + TracedJob("c", "\"a\"", 0.2) +
                               TracedJob("d", "\"b\", \"c\"", 0.05)));
  ASSERT_OK_AND_ASSIGN(RunOutcome o1, Run(p1));
  EXPECT_EQ(o1.record.state, "succeeded");
  t = ReadTrace(dir_ / "trace");
  EXPECT_GE(t["c"].first, t["b"].second);
}

TEST_F(RunnerTest, RetriesWithBackoffThenSucceeds) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "flaky"
type = "command"
command = "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 2 ] || { echo 'not yet' >&2; exit 1; }"
retries = 3
retry_backoff_seconds = 0.1
)"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(RunOutcome o, Run(p));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(o.record.state, "succeeded");
  EXPECT_EQ(Job(o, "flaky").attempts, 3);
  EXPECT_GE(secs, 0.3);  // backoff 0.1 s then 0.2 s
  bool saw_retry = false;
  for (const auto& e : events_)
    saw_retry |= e.state == "retrying" && e.message.find("not yet") != std::string::npos;
  EXPECT_TRUE(saw_retry);
}

TEST_F(RunnerTest, RetriesExhaustedFailTheRunAndCancelDependents) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "bad"
type = "command"
command = "echo 'disk full' >&2; exit 4"
retries = 1
retry_backoff_seconds = 0
[[workflow.jobs]]
name = "after_bad"
type = "command"
command = "touch ran"
after = ["bad"]
[[workflow.jobs]]
name = "independent"
type = "command"
command = "touch independent"
)"));
  ASSERT_OK_AND_ASSIGN(RunOutcome o, Run(p));
  EXPECT_EQ(o.record.state, "failed");
  EXPECT_EQ(Job(o, "bad").state, "failed");
  EXPECT_EQ(Job(o, "bad").attempts, 2);
  EXPECT_EQ(Job(o, "bad").error, "disk full (exit 4)");
  EXPECT_EQ(Job(o, "after_bad").state, "cancelled");
  EXPECT_EQ(Job(o, "after_bad").error, "not run: bad failed");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ran"));
  EXPECT_EQ(Job(o, "independent").state, "succeeded");
  EXPECT_EQ(o.record.error, "bad: disk full (exit 4)");
  // The job's log keeps every attempt.
  EXPECT_THAT(Slurp(RunLogDir(p, o.run_id) + "/bad.log"), HasSubstr("--- attempt 2"));
}

TEST_F(RunnerTest, TimeoutKillsTheJobAndWhatItStarted) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "slow"
type = "command"
command = "sleep 30 & echo $! > child; sleep 30"
timeout_seconds = 0.5
)"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(RunOutcome o, Run(p));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 10);
  EXPECT_EQ(Job(o, "slow").state, "failed");
  EXPECT_EQ(Job(o, "slow").error, "timed out after 1 s");
  // The background sleep went with the job's process group.
  pid_t child = std::stoi(Slurp(dir_ / "child"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Gone, or a zombie waiting for a parent that reaps (state Z).
  std::string stat = Slurp("/proc/" + std::to_string(child) + "/stat");
  size_t paren = stat.rfind(')');
  EXPECT_TRUE(stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z"))
      << stat;
}

TEST_F(RunnerTest, ResumeContinuesFromTheFirstUnfinishedJob) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "a"
type = "command"
command = "echo x >> a_runs"
[[workflow.jobs]]
name = "b"
type = "command"
command = "test -f allow"
after = ["a"]
[[workflow.jobs]]
name = "c"
type = "command"
command = "echo x >> c_runs"
after = ["b"]
)"));
  ASSERT_OK_AND_ASSIGN(RunOutcome first, Run(p));
  EXPECT_EQ(first.record.state, "failed");
  EXPECT_EQ(Job(first, "c").state, "cancelled");
  // A finished run cannot be resumed; a failed one can, once.
  ASSERT_OK(WriteFileAtomic(dir_ / "allow", ""));
  ASSERT_OK_AND_ASSIGN(RunOutcome resumed, Run(p, first.run_id));
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.run_id, first.run_id);
  EXPECT_EQ(resumed.record.state, "succeeded");
  EXPECT_EQ(Slurp(dir_ / "a_runs"), "x\n");  // a is not run again
  EXPECT_EQ(Slurp(dir_ / "c_runs"), "x\n");
  EXPECT_THAT(Run(p, first.run_id),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("succeeded")));
  EXPECT_THAT(Run(p, 99), StatusIs(StatusCode::kNotFound, HasSubstr("run 99")));
}

TEST_F(RunnerTest, AnInterruptedRunIsResumedByTheNextStart) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "a"
type = "command"
command = "echo x >> a_runs"
)"));
  // A runner killed mid-run leaves its run "running" and a job "running".
  int64_t id = 0;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<catalog::Catalog> cat,
                         catalog::Catalog::Open(p.catalog_path));
    catalog::WorkflowJobRecord j;
    j.job = "a";
    j.type = "command";
    ASSERT_OK_AND_ASSIGN(id, cat->BeginWorkflowRun("cron 0 3 * * *", "", {j}));
    j.run_id = id;
    j.state = "running";
    j.attempts = 1;
    ASSERT_OK(cat->UpdateWorkflowJob(j));
  }
  ASSERT_OK_AND_ASSIGN(RunOutcome o, Run(p));
  EXPECT_TRUE(o.resumed);
  EXPECT_EQ(o.run_id, id);
  EXPECT_EQ(o.record.trigger, "cron 0 3 * * *");
  EXPECT_EQ(o.record.state, "succeeded");
  // The next start is a new run.
  ASSERT_OK_AND_ASSIGN(RunOutcome next, Run(p));
  EXPECT_FALSE(next.resumed);
  EXPECT_EQ(next.run_id, id + 1);
}

TEST_F(RunnerTest, OneRunAtATime) {
  ASSERT_OK_AND_ASSIGN(config::Project p, Project(R"(
[workflow]
[[workflow.jobs]]
name = "wait"
type = "command"
command = "touch started; while [ ! -f go ]; do sleep 0.02; done"
)"));
  std::thread t([&] { (void)Run(p); });
  while (!std::filesystem::exists(dir_ / "started"))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  RunOptions o;
  o.executable = "/bin/false";
  EXPECT_THAT(RunWorkflow(p, o),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("a run is in progress")));
  ASSERT_OK(WriteFileAtomic(dir_ / "go", ""));
  t.join();
}

// ---- notifications

// Accepts one HTTP request on a loopback port and answers `status`.
class OneShotListener {
 public:
  explicit OneShotListener(int status)
      : acceptor_(ioc_, {boost::asio::ip::address_v4::loopback(), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, status] {
      namespace http = boost::beast::http;
      boost::asio::ip::tcp::socket sock(ioc_);
      acceptor_.accept(sock);
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      boost::beast::error_code ec;
      http::read(sock, buf, req, ec);
      body_ = req.body();
      target_ = std::string(req.target());
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.body() = "ok";
      res.prepare_payload();
      http::write(sock, res, ec);
    });
  }
  ~OneShotListener() {
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string Body() {
    thread_.join();
    return body_;
  }
  const std::string& target() const { return target_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
  std::string body_, target_;
};

TEST(Notify, PostsTheSummaryAndRunsTheCommand) {
  TempDir dir;
  OneShotListener listener(200);
  config::WorkflowNotifyConfig n;
  n.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/hooks/recmart";
  n.command = "cat > summary.json; echo $RECMART_RUN_EVENT $RECMART_RUN_ID > env.txt";
  catalog::WorkflowRunRecord run;
  run.id = 7;
  run.state = "succeeded";
  run.outcome = "promoted v3";
  catalog::WorkflowJobRecord j;
  j.job = "train";
  j.state = "succeeded";
  run.jobs.push_back(j);
  ASSERT_OK(SendNotification(n, dir.path(), "success", RunSummaryJson(run, "success")));
  nlohmann::json posted = nlohmann::json::parse(listener.Body());
  EXPECT_EQ(listener.target(), "/hooks/recmart");
  EXPECT_EQ(posted["run"], 7);
  EXPECT_EQ(posted["event"], "success");
  EXPECT_EQ(posted["outcome"], "promoted v3");
  EXPECT_EQ(posted["jobs"][0]["job"], "train");
  EXPECT_EQ(nlohmann::json::parse(Slurp(dir / "summary.json"))["run"], 7);
  EXPECT_EQ(Slurp(dir / "env.txt"), "success 7\n");
  // Not subscribed: nothing is sent (no listener: a send would fail).
  n.on = {"failure"};
  n.command = "exit 1";
  EXPECT_OK(SendNotification(n, dir.path(), "success", RunSummaryJson(run, "success")));
}

TEST(Notify, FailuresNameTheTarget) {
  TempDir dir;
  OneShotListener listener(500);
  config::WorkflowNotifyConfig n;
  n.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/x";
  EXPECT_THAT(SendNotification(n, dir.path(), "failure", nlohmann::json::object()),
              StatusIs(StatusCode::kIOError, HasSubstr("HTTP 500")));
  n.url.clear();
  n.command = "echo 'no route' >&2; exit 2";
  EXPECT_THAT(SendNotification(n, dir.path(), "failure", nlohmann::json::object()),
              StatusIs(StatusCode::kIOError, HasSubstr("no route")));
  n.command = "sleep 5";
  n.timeout_seconds = 0.2;
  EXPECT_THAT(SendNotification(n, dir.path(), "failure", nlohmann::json::object()),
              StatusIs(StatusCode::kUnavailable, HasSubstr("no exit within")));
}

}  // namespace
}  // namespace recmart::workflow
