// recmart_load: the HTTP client of bench/serve_load.sh, the load and abuse
// suite of issue 7 (item 5). One thread, Boost.Beast/Asio, loopback.
//
//   capacity  closed loop: --connections clients send back to back for
//             --seconds; the throughput after --warmup seconds is the server's
//             capacity for the request mix.
//   rate      open loop: requests fall due at --rate per second (Poisson
//             arrivals) whatever the server does, over a pool of keep-alive
//             connections; a request's latency counts from when it fell due,
//             so a stalled server shows in the figures (no coordinated
//             omission). A request not answered --timeout-ms after it fell due
//             fails (a late answer is still read, on the same connection),
//             like any non-2xx, connection error or malformed answer.
//   idle      opens --connections keep-alive connections, one GET /healthz on
//             each (none with --silent), then holds them without a byte more
//             for --hold seconds, watching for the server to close them.
//   slow      --connections clients send a request a byte every --byte-ms
//             (--part header: the whole request; body: the body only); the
//             server must cut them off, and never answer them 2xx.
//   abuse     bad requests (oversized, malformed, unauthorised, missing
//             keys), each --repeat times, each expecting one status code.
//
// The request mix of capacity and rate: GET /recommendations for random users
// (numResults 25, --filter), and a share (--events-share) of POST /events for
// users outside the probe set (--event-users of them: a bounded set of active
// users, whose live history the server caps, so that memory reaches a steady
// state; a tenth of the GETs go to them too). Users u0..u{--probe-users - 1}
// never get events, so every answer for one of them under one model version
// must list the same items: an answer built from one version and labelled
// with another shows up as an inconsistency.
//
// Every mode prints its figures and ends with one line "RESULT key=value ..."
// for the script; the exit code is 0 unless the tool itself could not run.
#include <simdjson.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
int64_t Micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string key;  // X-API-Key for writes
  int connections = 16;
  double seconds = 10;
  double warmup = 2;
  double rate = 1000;
  int64_t timeout_ms = 2000;
  double report_every = 10;
  double events_share = 0.1;
  uint32_t users = 1000000;
  uint32_t items = 100000;
  uint32_t probe_users = 100;
  uint32_t event_users = 0;   // 0: events for any user but the probes
  double probe_share = 0.05;  // of the GETs
  int num_results = 25;
  std::string filter = "no-purchased";
  uint64_t seed = 7;
  // idle
  double hold = 10;
  bool silent = false;
  int connect_rate = 2000;  // new connections per second
  std::string ready_file;
  // slow
  int byte_ms = 100;
  std::string part = "header";
  double max_seconds = 30;
  // abuse
  int repeat = 1;
  int64_t max_body = 1 << 20;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "recmart_load: %s\n"
               "usage: recmart_load capacity|rate|idle|slow|abuse --port P [--key K] [options]\n"
               "  see the comment at the top of bench/serve_load.cc\n",
               why.c_str());
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  if (argc < 2) Usage("no mode");
  Options o;
  o.mode = argv[1];
  auto str = [](std::string* f) { return [f](const std::string& v) { *f = v; }; };
  auto num = [](auto* f) {
    return
        [f](const std::string& v) { *f = static_cast<std::decay_t<decltype(*f)>>(std::stod(v)); };
  };
  const std::map<std::string, std::function<void(const std::string&)>> setters = {
      {"--host", str(&o.host)},
      {"--port", num(&o.port)},
      {"--key", str(&o.key)},
      {"--connections", num(&o.connections)},
      {"--seconds", num(&o.seconds)},
      {"--warmup", num(&o.warmup)},
      {"--rate", num(&o.rate)},
      {"--timeout-ms", num(&o.timeout_ms)},
      {"--report-every", num(&o.report_every)},
      {"--events-share", num(&o.events_share)},
      {"--users", num(&o.users)},
      {"--items", num(&o.items)},
      {"--probe-users", num(&o.probe_users)},
      {"--event-users", num(&o.event_users)},
      {"--num-results", num(&o.num_results)},
      {"--filter", str(&o.filter)},
      {"--seed", num(&o.seed)},
      {"--hold", num(&o.hold)},
      {"--connect-rate", num(&o.connect_rate)},
      {"--ready-file", str(&o.ready_file)},
      {"--byte-ms", num(&o.byte_ms)},
      {"--part", str(&o.part)},
      {"--max-seconds", num(&o.max_seconds)},
      {"--repeat", num(&o.repeat)},
      {"--max-body", num(&o.max_body)},
  };
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--silent") {
      o.silent = true;
      continue;
    }
    auto it = setters.find(a);
    if (it == setters.end()) Usage("unknown option " + a);
    if (i + 1 >= argc) Usage("missing value for " + a);
    const std::string v = argv[++i];
    try {
      it->second(v);
    } catch (const std::exception&) {
      Usage("bad value for " + a + ": " + v);
    }
  }
  if (o.port <= 0) Usage("--port is required");
  if (o.connections < 1) Usage("--connections must be at least 1");
  if (o.users == 0 || o.items == 0) Usage("--users and --items must be positive");
  if (o.probe_users >= o.users) o.probe_users = 0;
  return o;
}

