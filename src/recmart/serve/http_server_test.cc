// HttpServer's limits, over real loopback sockets with short timeouts: slow
// senders and silent or idle connections are cut off on time, and only they;
// over max_connections a connection gets a clean 503; an oversized body gets
// a 413 the client can read; pipelining and 100-continue work.
#include "recmart/serve/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// A blocking loopback client on a raw socket, so that tests control every
// byte and see exactly when the server closes.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }
  // False when the server has closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `complete(received)` gives the length of a whole message
  // (0: not yet), the server closes, or `ms` pass; returns that message, or
  // all that arrived. Sets closed() when the server closed or reset.
  std::string ReadUntil(int ms, const std::function<size_t(const std::string&)>& complete) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    size_t n = 0;
    while ((n = complete(in_)) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[65536];
      const ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got <= 0) {
        closed_ = true;
        break;
      }
      in_.append(buf, static_cast<size_t>(got));
    }
    if (n == 0) n = in_.size();
    std::string out = in_.substr(0, n);
    in_.erase(0, n);
    return out;
  }
  // Everything that arrives within `ms`.
  std::string ReadFor(int ms) {
    return ReadUntil(ms, [](const std::string&) { return size_t{0}; });
  }
  // One whole response (headers and Content-Length body), or what arrived.
  std::string ReadResponse(int ms = 2000) {
    return ReadUntil(ms, [](const std::string& s) -> size_t {
      const size_t end = s.find("\r\n\r\n");
      if (end == std::string::npos) return 0;
      const size_t cl = s.find("Content-Length: ");
      const size_t len = cl == std::string::npos || cl > end ? 0 : std::stoul(s.substr(cl + 16));
      return s.size() >= end + 4 + len ? end + 4 + len : 0;
    });
  }
  // Waits up to `ms` for the server to close; the time it took, or -1.
  double SecondsUntilClosed(int ms) {
    const auto t0 = Clock::now();
    ReadFor(ms);
    return closed_ ? std::chrono::duration<double>(Clock::now() - t0).count() : -1;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string in_;
};

constexpr char kGet[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

std::string Post(size_t body_bytes, const std::string& extra = "") {
  return "POST /echo HTTP/1.1\r\nHost: x\r\n" + extra +
         "Content-Length: " + std::to_string(body_bytes) + "\r\n\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o) {
    auto s = HttpServer::Start(o, [](HttpRequest&& req, Responder respond) {
      respond({200, "text/plain", req.method + " " + req.path + " " + req.body});
    });
    ASSERT_THAT(s, testing::IsOk());
    server_ = std::move(s).value();
  }
  static HttpServerOptions Short() {
    HttpServerOptions o;
    o.header_timeout_ms = 300;
    o.request_timeout_ms = 700;
    o.idle_timeout_ms = 1200;
    o.max_body_bytes = 1024;
    return o;
  }
  int port() const { return server_->port(); }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesKeepAliveAndPipelinedRequests) {
  Start(Short());
  RawClient c(port());
  ASSERT_TRUE(c.Send(std::string(kGet) + Post(3) + "abc"));
  EXPECT_THAT(c.ReadResponse(), HasSubstr("GET /hello"));
  EXPECT_THAT(c.ReadResponse(), HasSubstr("POST /echo abc"));
  ASSERT_TRUE(c.Send(kGet));
  EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 200"));
  EXPECT_FALSE(c.closed());
}

TEST_F(HttpServerTest, SilentConnectionIsClosedAtTheHeaderTimeout) {
  Start(Short());
  RawClient c(port());
  const double t = c.SecondsUntilClosed(3000);
  EXPECT_GE(t, 0.25);
  EXPECT_LE(t, 1.0);
}

TEST_F(HttpServerTest, SlowHeadersAreCutOffAtTheHeaderTimeout) {
  Start(Short());
  RawClient c(port());
  const std::string req = kGet;
  const auto t0 = Clock::now();
  bool sent_all = true;
  for (char ch : req) {  // a byte every 50 ms: 30 bytes take 1.5 s
    if (!c.Send(std::string(1, ch))) {
      sent_all = false;
      break;
    }
    if (!c.ReadFor(50).empty() || c.closed()) break;
  }
  c.SecondsUntilClosed(2000);
  const double t = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(c.closed());
  EXPECT_GE(t, 0.25);
  EXPECT_LE(t, 1.2) << "sent all: " << sent_all;
}

TEST_F(HttpServerTest, SlowBodyIsCutOffAtTheRequestTimeout) {
  Start(Short());
  RawClient c(port());
  ASSERT_TRUE(c.Send(Post(100)));
  const auto t0 = Clock::now();
  std::string got;
  for (int i = 0; i < 100 && !c.closed(); ++i) {
    if (!c.Send("x")) break;
    got += c.ReadFor(50);
  }
  c.SecondsUntilClosed(2000);
  const double t = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(c.closed());
  EXPECT_GE(t, 0.6);  // past the header timeout: the headers came in time
  EXPECT_LE(t, 1.5);
  EXPECT_THAT(got, Not(HasSubstr("200")));
}

TEST_F(HttpServerTest, KeptAliveConnectionIsClosedAtTheIdleTimeout) {
  Start(Short());
  RawClient c(port());
  ASSERT_TRUE(c.Send(kGet));
  EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 200"));
  // Still open well past the header timeout, then closed near idle_timeout.
  const double t = c.SecondsUntilClosed(4000);
  EXPECT_GE(t, 1.0);
  EXPECT_LE(t, 2.0);
}

