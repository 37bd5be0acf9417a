// ApiServer: `recmart serve` -- the HTTP JSON API of PRODUCT.md over a
// Recommender: routes, request validation (400 naming the field), API keys,
// the durable live logs (events, PUT /items, PUT /users: serve/live_log.h)
// replayed at start, the impression log, Prometheus metrics, the OpenAPI
// document, and the hot swap of newly promoted models (a poller thread, or
// POST /admin/reload).
//
// Routes (see OpenApiDocument() for the shapes):
//   POST|GET /recommendations   POST /similar-items   POST /personalized-ranking
//   POST /events   PUT /items   PUT /users   POST /admin/reload
//   GET /healthz   GET /metrics   GET /openapi.json
//   GET /features/users/{id}   GET /features/items/{id}   (online feature store)
#pragma once

#include <memory>
#include <string>

#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/serve/live_state.h"
#include "recmart/serve/recommender.h"

namespace recmart::serve {

struct ApiOptions {
  config::ServeOptions serve;
  std::string project_dir;  // logs go under live/
  int port = -1;            // -1: serve.port
  bool log_impressions = true;
  // Load the lake's user metadata and replay the live logs into the
  // Recommender before serving (serve/live_state.h).
  bool load_live_state = true;
  // The online feature store behind GET /features/{users,items}/{id}; an
  // empty online_store path turns the routes into 404s.
  config::FeaturesOptions features;
};

class ApiServer {
 public:
  // Resolves API keys ("env:NAME" from the environment; InvalidArgument when
  // unset), opens the live logs (sealing segments a killed server left open),
  // loads the live state (LoadLiveState: lake users, log replay), starts the
  // poller and the HTTP server. Acknowledged writes are durable: POST /events,
  // PUT /items and PUT /users answer 200 only once their lines are on disk
  // (fsync'ed when serve.durable_events), 503 when they could not be stored.
  static StatusOr<std::unique_ptr<ApiServer>> Start(std::unique_ptr<Recommender> recommender,
                                                    const ApiOptions& options);
  ~ApiServer();  // Stop()

  int port() const;
  // What Start loaded before serving.
  const LiveStateStats& loaded() const;
  // Stops accepting, answers nothing more, seals the logs.
  void Stop();

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3 document of the routes above.
const std::string& OpenApiDocument();

}  // namespace recmart::serve