// Sorted copy's percentile, in microseconds; 0 for no samples.
int64_t Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

struct LatencySummary {
  size_t n = 0;
  int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
};

LatencySummary Summarize(std::vector<int64_t> v) {
  LatencySummary s;
  s.n = v.size();
  if (v.empty()) return s;
  s.max = *std::max_element(v.begin(), v.end());
  s.p50 = Percentile(v, 50);
  s.p99 = Percentile(v, 99);
  s.p999 = Percentile(v, 99.9);
  return s;
}

tcp::endpoint Endpoint(const Options& o) {
  return tcp::endpoint(net::ip::make_address(o.host), static_cast<unsigned short>(o.port));
}

// ---------------------------------------------------------------------------
// capacity and rate: the request mix over a pool of keep-alive connections.

struct Job {
  Clock::time_point due;
  bool event = false;
  uint32_t user = 0;
  uint32_t item = 0;
  bool retried = false;
};

class LoadRun {
 public:
  LoadRun(net::io_context& ioc, const Options& o, bool closed_loop)
      : ioc_(ioc),
        o_(o),
        closed_loop_(closed_loop),
        endpoint_(Endpoint(o)),
        rng_(o.seed),
        arrival_(o.rate > 0 ? o.rate : 1.0),
        timer_(ioc),
        report_timer_(ioc) {
    for (int i = 0; i < o.connections; ++i) conns_.push_back(std::make_unique<Conn>(ioc));
  }

