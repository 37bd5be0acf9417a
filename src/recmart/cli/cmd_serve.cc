// recmart serve: the HTTP JSON API (src/recmart/serve) until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>

#include "recmart/cli/model_cli.h"
#include "recmart/common/fs.h"
#include "recmart/serve/api.h"

namespace recmart::cli {

namespace {

// Blocks until SIGINT or SIGTERM (handled synchronously with sigwait, so no
// work happens in a signal handler).
void WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
}

}  // namespace

void RegisterServe(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "serve the recommendation API over HTTP");
  AddProjectOption(cmd, ctx);
  struct Args {
    int port = -1;
    std::string host, port_file;
    int threads = -1;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--port", a->port, "port (default: serve.port; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", a->host, "address to listen on (default: serve.host)");
  cmd->add_option("--threads", a->threads, "server threads (default: serve.threads)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--port-file", a->port_file, "write the port listened on to this file");
  cmd->callback([&ctx, a] {
    ctx.action = [&ctx, a] {
      std::optional<config::Project> p = LoadProjectOrReport(ctx);
      if (!p) return kExitUsage;
      // Block the stop signals in every thread before any is started.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);

      serve::RecommenderOptions ro = serve::RecommenderOptionsFor(*p);
      Info(ctx, "recmart serve: loading models from " + ro.registry_dir);
      StatusOr<std::unique_ptr<serve::Recommender>> rec = serve::Recommender::Open(*p, ro);
      if (!rec.ok()) return ReportError(rec.status());
      serve::ApiOptions ao;
      ao.serve = p->serve;
      if (!a->host.empty()) ao.serve.host = a->host;
      if (a->threads >= 0) ao.serve.threads = a->threads;
      ao.project_dir = p->dir;
      ao.features = p->features;
      ao.port = a->port;
      const std::string version = (*rec)->models()->live->version;
      StatusOr<std::unique_ptr<serve::ApiServer>> server =
          serve::ApiServer::Start(std::move(*rec), ao);
      if (!server.ok()) return ReportError(server.status());
      Info(ctx, "recmart serve: loaded " + (*server)->loaded().Summary());
      const int port = (*server)->port();
      if (!a->port_file.empty()) {
        Status s = WriteFileAtomic(a->port_file, std::to_string(port) + "\n");
        if (!s.ok()) return ReportError(s);
      }
      if (ao.serve.api_keys.empty()) {
        Info(ctx,
             "recmart serve: no serve.api_keys set: writes are open to anyone who can connect");
      }
      Info(ctx, "recmart serve: listening on " + ao.serve.host + ":" + std::to_string(port) +
                    ", model " + version);
      WaitForStopSignal();
      Info(ctx, "recmart serve: stopping");
      (*server)->Stop();
      return kExitOk;
    };
  });
}

}  // namespace recmart::cli
