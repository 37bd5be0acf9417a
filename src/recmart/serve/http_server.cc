#include "recmart/serve/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "recmart/common/json_text.h"

namespace recmart::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  explicit Impl(int threads) : ioc(threads) {}
  void Accept();
};

namespace {

std::string ErrorBody(std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(message, &out);
  return out + "}";
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::milliseconds(server_.options.request_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return Fail(413, "request body too large");
    if (ec == http::error::header_limit) return Fail(431, "request headers too large");
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Fail(400, "malformed HTTP request: " + ec.message());
    }
    if (ec) return Close();  // end of stream, timeout, reset
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
    res_->keep_alive(keep_alive_);
    res_->body() = std::move(res.body);
    res_->prepare_payload();
    stream_.expires_after(std::chrono::milliseconds(server_.options.request_timeout_ms));
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return Close();
    if (!keep_alive_) return Close();
    Read();
  }

  // Answers a request the parser refused, then closes the connection.
  void Fail(int status, const std::string& message) {
    keep_alive_ = false;
    Write(HttpResponse{status, "application/json", ErrorBody(message)});
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  std::atomic<bool> in_handler_{false};
  std::thread::id handler_thread_;
  std::optional<HttpResponse> sync_response_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& o,
                                                        Handler handler) {
  const int threads = std::max(1, o.threads);
  auto impl = std::make_unique<Impl>(threads);
  impl->options = o;
  impl->handler = std::move(handler);
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec) return Status::InvalidArgument("serve.host: not an IP address: " + o.host);
  tcp::endpoint ep(address, static_cast<unsigned short>(o.port));
  impl->acceptor.emplace(impl->ioc);
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
  });
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace recmart::serve