  void Start() {
    start_ = Clock::now();
    end_ = start_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.seconds));
    measure_from_ = closed_loop_ ? start_ + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o_.warmup))
                                 : start_;
    last_report_ = start_;
    if (closed_loop_) {
      for (auto& c : conns_) Send(c.get(), MakeJob(start_));
    } else {
      for (auto& c : conns_) idle_.push_back(c.get());
      next_due_ = start_;
      OnTick();
    }
    Tick();
  }

  // Prints the figures and the RESULT line.
  void Finish() {
    const double secs = Seconds(Clock::now() - measure_from_);
    const double window = Seconds(std::min(Clock::now(), end_) - measure_from_);
    LatencySummary all = Summarize(latencies_);
    const uint64_t failed = fail_status_ + fail_timeout_ + fail_conn_ + fail_body_;
    std::printf(
        "%s: %.1f s, %llu requests due, %llu ok, %llu failed (status %llu, timeout %llu, "
        "connection %llu, malformed %llu)\n",
        o_.mode.c_str(), secs, static_cast<unsigned long long>(sent_),
        static_cast<unsigned long long>(ok_), static_cast<unsigned long long>(failed),
        static_cast<unsigned long long>(fail_status_),
        static_cast<unsigned long long>(fail_timeout_), static_cast<unsigned long long>(fail_conn_),
        static_cast<unsigned long long>(fail_body_));
    for (const auto& [status, n] : statuses_) {
      if (status / 100 != 2) std::printf("  status %d: %llu\n", status, (unsigned long long)n);
    }
    if (!first_error_.empty()) std::printf("  first failure: %s\n", first_error_.c_str());
    std::printf(
        "  latency of answers (from when due) p50 %lld us  p99 %lld us  p99.9 %lld us  max %lld "
        "us\n",
        (long long)all.p50, (long long)all.p99, (long long)all.p999, (long long)all.max);
    std::printf("  throughput %.0f ok/s (%llu GET /recommendations, %llu POST /events)\n",
                window > 0 ? measured_ok_ / window : 0.0, (unsigned long long)gets_ok_,
                (unsigned long long)events_ok_);
    std::string versions;
    for (const auto& [v, st] : versions_) {
      std::printf("  modelVersion %s: %llu answers, first %.1f s, last %.1f s\n", v.c_str(),
                  (unsigned long long)st.n, st.first, st.last);
      versions += (versions.empty() ? "" : ",") + v + ":" + std::to_string(st.n);
    }
    std::printf(
        "  version changes between consecutive answers: %llu; short lists: %llu; "
        "probe answers checked: %llu, inconsistent: %llu; reconnects: %llu (GETs sent again "
        "after the server closed an idle connection: %llu)\n",
        (unsigned long long)version_changes_, (unsigned long long)short_lists_,
        (unsigned long long)probe_checked_, (unsigned long long)inconsistent_,
        (unsigned long long)reconnects_, (unsigned long long)stale_retries_);
    std::printf(
        "RESULT mode=%s due=%llu ok=%llu failed=%llu fail_status=%llu fail_timeout=%llu "
        "fail_conn=%llu fail_body=%llu inconsistent=%llu probe_checked=%llu rps=%.0f "
        "p50_us=%lld p99_us=%lld p999_us=%lld max_us=%lld versions=%s\n",
        o_.mode.c_str(), (unsigned long long)sent_, (unsigned long long)ok_,
        (unsigned long long)failed, (unsigned long long)fail_status_,
        (unsigned long long)fail_timeout_, (unsigned long long)fail_conn_,
        (unsigned long long)fail_body_, (unsigned long long)inconsistent_,
        (unsigned long long)probe_checked_, window > 0 ? measured_ok_ / window : 0.0,
        (long long)all.p50, (long long)all.p99, (long long)all.p999, (long long)all.max,
        versions.empty() ? "-" : versions.c_str());
  }

 private:
  struct Conn {
    explicit Conn(net::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    std::optional<http::response_parser<http::string_body>> parser;
    bool open = false;
    bool reused = false;  // the current request went out on a kept-alive connection
    bool connected_once = false;
    Job job;
  };
  enum class Failure { kStatus, kTimeout, kConnection, kBody };
  struct VersionStats {
    uint64_t n = 0;
    double first = 0, last = 0;
  };

  // Users u0..u{probe-1} are probes (GETs only); the next --event-users
  // (all the others when 0) get the events, and a tenth of the GETs.
  Job MakeJob(Clock::time_point due) {
    auto pick = [this](uint32_t from, uint32_t n) {
      return from + std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
    };
    const uint32_t probes = o_.probe_users;
    const uint32_t active =
        o_.event_users > 0 ? std::min(o_.event_users, o_.users - probes) : o_.users - probes;
    Job j;
    j.due = due;
    j.event = std::uniform_real_distribution<double>(0, 1)(rng_) < o_.events_share;
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (j.event) {
      j.user = pick(probes, active);
    } else if (probes > 0 && r < o_.probe_share) {
      j.user = pick(0, probes);
    } else if (o_.event_users > 0 && r < o_.probe_share + 0.1) {
      j.user = pick(probes, active);
    } else {
      j.user = pick(0, o_.users);
    }
    j.item = pick(0, o_.items);
    return j;
  }

  // Open loop: moves every request due by now into the queue, hands queued
  // requests to free connections, and sleeps until the next one falls due.
  void OnTick() {
    const auto now = Clock::now();
    while (next_due_ <= now && next_due_ < end_) {
      pending_.push_back(MakeJob(next_due_));
      next_due_ += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(arrival_(rng_)));
    }
    Dispatch();
    if (next_due_ < end_) {
      timer_.expires_at(next_due_);
      timer_.async_wait([this](beast::error_code ec) {
        if (!ec) OnTick();
      });
    }
  }

  void Dispatch() {
    while (!pending_.empty() && !idle_.empty()) {
      Job j = pending_.front();
      pending_.pop_front();
      if (Clock::now() >= Deadline(j)) {
        ++sent_;
        Fail(j, Failure::kTimeout, "queued past its deadline (no free connection)");
        continue;
      }
      Conn* c = idle_.front();  // round robin: every connection stays warm
      idle_.pop_front();
      Send(c, j);
    }
  }

  Clock::time_point Deadline(const Job& j) const {
    return j.due + std::chrono::milliseconds(o_.timeout_ms);
  }

  void Send(Conn* c, Job j) {
    ++sent_;
    ++busy_;
    c->job = j;
    c->req = {};
    c->req.version(11);
    c->req.set(http::field::host, o_.host);
    c->req.keep_alive(true);
    if (j.event) {
      c->req.method(http::verb::post);
      c->req.target("/events");
      c->req.set(http::field::content_type, "application/json");
      if (!o_.key.empty()) c->req.set("X-API-Key", o_.key);
      const std::string u = std::to_string(j.user);
      c->req.body() = "{\"sessionId\":\"s" + u + "\",\"userId\":\"u" + u +
                      "\",\"eventList\":[{\"eventType\":\"view\",\"itemId\":\"i" +
                      std::to_string(j.item) + "\",\"sentAt\":1732000000}]}";
      c->req.prepare_payload();
    } else {
      c->req.method(http::verb::get);
      std::string target = "/recommendations?userId=u" + std::to_string(j.user) +
                           "&numResults=" + std::to_string(o_.num_results);
      if (!o_.filter.empty()) target += "&filter=" + o_.filter;
      c->req.target(target);
    }
    // A late answer still fails (Done), but is read: closing the connection
    // would only add reconnects to an overloaded server. Only a server that
    // does not answer at all loses the connection.
    c->stream.expires_at(Deadline(j) + std::chrono::milliseconds(10 * o_.timeout_ms));
    c->reused = c->open;
    if (c->open) return Write(c);
    if (c->connected_once) ++reconnects_;
    c->stream.async_connect(endpoint_, [this, c](beast::error_code ec) {
      if (ec) return Done(c, ec);
      c->connected_once = true;
      c->open = true;
      beast::error_code ignored;
      c->stream.socket().set_option(tcp::no_delay(true), ignored);
      Write(c);
    });
  }

  void Write(Conn* c) {
    http::async_write(c->stream, c->req, [this, c](beast::error_code ec, size_t) {
      if (ec) return Done(c, ec);
      c->parser.emplace();
      c->parser->body_limit(16 << 20);
      http::async_read(c->stream, c->buffer, *c->parser,
                       [this, c](beast::error_code ec, size_t) { Done(c, ec); });
    });
  }

  void Done(Conn* c, beast::error_code ec) {
    --busy_;
    Job j = c->job;
    if (ec && !j.event && !j.retried && c->reused &&
        (ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe)) {
      // The server closed a kept-alive connection (its idle timeout) as this
      // request went out: like any HTTP client, send a GET again, once, on a
      // new connection.
      ++stale_retries_;
      j.retried = true;
      beast::error_code ignored;
      c->stream.socket().close(ignored);
      c->open = false;
      c->buffer.clear();
      --sent_;
      return Send(c, j);
    }
    if (ec) {
      Fail(j, ec == beast::error::timeout ? Failure::kTimeout : Failure::kConnection, ec.message());
      beast::error_code ignored;
      c->stream.socket().close(ignored);
      c->stream.expires_never();
      c->open = false;
      c->buffer.clear();
      return Release(c);
    }
    const auto& res = c->parser->get();
    const int status = res.result_int();
    ++statuses_[status];
    if (status / 100 != 2) {
      Fail(j, Failure::kStatus, "HTTP " + std::to_string(status) + ": " + res.body());
    } else if (Clock::now() > Deadline(j)) {
      Record(j);  // its latency counts too
      Fail(j, Failure::kTimeout,
           "answered after " + std::to_string(Micros(Clock::now() - j.due) / 1000) + " ms");
    } else if (!j.event && !CheckAnswer(j, res.body())) {
      Fail(j, Failure::kBody, "malformed answer: " + res.body().substr(0, 200));
    } else {
      Succeed(j);
    }
    if (!res.keep_alive()) {
      beast::error_code ignored;
      c->stream.socket().close(ignored);
      c->open = false;
      c->buffer.clear();
    }
    Release(c);
  }

  // A recommendations answer: an object with a non-empty itemList of
  // {itemId, score}, a recommendationId and a modelVersion.
  bool CheckAnswer(const Job& j, const std::string& body) {
    simdjson::dom::element doc;
    if (json_.parse(body).get(doc) != simdjson::SUCCESS) return false;
    std::string_view version, rid;
    simdjson::dom::array list;
    if (doc["modelVersion"].get_string().get(version) != simdjson::SUCCESS || version.empty())
      return false;
    if (doc["recommendationId"].get_string().get(rid) != simdjson::SUCCESS || rid.empty())
      return false;
    if (doc["itemList"].get_array().get(list) != simdjson::SUCCESS || list.size() == 0)
      return false;
    std::string fingerprint;
    for (simdjson::dom::element e : list) {
      std::string_view id;
      double score;
      if (e["itemId"].get_string().get(id) != simdjson::SUCCESS || id.empty()) return false;
      if (e["score"].get_double().get(score) != simdjson::SUCCESS) return false;
      fingerprint.append(id).push_back(',');
    }
    if (list.size() < static_cast<size_t>(o_.num_results)) ++short_lists_;
    const double t = Seconds(Clock::now() - start_);
    const std::string v(version);
    VersionStats& st = versions_[v];
    if (st.n++ == 0) st.first = t;
    st.last = t;
    if (!last_version_.empty() && last_version_ != v) ++version_changes_;
    last_version_ = v;
    if (j.user < o_.probe_users) {
      ++probe_checked_;
      auto [it, fresh] = probes_.try_emplace(v + "/" + std::to_string(j.user), fingerprint);
      if (!fresh && it->second != fingerprint) {
        ++inconsistent_;
        if (first_error_.empty()) {
          first_error_ = "inconsistent answer for u" + std::to_string(j.user) + " under " + v;
        }
      }
    }
    return true;
  }

  void Succeed(const Job& j) {
    ++ok_;
    (j.event ? events_ok_ : gets_ok_)++;
    if (j.due >= measure_from_) ++measured_ok_;
    Record(j);
  }

  // The latency of an answered request, from when it fell due.
  void Record(const Job& j) {
    if (j.due < measure_from_) return;
    const int64_t us = Micros(Clock::now() - j.due);
    latencies_.push_back(us);
    interval_.push_back(us);
  }

  void Fail(const Job& j, Failure f, const std::string& what) {
    (void)j;
    switch (f) {
      case Failure::kStatus:
        ++fail_status_;
        break;
      case Failure::kTimeout:
        ++fail_timeout_;
        break;
      case Failure::kConnection:
        ++fail_conn_;
        break;
      case Failure::kBody:
        ++fail_body_;
        break;
    }
    ++interval_failed_;
    if (first_error_.empty()) {
      first_error_ = std::string(j.event ? "POST /events" : "GET /recommendations") + " at " +
                     std::to_string(Seconds(j.due - start_)).substr(0, 6) + " s: " + what;
    }
  }

  void Release(Conn* c) {
    if (closed_loop_ && Clock::now() < end_) return Send(c, MakeJob(Clock::now()));
    idle_.push_back(c);
    if (!closed_loop_) Dispatch();
    MaybeStop();
  }

  // Stops once the run is over and every request is answered, or when the
  // stragglers have had their timeout (they count as timed out).
  void MaybeStop() {
    const auto now = Clock::now();
    if (now < end_) return;
    if (busy_ == 0 && pending_.empty()) return Stop();
    if (now > end_ + std::chrono::milliseconds(o_.timeout_ms + 500)) {
      for (const Job& j : pending_) {
        ++sent_;
        Fail(j, Failure::kTimeout, "never sent");
      }
      pending_.clear();
      fail_timeout_ += busy_;
      busy_ = 0;
      Stop();
    }
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    ioc_.stop();
  }

  // Every 100 ms: stop when done; every --report-every seconds: one line of
  // figures for the interval.
  void Tick() {
    report_timer_.expires_after(std::chrono::milliseconds(100));
    report_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      const auto now = Clock::now();
      if (o_.report_every > 0 && now <= end_ + std::chrono::milliseconds(100) &&
          Seconds(now - last_report_) >= o_.report_every) {
        LatencySummary s = Summarize(std::move(interval_));
        interval_.clear();
        std::printf(
            "  t=%5.0f s  %6.0f answers/s  p50 %6lld us  p99 %7lld us  max %8lld us  "
            "failed %llu  in flight %d  queued %zu  version %s\n",
            Seconds(now - start_), s.n / Seconds(now - last_report_), (long long)s.p50,
            (long long)s.p99, (long long)s.max, (unsigned long long)interval_failed_, busy_,
            pending_.size(), last_version_.empty() ? "-" : last_version_.c_str());
        std::fflush(stdout);
        interval_failed_ = 0;
        last_report_ = now;
      }
      MaybeStop();
      if (!stopped_) Tick();
    });
  }

  net::io_context& ioc_;
  const Options& o_;
  const bool closed_loop_;
  const tcp::endpoint endpoint_;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> arrival_;
  net::steady_timer timer_, report_timer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<Conn*> idle_;
  std::deque<Job> pending_;
  int busy_ = 0;
  bool stopped_ = false;
  Clock::time_point start_, end_, measure_from_, next_due_, last_report_;
  simdjson::dom::parser json_;

  uint64_t sent_ = 0, ok_ = 0, measured_ok_ = 0, gets_ok_ = 0, events_ok_ = 0;
  uint64_t fail_status_ = 0, fail_timeout_ = 0, fail_conn_ = 0, fail_body_ = 0;
  uint64_t interval_failed_ = 0, reconnects_ = 0, short_lists_ = 0, stale_retries_ = 0;
  uint64_t version_changes_ = 0, probe_checked_ = 0, inconsistent_ = 0;
  std::map<int, uint64_t> statuses_;
  std::map<std::string, VersionStats> versions_;
  std::string last_version_, first_error_;
  std::unordered_map<std::string, std::string> probes_;
  std::vector<int64_t> latencies_, interval_;
};

