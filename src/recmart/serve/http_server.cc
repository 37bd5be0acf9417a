#include "recmart/serve/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <climits>
#include <optional>

#include "recmart/common/json_text.h"

namespace recmart::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Descriptors kept free for what the server opens besides connections: model
// bundles and indexes, the event and impression logs, the feature store.
constexpr int kReservedDescriptors = 256;
// Connections being refused (503, then drained) at once; more are closed
// without an answer rather than hold descriptors during a flood.
constexpr int kMaxRefusing = 256;
// After an error answer: how long, and how much, to read and discard what the
// client is still sending before closing.
constexpr int64_t kDrainMs = 2000;
constexpr size_t kDrainMinBytes = 64 << 10;
// The first read of a request: enough for most requests in one go.
constexpr size_t kFirstReadBytes = 1024;

// Raises the soft open-file limit to the hard one; returns the soft limit.
int RaiseOpenFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return INT_MAX;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > static_cast<rlim_t>(INT_MAX)) return INT_MAX;
  return static_cast<int>(rl.rlim_cur);
}

// accept() failures that repeat at once until something else changes
// (descriptors or memory run out): retried after a pause instead of spinning.
bool OutOfResources(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory || ec == boost::system::errc::too_many_files_open_in_system;
}

std::string ErrorBody(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  return out + "}";
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  int max_connections = 0;
  // Declared before the io_context: sessions destroyed with it count down.
  std::atomic<int> connections{0};
  std::atomic<int> refusing{0};
  std::atomic<uint64_t> refused{0};
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_pause;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  explicit Impl(int threads) : ioc(threads) {}
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // A refused session answers 503 and closes; it does not count as a
  // connection.
  Session(tcp::socket&& socket, HttpServer::Impl& server, bool refused)
      : stream_(std::move(socket)), server_(server), refused_(refused) {
    (refused_ ? server_.refusing : server_.connections).fetch_add(1);
  }
  ~Session() { (refused_ ? server_.refusing : server_.connections).fetch_sub(1); }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->refused_) {
        return self->Fail(
            503, "too many connections (" + std::to_string(self->server_.max_connections) + ")");
      }
      self->WaitForRequest();
    });
  }

 private:
  const HttpServerOptions& options() const { return server_.options; }

  // Waits for the first byte of the next request: until the header deadline
  // on a new connection, the idle deadline on a kept-alive one. Nothing is
  // held meanwhile but the socket and a small read buffer.
  void WaitForRequest() {
    res_.reset();
    parser_.reset();
    if (buffer_.size() > 0) return StartRequest(Clock::now());  // pipelined
    buffer_.shrink_to_fit();
    const auto now = Clock::now();
    const bool first = requests_ == 0;
    stream_.expires_at(first ? now + HeaderTimeout() : now + Ms(options().idle_timeout_ms));
    stream_.async_read_some(
        buffer_.prepare(kFirstReadBytes),
        [self = shared_from_this(), first, now](beast::error_code ec, size_t n) {
          if (ec) return self->Close();  // closed, reset, or silent too long
          self->buffer_.commit(n);
          self->StartRequest(first ? now : Clock::now());
        });
  }

  void StartRequest(Clock::time_point start) {
    ++requests_;
    request_start_ = start;
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    stream_.expires_at(start + HeaderTimeout());
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return Dispatch();
    auto& req = parser_->get();
    if (auto it = req.find(http::field::expect);
        it != req.end() && beast::iequals(it->value(), "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(stream_, net::buffer(kContinue),
                              [self = shared_from_this()](beast::error_code ec, size_t) {
                                if (ec) return self->Close();
                                self->ReadBody();
                              });
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_at(request_start_ + Ms(options().request_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) return Fail(413, "request body too large");
    if (ec == http::error::header_limit) return Fail(431, "request headers too large");
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Fail(400, "malformed HTTP request: " + ec.message());
    }
    Close();  // end of stream, timeout (a slow sender), reset
  }

  void Dispatch() {
    auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    const size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);
    if (auto it = req.find("X-API-Key"); it != req.end()) r.api_key = std::string(it->value());
    if (auto it = req.find(http::field::content_type); it != req.end())
      r.content_type = std::string(it->value());
    r.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    parser_.reset();
    stream_.expires_never();

    // A handler that answers before returning (most do) is written straight
    // away; one that answers later, from another thread, is posted back to
    // this connection's strand.
    in_handler_ = true;
    auto self = shared_from_this();
    Responder respond = [self](HttpResponse res) {
      if (self->in_handler_ && self->handler_thread_ == std::this_thread::get_id()) {
        self->sync_response_ = std::move(res);
        return;
      }
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->Write(std::move(res)); });
    };
    handler_thread_ = std::this_thread::get_id();
    try {
      server_.handler(std::move(r), std::move(respond));
    } catch (const std::exception& e) {
      sync_response_ = HttpResponse{500, "application/json", ErrorBody(e.what())};
    }
    in_handler_ = false;
    handler_thread_ = {};
    if (sync_response_) {
      HttpResponse res = std::move(*sync_response_);
      sync_response_.reset();
      Write(std::move(res));
    }
  }

  void Write(HttpResponse res) {
    res_.emplace(static_cast<http::status>(res.status), version_);
    res_->set(http::field::server, "recmart");
    res_->set(http::field::content_type, res.content_type);
    if (res.status == 503) res_->set(http::field::retry_after, "1");
    res_->keep_alive(keep_alive_);
    res_->body() = std::move(res.body);
    res_->prepare_payload();
    stream_.expires_after(Ms(options().request_timeout_ms));
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return Close();
    if (failed_) return Drain();
    if (!keep_alive_) return Close();
    WaitForRequest();
  }

  // Answers a request the parser refused (or a connection over the limit),
  // then closes the connection.
  void Fail(int status, const std::string& message) {
    failed_ = true;
    keep_alive_ = false;
    parser_.reset();
    Write(HttpResponse{status, "application/json", ErrorBody(message)});
  }

  // After an error answer: stop sending, then read and drop what the client
  // is still sending (the rest of an oversized body) for a short while, so
  // that closing does not reset the connection under the answer.
  void Drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    buffer_.shrink_to_fit();
    drain_left_ = std::max(kDrainMinBytes, 2 * options().max_body_bytes);
    stream_.expires_after(Ms(kDrainMs));
    DrainSome();
  }

  void DrainSome() {
    stream_.async_read_some(buffer_.prepare(16 << 10),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.clear();
                              if (ec || n >= self->drain_left_)
                                return;  // done: the session ends, closing the socket
                              self->drain_left_ -= n;
                              self->DrainSome();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  Clock::duration HeaderTimeout() const {
    return Ms(std::min(options().header_timeout_ms, options().request_timeout_ms));
  }
  static Clock::duration Ms(int64_t ms) { return std::chrono::milliseconds(ms); }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  const bool refused_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  Clock::time_point request_start_;
  uint64_t requests_ = 0;
  size_t drain_left_ = 0;
  bool keep_alive_ = false;
  bool failed_ = false;
  unsigned version_ = 11;
  std::atomic<bool> in_handler_{false};
  std::thread::id handler_thread_;
  std::optional<HttpResponse> sync_response_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == net::error::operation_aborted) return;
  if (ec) {
    if (!OutOfResources(ec)) return Accept();
    // The kernel keeps queueing connections in the listen backlog meanwhile.
    accept_pause->expires_after(std::chrono::milliseconds(50));
    accept_pause->async_wait([this](beast::error_code ec) {
      if (!ec && !stopped) Accept();
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (connections.load() < max_connections) {
    std::make_shared<Session>(std::move(socket), *this, /*refused=*/false)->Run();
  } else {
    refused.fetch_add(1);
    if (refusing.load() < kMaxRefusing) {
      std::make_shared<Session>(std::move(socket), *this, /*refused=*/true)->Run();
    }  // else the socket closes here, unanswered
  }
  Accept();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::max_connections() const { return impl_->max_connections; }
int HttpServer::connections() const { return impl_->connections.load(); }
uint64_t HttpServer::refused() const { return impl_->refused.load(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& o,
                                                        Handler handler) {
  const int threads = std::max(1, o.threads);
  auto impl = std::make_unique<Impl>(threads);
  impl->options = o;
  impl->handler = std::move(handler);
  const int fd_limit = RaiseOpenFileLimit();
  impl->max_connections = std::max(1, std::min(o.max_connections, fd_limit - kReservedDescriptors));
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec) return Status::InvalidArgument("serve.host: not an IP address: " + o.host);
  tcp::endpoint ep(address, static_cast<unsigned short>(o.port));
  impl->acceptor.emplace(impl->ioc);
  impl->accept_pause.emplace(impl->ioc);
  impl->acceptor->open(ep.protocol(), ec);
  if (!ec) impl->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(ep, ec);
  if (!ec) impl->acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                           ec.message());
  }
  const int port = impl->acceptor->local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  std::unique_ptr<HttpServer> s(new HttpServer(std::move(impl)));
  s->port_ = port;
  return s;
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  net::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
    impl_->accept_pause->cancel();
  });
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace recmart::serve
