#include "recmart/workflow/notify.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>

#include "recmart/workflow/subprocess.h"

namespace recmart::workflow {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using nlohmann::json;

Status RunCommand(const std::string& command, const std::string& dir, const std::string& event,
                  const json& summary, double timeout_seconds) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", command};
  o.cwd = dir;
  o.stdin_pipe = true;
  o.env = {{"RECMART_RUN_ID", std::to_string(summary.value("run", int64_t{0}))},
           {"RECMART_RUN_EVENT", event}};
  // A command that exits without reading its input must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  ASSIGN_OR_RETURN(Subprocess p, Subprocess::Spawn(o));
  const std::string body = summary.dump() + "\n";
  size_t written = 0;
  std::string out, err;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  int st = 0;
  while (!p.TryWait(&st)) {
    if (written < body.size() && p.stdin_fd() >= 0) {
      pollfd pfd{p.stdin_fd(), POLLOUT, 0};
      if (::poll(&pfd, 1, 0) == 1) {
        ssize_t n = ::write(p.stdin_fd(), body.data() + written, body.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = body.size();  // reader gone
      }
      if (written >= body.size()) p.CloseStdin();
    }
    Subprocess::Drain(p.stdout_fd(), &out);
    Subprocess::Drain(p.stderr_fd(), &err);
    if (std::chrono::steady_clock::now() > deadline) {
      p.Kill();
      return Status::Unavailable("notify command '" + command + "': no exit within " +
                                 std::to_string(timeout_seconds) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Subprocess::Drain(p.stderr_fd(), &err);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    size_t nl = err.rfind('\n');
    return Status::IOError(
        "notify command '" + command + "' failed (" + DescribeWaitStatus(st) + ")" +
        (err.empty() ? "" : ": " + err.substr(nl == std::string::npos ? 0 : nl + 1)));
  }
  return Status::OK();
}

}  // namespace

json RunSummaryJson(const catalog::WorkflowRunRecord& run, const std::string& event) {
  json jobs = json::array();
  for (const auto& j : run.jobs) {
    double secs =
        j.finished_ms > 0 && j.started_ms > 0 ? (j.finished_ms - j.started_ms) / 1000.0 : 0.0;
    jobs.push_back({{"job", j.job},
                    {"state", j.state},
                    {"attempts", j.attempts},
                    {"rows_in", j.rows_in},
                    {"rows_out", j.rows_out},
                    {"error", j.error},
                    {"seconds", secs}});
  }
  return {{"run", run.id},
          {"event", event},
          {"state", run.state},
          {"trigger", run.trigger},
          {"outcome", run.outcome},
          {"error", run.error},
          {"started_ms", run.started_ms},
          {"finished_ms", run.finished_ms},
          {"jobs", jobs}};
}

StatusOr<int> HttpPostJson(const std::string& url, const std::string& body,
                           double timeout_seconds) {
  // http://host[:port][/path]
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0)
    return Status::InvalidArgument("url '" + url + "': expected http://");
  std::string rest = url.substr(prefix.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = hostport, port = "80";
  if (size_t colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return Status::InvalidArgument("url '" + url + "': no host");
  // Boost reports failures as error codes here; nothing throws past this.
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec) return Status::IOError("notify url " + url + ": " + ec.message());
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  stream.expires_after(timeout);
  int status = 0;
  // Asynchronous calls run to completion on `ioc` so that the stream's
  // deadline applies to connect, write and read alike.
  stream.async_connect(results, [&](beast::error_code e, const auto&) { ec = e; });
  ioc.run();
  if (ec) return Status::IOError("notify url " + url + ": " + ec.message());
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, hostport);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "recmart");
  req.body() = body;
  req.prepare_payload();
  ioc.restart();
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return Status::IOError("notify url " + url + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  ioc.restart();
  http::async_read(stream, buffer, res, [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return Status::IOError("notify url " + url + ": " + ec.message());
  status = static_cast<int>(res.result_int());
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return status;
}

Status SendNotification(const config::WorkflowNotifyConfig& notify, const std::string& dir,
                        const std::string& event, const json& summary) {
  if (std::find(notify.on.begin(), notify.on.end(), event) == notify.on.end()) return Status::OK();
  Status first = Status::OK();
  if (!notify.command.empty()) {
    first = RunCommand(notify.command, dir, event, summary, notify.timeout_seconds);
  }
  if (!notify.url.empty()) {
    StatusOr<int> code = HttpPostJson(notify.url, summary.dump(), notify.timeout_seconds);
    Status s = code.ok() ? Status::OK() : code.status();
    if (code.ok() && (*code < 200 || *code > 299))
      s = Status::IOError("notify url " + notify.url + ": HTTP " + std::to_string(*code));
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace recmart::workflow