// ---------------------------------------------------------------------------
// idle: many connections that say nothing after their first request.

class IdleRun {
 public:
  IdleRun(net::io_context& ioc, const Options& o)
      : ioc_(ioc), o_(o), endpoint_(Endpoint(o)), pace_(ioc), hold_timer_(ioc) {}

  void Start() {
    start_ = Clock::now();
    Pace();
  }

  void Finish() {
    std::vector<int64_t> closes;
    int open = 0;
    for (auto& c : conns_) {
      if (c->state == State::kIdle) ++open;
      if (c->state == State::kClosedByServer) closes.push_back(c->closed_after_ms);
    }
    std::sort(closes.begin(), closes.end());
    const double ready = Seconds(ready_at_ - start_);
    std::printf(
        "idle: %d connections asked for, %d established%s, %d refused (503), %d failed; "
        "all settled in %.1f s; held %.1f s; %d still open, %zu closed by the server\n",
        o_.connections, established_, o_.silent ? " (silent)" : " (one request each)", refused_,
        failed_, ready, o_.hold, open, closes.size());
    if (!closes.empty()) {
      std::printf("  closed by the server after %.2f .. %.2f s of silence\n",
                  closes.front() / 1000.0, closes.back() / 1000.0);
    }
    if (!first_error_.empty()) std::printf("  first failure: %s\n", first_error_.c_str());
    std::printf(
        "RESULT mode=idle asked=%d established=%d refused=%d failed=%d open=%d closed=%zu "
        "close_min_s=%.2f close_max_s=%.2f ready_s=%.1f\n",
        o_.connections, established_, refused_, failed_, open, closes.size(),
        closes.empty() ? 0.0 : closes.front() / 1000.0,
        closes.empty() ? 0.0 : closes.back() / 1000.0, ready);
  }