TEST_F(HttpServerTest, SlowSendersDoNotStallOthers) {
  HttpServerOptions o = Short();
  o.threads = 1;
  o.header_timeout_ms = 5000;
  o.request_timeout_ms = 5000;
  Start(o);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(slow.back()->Send("GET /sl"));
  }
  RawClient c(port());
  for (int i = 0; i < 20; ++i) {
    for (auto& s : slow) s->Send("o");
    const auto t0 = Clock::now();
    ASSERT_TRUE(c.Send(kGet));
    EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 200"));
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 0.2);
  }
}

TEST_F(HttpServerTest, RefusesConnectionsOverTheLimitWithA503) {
  HttpServerOptions o = Short();
  o.max_connections = 3;
  o.idle_timeout_ms = 10000;
  Start(o);
  EXPECT_EQ(server_->max_connections(), 3);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(held.back()->Send(kGet));
    ASSERT_THAT(held.back()->ReadResponse(), StartsWith("HTTP/1.1 200"));
  }
  RawClient over(port());
  over.Send(kGet);
  const std::string refused = over.ReadResponse();
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(refused, HasSubstr("Retry-After: 1"));
  EXPECT_THAT(refused, HasSubstr("too many connections"));
  EXPECT_GE(over.SecondsUntilClosed(3000), 0);
  EXPECT_EQ(server_->refused(), 1u);
  // The connections already open are not disturbed...
  for (auto& h : held) {
    ASSERT_TRUE(h->Send(kGet));
    EXPECT_THAT(h->ReadResponse(), StartsWith("HTTP/1.1 200"));
  }
  // ...and once one closes, a new connection is served.
  held.pop_back();
  for (int i = 0; i < 50 && server_->connections() > 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  RawClient again(port());
  ASSERT_TRUE(again.Send(kGet));
  EXPECT_THAT(again.ReadResponse(), StartsWith("HTTP/1.1 200"));
}

TEST_F(HttpServerTest, ConnectionLimitFitsTheOpenFileLimit) {
  HttpServerOptions o = Short();
  o.max_connections = INT_MAX;
  Start(o);
  EXPECT_LT(server_->max_connections(), INT_MAX);
  EXPECT_GT(server_->max_connections(), 0);
}

TEST_F(HttpServerTest, OversizedBodyGetsA413TheClientCanRead) {
  Start(Short());
  RawClient c(port());
  // The client sends all of its 200 KB before reading: the server must drain
  // rather than reset the connection under its answer.
  c.Send(Post(200 * 1024) + std::string(200 * 1024, 'x'));
  EXPECT_THAT(c.ReadResponse(), StartsWith("HTTP/1.1 413"));
  EXPECT_GE(c.SecondsUntilClosed(3000), 0);

  // A client that goes on sending its body after the answer is not reset:
  // the server reads and drops the rest for a while before closing.
  RawClient late(port());
  ASSERT_TRUE(late.Send(Post(20 * 1024)));
  EXPECT_THAT(late.ReadResponse(), StartsWith("HTTP/1.1 413"));
  for (int i = 0; i < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(late.Send(std::string(8 * 1024, 'x'))) << "round " << i;
  }

  RawClient chunked(port());
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'y') + "\r\n";
  chunked.Send(req + "0\r\n\r\n");
  EXPECT_THAT(chunked.ReadResponse(), StartsWith("HTTP/1.1 413"));
}

TEST_F(HttpServerTest, OversizedHeadersAndGarbageGetTheirStatus) {
  Start(Short());
  RawClient big(port());
  big.Send("GET / HTTP/1.1\r\nX-Pad: " + std::string(20000, 'p') + "\r\n\r\n");
  EXPECT_THAT(big.ReadResponse(), StartsWith("HTTP/1.1 431"));
  RawClient garbage(port());
  garbage.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_THAT(garbage.ReadResponse(), StartsWith("HTTP/1.1 400"));
}

TEST_F(HttpServerTest, AnswersExpectContinue) {
  Start(Short());
  RawClient c(port());
  ASSERT_TRUE(c.Send(Post(5, "Expect: 100-continue\r\n")));
  EXPECT_THAT(c.ReadUntil(1000,
                          [](const std::string& s) {
                            const size_t end = s.find("\r\n\r\n");
                            return end == std::string::npos ? 0 : end + 4;
                          }),
              StartsWith("HTTP/1.1 100 Continue"));
  ASSERT_TRUE(c.Send("hello"));
  EXPECT_THAT(c.ReadResponse(), HasSubstr("POST /echo hello"));
}

TEST_F(HttpServerTest, HandlerThatThrowsGetsA500) {
  auto s = HttpServer::Start(Short(),
                             [](HttpRequest&&, Responder) { throw std::runtime_error("boom"); });
  ASSERT_THAT(s, testing::IsOk());
  RawClient c((*s)->port());
  ASSERT_TRUE(c.Send(kGet));
  const std::string r = c.ReadResponse();
  EXPECT_THAT(r, StartsWith("HTTP/1.1 500"));
  EXPECT_THAT(r, HasSubstr("boom"));
}

}  // namespace
}  // namespace recmart::serve
