// HttpServer: HTTP/1.1 with keep-alive over Boost.Beast/Asio, a fixed pool of
// threads running one io_context. It knows nothing of the API: every request
// goes to one handler, which answers through a Responder -- at once, or later
// from another thread (POST /events answers after its group commit).
//
// Limits, enforced before the handler runs, so that no client can hold the
// server's memory, descriptors or threads:
//   - header size (431) and body size (413); an "Expect: 100-continue" body
//     within the limit gets its 100 Continue;
//   - time: a connection's first request must start and its headers arrive
//     within header_timeout_ms of the accept, and every later one's within
//     header_timeout_ms of its first byte; the whole request (body included)
//     within request_timeout_ms of its first byte; the answer must be taken
//     within request_timeout_ms; a keep-alive connection may sit between
//     requests for idle_timeout_ms. A connection over any of these is closed
//     (slow senders and slow readers alike);
//   - connections: beyond max_connections, a new connection gets "503 too many
//     connections" (Retry-After: 1) and is closed; the rest are not disturbed.
// An error answer (4xx from the parser, 503) closes the connection after a
// short drain of what the client is still sending, so the client reads the
// answer instead of a reset. A handler that throws gets a 500, never a crash.
// An idle connection holds no request buffers (a few hundred bytes of state).
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
  size_t max_header_bytes = 16 << 10;
  // From the accept (first request) or the first byte (later ones) to the
  // end of the headers; at most request_timeout_ms.
  int64_t header_timeout_ms = 5000;
  // From the first byte to the end of the body; also the time a client has
  // to read an answer.
  int64_t request_timeout_ms = 10000;
  // A keep-alive connection with no request under way is closed after this.
  int64_t idle_timeout_ms = 60000;
  // Open connections served at once. Start() raises the open-file limit
  // (RLIMIT_NOFILE) to its hard limit and lowers this to fit under it.
  int max_connections = 16384;
};

class HttpServer {
 public:
  // Binds and starts serving. IOError when the address is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& o, Handler handler);
  ~HttpServer();  // Stop()

  int port() const { return port_; }
  // The connection limit in force (options.max_connections, or less when the
  // open-file limit is lower).
  int max_connections() const;
  // Connections open now, and the total refused for being over the limit.
  int connections() const;
  uint64_t refused() const;
  // Stops accepting, closes connections, joins the threads.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace recmart::serve