 private:
  enum class State { kConnecting, kIdle, kRefused, kFailed, kClosedByServer };
  struct Conn {
    explicit Conn(net::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::empty_body> req;
    http::response<http::string_body> res;
    char byte = 0;
    State state = State::kConnecting;
    Clock::time_point idle_since;
    int64_t closed_after_ms = 0;
  };

  // Opens connections at --connect-rate, so the listen backlog keeps up.
  void Pace() {
    const int per_tick = std::max(1, o_.connect_rate / 100);
    for (int i = 0; i < per_tick && static_cast<int>(conns_.size()) < o_.connections; ++i) {
      conns_.push_back(std::make_unique<Conn>(ioc_));
      Open(conns_.back().get());
    }
    if (static_cast<int>(conns_.size()) < o_.connections) {
      pace_.expires_after(std::chrono::milliseconds(10));
      pace_.async_wait([this](beast::error_code ec) {
        if (!ec) Pace();
      });
    }
  }

  void Open(Conn* c) {
    c->stream.expires_after(std::chrono::seconds(10));
    c->stream.async_connect(endpoint_, [this, c](beast::error_code ec) {
      if (ec) return Settle(c, State::kFailed, "connect: " + ec.message());
      if (o_.silent) return Settle(c, State::kIdle, "");
      c->req = {http::verb::get, "/healthz", 11};
      c->req.set(http::field::host, o_.host);
      c->req.keep_alive(true);
      http::async_write(c->stream, c->req, [this, c](beast::error_code ec, size_t) {
        if (ec) return Settle(c, State::kFailed, "write: " + ec.message());
        http::async_read(c->stream, c->buffer, c->res, [this, c](beast::error_code ec, size_t) {
          if (ec) return Settle(c, State::kFailed, "read: " + ec.message());
          const int status = c->res.result_int();
          c->res = {};
          c->buffer = beast::flat_buffer();
          if (status == 503) return Settle(c, State::kRefused, "");
          if (status != 200) return Settle(c, State::kFailed, "HTTP " + std::to_string(status));
          Settle(c, State::kIdle, "");
        });
      });
    });
  }

