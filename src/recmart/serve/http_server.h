// HttpServer: HTTP/1.1 with keep-alive over Boost.Beast/Asio, a fixed pool of
// threads running one io_context. It knows nothing of the API: every request
// goes to one handler, which answers through a Responder -- at once, or later
// from another thread (POST /events answers after its group commit).
//
// Limits, enforced before the handler runs: header and body size (413), and
// a deadline for each request to arrive in full (slow clients are
// disconnected). A handler that throws gets a 500, never a crash.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string path;    // target without the query
  std::string query;   // after '?', or ""
  std::string body;
  std::string api_key;  // the X-API-Key header, or ""
  std::string content_type;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Sends the response; call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&&, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see port())
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  int64_t request_timeout_ms = 10000;
};

class HttpServer {
 public:
  // Binds and starts serving. IOError when the address is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& o, Handler handler);
  ~HttpServer();  // Stop()

  int port() const { return port_; }
  // Stops accepting, closes connections, joins the threads.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace recmart::serve