  void Settle(Conn* c, State s, const std::string& why) {
    c->state = s;
    c->stream.expires_never();
    if (s == State::kIdle) {
      ++established_;
      c->idle_since = Clock::now();
      // Any completion of this read means the server closed (or, wrongly,
      // sent something unasked).
      c->stream.socket().async_read_some(
          net::buffer(&c->byte, 1), [this, c](beast::error_code, size_t) {
            if (c->state != State::kIdle) return;
            c->state = State::kClosedByServer;
            c->closed_after_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c->idle_since)
                    .count();
            beast::error_code ignored;
            c->stream.socket().close(ignored);
          });
    } else {
      if (s == State::kRefused) ++refused_;
      if (s == State::kFailed) {
        ++failed_;
        if (first_error_.empty()) first_error_ = why;
      }
      beast::error_code ignored;
      c->stream.socket().close(ignored);
    }
    if (established_ + refused_ + failed_ == o_.connections) Ready();
  }

  void Ready() {
    ready_at_ = Clock::now();
    std::printf("idle: %d established, %d refused, %d failed after %.1f s; holding %.0f s\n",
                established_, refused_, failed_, Seconds(ready_at_ - start_), o_.hold);
    std::fflush(stdout);
    if (!o_.ready_file.empty()) std::ofstream(o_.ready_file) << "ready\n";
    hold_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(o_.hold * 1000)));
    hold_timer_.async_wait([this](beast::error_code) { ioc_.stop(); });
  }

  net::io_context& ioc_;
  const Options& o_;
  const tcp::endpoint endpoint_;
  net::steady_timer pace_, hold_timer_;
  std::vector<std::unique_ptr<Conn>> conns_;
  int established_ = 0, refused_ = 0, failed_ = 0;
  Clock::time_point start_, ready_at_;
  std::string first_error_;
};

// ---------------------------------------------------------------------------
// slow: a byte at a time.

class SlowRun {
 public:
  SlowRun(net::io_context& ioc, const Options& o)
      : ioc_(ioc), o_(o), endpoint_(Endpoint(o)), deadline_(ioc) {}

  void Start() {
    start_ = Clock::now();
    const std::string body =
        "{\"sessionId\":\"slow\",\"userId\":\"slow\",\"eventList\":[{\"eventType\":\"view\","
        "\"itemId\":\"i1\",\"sentAt\":1732000000}]}";
    std::string head = "POST /events HTTP/1.1\r\nHost: " + o_.host +
                       "\r\nContent-Type: application/json\r\nX-API-Key: " + o_.key +
                       "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    for (int i = 0; i < o_.connections; ++i) {
      auto c = std::make_unique<Conn>(ioc_);
      if (o_.part == "body") {
        c->upfront = head;
        c->trickle = body;
      } else {
        c->trickle = head + body;
      }
      conns_.push_back(std::move(c));
      Open(conns_.back().get());
    }
    deadline_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(o_.max_seconds * 1000)));
    deadline_.async_wait([this](beast::error_code) { ioc_.stop(); });
  }

  void Finish() {
    std::vector<double> closes;
    int open = 0, answered = 0, served = 0, failed = 0;
    std::map<int, int> statuses;
    for (auto& c : conns_) {
      if (c->failed) ++failed;
      if (c->status) {
        ++answered;
        ++statuses[c->status];
        if (c->status / 100 == 2) ++served;
      }
      if (c->closed) {
        closes.push_back(c->closed_after_s);
      } else if (!c->failed) {
        ++open;
      }
    }
    std::sort(closes.begin(), closes.end());
    std::printf(
        "slow (%s a byte every %d ms): %d connections, %zu cut off by the server, "
        "%d still open after %.0f s, %d answered (%d with 2xx), %d failed to connect\n",
        o_.part == "body" ? "body" : "headers and body", o_.byte_ms, o_.connections, closes.size(),
        open, o_.max_seconds, answered, served, failed);
    for (const auto& [s, n] : statuses) std::printf("  answered %d: %d\n", s, n);
    if (!closes.empty()) {
      std::printf("  cut off after %.2f .. %.2f s (from the first byte)\n", closes.front(),
                  closes.back());
    }
    std::printf(
        "RESULT mode=slow part=%s connections=%d closed=%zu open=%d served=%d answered=%d "
        "failed=%d close_min_s=%.2f close_max_s=%.2f\n",
        o_.part.c_str(), o_.connections, closes.size(), open, served, answered, failed,
        closes.empty() ? 0.0 : closes.front(), closes.empty() ? 0.0 : closes.back());
  }

 private:
  struct Conn {
    explicit Conn(net::io_context& ioc) : socket(ioc), timer(ioc) {}
    tcp::socket socket;
    net::steady_timer timer;
    std::string upfront, trickle;
    size_t sent = 0;
    char in[4096];
    std::string received;
    Clock::time_point first_byte;
    bool closed = false, failed = false;
    double closed_after_s = 0;
    int status = 0;
  };

  void Open(Conn* c) {
    c->socket.async_connect(endpoint_, [this, c](beast::error_code ec) {
      if (ec) {
        c->failed = true;
        return Settled();
      }
      c->first_byte = Clock::now();
      Watch(c);
      if (!c->upfront.empty()) {
        net::async_write(c->socket, net::buffer(c->upfront),
                         [this, c](beast::error_code ec, size_t) {
                           if (!ec) Trickle(c);
                         });
      } else {
        Trickle(c);
      }
    });
  }

  void Trickle(Conn* c) {
    if (c->closed || c->sent >= c->trickle.size()) return;
    net::async_write(c->socket, net::buffer(&c->trickle[c->sent], 1),
                     [this, c](beast::error_code ec, size_t) {
                       if (ec) return;  // the read side sees the close
                       ++c->sent;
                       c->timer.expires_after(std::chrono::milliseconds(o_.byte_ms));
                       c->timer.async_wait([this, c](beast::error_code ec) {
                         if (!ec) Trickle(c);
                       });
                     });
  }

  // Reads whatever the server sends until it closes.
  void Watch(Conn* c) {
    c->socket.async_read_some(net::buffer(c->in), [this, c](beast::error_code ec, size_t n) {
      c->received.append(c->in, n);
      if (c->status == 0 && c->received.size() >= 12 && c->received.rfind("HTTP/1.", 0) == 0) {
        c->status = std::atoi(c->received.c_str() + 9);
      }
      if (ec) {
        c->closed = true;
        c->closed_after_s = Seconds(Clock::now() - c->first_byte);
        c->timer.cancel();
        beast::error_code ignored;
        c->socket.close(ignored);
        return Settled();
      }
      Watch(c);
    });
  }

  void Settled() {
    if (++done_ == o_.connections) ioc_.stop();
  }

  net::io_context& ioc_;
  const Options& o_;
  const tcp::endpoint endpoint_;
  net::steady_timer deadline_;
  std::vector<std::unique_ptr<Conn>> conns_;
  Clock::time_point start_;
  int done_ = 0;
};

// ---------------------------------------------------------------------------
// abuse: bad requests with the status each must get.

struct AbuseCase {
  std::string name;
  std::string request;  // raw bytes
  int expect;
  std::string expect_in_body;  // "" or a substring of the error message
};

std::string Raw(const std::string& method, const std::string& target, const std::string& key,
                const std::string& body, const std::string& extra = "") {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: x\r\n";
  if (!key.empty()) r += "X-API-Key: " + key + "\r\n";
  r += extra;
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
       "\r\n\r\n";
  return r + body;
}

std::vector<AbuseCase> AbuseCases(const Options& o) {
  const std::string& k = o.key;
  const std::string event =
      "{\"sessionId\":\"s\",\"userId\":\"u1\",\"eventList\":[{\"eventType\":\"view\","
      "\"itemId\":\"i1\",\"sentAt\":1732000000}]}";
  std::string big = "{\"sessionId\":\"";
  big += std::string(static_cast<size_t>(o.max_body), 'x');
  big += "\"}";
  std::string chunked = "POST /events HTTP/1.1\r\nHost: x\r\nX-API-Key: " + k +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(64 * 1024, 'y');
  for (int64_t n = 0; n <= o.max_body; n += static_cast<int64_t>(chunk.size())) {
    chunked += "10000\r\n" + chunk + "\r\n";
  }
  chunked += "0\r\n\r\n";
  return {
      {"oversized body (Content-Length over the limit)", Raw("POST", "/events", k, big), 413, ""},
      {"oversized body (chunked)", chunked, 413, ""},
      {"announced 10 GB body",
       "POST /events HTTP/1.1\r\nHost: x\r\nX-API-Key: " + k +
           "\r\nContent-Length: 10000000000\r\n\r\n{\"",
       413, ""},
      {"oversized headers",
       Raw("GET", "/healthz", "", "", "X-Pad: " + std::string(20000, 'p') + "\r\n"), 431, ""},
      {"malformed request line", "GARBAGE\r\n\r\n", 400, ""},
      {"invalid JSON (events)", Raw("POST", "/events", k, "{\"sessionId\": \"s\", eventList"), 400,
       "JSON"},
      {"invalid JSON (recommendations)", Raw("POST", "/recommendations", k, "{\"userId\":"), 400,
       "JSON"},
      {"not an object", Raw("POST", "/similar-items", k, "[1,2,3]"), 400, "body"},
      {"missing API key on a write", Raw("POST", "/events", "", event), 401, "X-API-Key"},
      {"wrong API key on a write", Raw("PUT", "/items", "not-" + k, "{\"items\":[]}"), 401,
       "X-API-Key"},
      {"missing API key on admin", Raw("POST", "/admin/reload", "", ""), 401, "X-API-Key"},
      {"missing eventList", Raw("POST", "/events", k, "{\"sessionId\":\"s\",\"userId\":\"u1\"}"),
       400, "eventList"},
      {"missing itemId", Raw("POST", "/similar-items", k, "{\"numResults\":5}"), 400, "itemId"},
      {"missing inputList", Raw("POST", "/personalized-ranking", k, "{\"userId\":\"u1\"}"), 400,
       "inputList"},
      {"numResults out of range",
       Raw("GET", "/recommendations?userId=u1&numResults=100000", "", ""), 400, "numResults"},
      {"wrong type", Raw("POST", "/recommendations", k, "{\"userId\":5}"), 400, "userId"},
  };
}

class AbuseRun {
 public:
  AbuseRun(net::io_context& ioc, const Options& o)
      : ioc_(ioc), o_(o), endpoint_(Endpoint(o)), cases_(AbuseCases(o)) {}

  void Start() {
    for (size_t i = 0; i < cases_.size(); ++i) {
      for (int r = 0; r < o_.repeat; ++r) queue_.push_back(i);
    }
    got_.resize(cases_.size());
    bad_body_.resize(cases_.size());
    for (int i = 0; i < std::min<int>(o_.connections, static_cast<int>(queue_.size())); ++i) Next();
  }

  // Returns the number of cases that got something other than expected.
  int Finish() {
    int failed = 0;
    for (size_t i = 0; i < cases_.size(); ++i) {
      const AbuseCase& c = cases_[i];
      const int right = got_[i].count(c.expect) ? got_[i][c.expect] : 0;
      const bool ok = right == o_.repeat && bad_body_[i] == 0;
      failed += ok ? 0 : 1;
      std::string seen;
      for (const auto& [s, n] : got_[i]) {
        seen += (seen.empty() ? "" : ", ") +
                (s < 0 ? std::string("no answer") : std::to_string(s)) + " x" + std::to_string(n);
      }
      std::printf("  %-50s expect %d: %s%s  %s\n", c.name.c_str(), c.expect, seen.c_str(),
                  bad_body_[i] ? (" (message lacks \"" + c.expect_in_body + "\")").c_str() : "",
                  ok ? "ok" : "FAIL");
    }
    std::printf("RESULT mode=abuse cases=%zu repeat=%d failed_cases=%d\n", cases_.size(), o_.repeat,
                failed);
    return failed;
  }

 private:
  struct Conn {
    explicit Conn(net::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    size_t which = 0;
    bool done = false;
  };

  void Next() {
    if (queue_.empty()) {
      if (in_flight_ == 0) ioc_.stop();
      return;
    }
    ++in_flight_;
    auto c = std::make_shared<Conn>(ioc_);
    c->which = queue_.front();
    queue_.pop_front();
    c->parser.body_limit(1 << 20);
    c->stream.expires_after(std::chrono::seconds(20));
    c->stream.async_connect(endpoint_, [this, c](beast::error_code ec) {
      if (ec) return Record(c, -1);
      // Write and read at once: the server may answer (and close) before it
      // has read everything, as it should for an oversized body.
      net::async_write(c->stream, net::buffer(cases_[c->which].request),
                       [c](beast::error_code, size_t) {});
      http::async_read(c->stream, c->buffer, c->parser, [this, c](beast::error_code ec, size_t) {
        if (ec) return Record(c, -1);
        const auto& res = c->parser.get();
        const std::string& want = cases_[c->which].expect_in_body;
        if (!want.empty() && res.body().find(want) == std::string::npos) {
          ++bad_body_[c->which];
        }
        Record(c, res.result_int());
      });
    });
  }

  void Record(const std::shared_ptr<Conn>& c, int status) {
    if (c->done) return;
    c->done = true;
    ++got_[c->which][status];
    beast::error_code ignored;
    c->stream.socket().close(ignored);
    --in_flight_;
    Next();
  }

  net::io_context& ioc_;
  const Options& o_;
  const tcp::endpoint endpoint_;
  std::vector<AbuseCase> cases_;
  std::deque<size_t> queue_;
  std::vector<std::map<int, int>> got_;
  std::vector<int> bad_body_;
  int in_flight_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  net::io_context ioc(1);
  if (o.mode == "capacity" || o.mode == "rate") {
    LoadRun run(ioc, o, o.mode == "capacity");
    run.Start();
    ioc.run();
    run.Finish();
  } else if (o.mode == "idle") {
    IdleRun run(ioc, o);
    run.Start();
    ioc.run();
    run.Finish();
  } else if (o.mode == "slow") {
    SlowRun run(ioc, o);
    run.Start();
    ioc.run();
    run.Finish();
  } else if (o.mode == "abuse") {
    AbuseRun run(ioc, o);
    run.Start();
    ioc.run();
    run.Finish();
  } else {
    Usage("unknown mode " + o.mode);
  }
  std::fflush(stdout);
  return 0;
}
