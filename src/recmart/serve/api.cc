#include "recmart/serve/api.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <set>
#include <thread>

#include "recmart/abtest/abtest.h"
#include "recmart/common/clock.h"
#include "recmart/common/json_text.h"
#include "recmart/engine/recommend.h"
#include "recmart/features/features.h"
#include "recmart/serve/http_server.h"
#include "recmart/serve/live_log.h"
#include "recmart/serve/live_state.h"
#include "recmart/serve/metrics.h"
#include "recmart/serve/requests.h"
#include "recmart/serve/segment_log.h"

namespace recmart::serve {

namespace {

using Clock = std::chrono::steady_clock;

HttpResponse JsonError(int status, std::string_view message) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  body += "}";
  return {status, "application/json", std::move(body)};
}

HttpResponse FromStatus(const Status& s) {
  int code = 500;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      code = 400;
      break;
    case StatusCode::kNotFound:
      code = 404;
      break;
    case StatusCode::kFailedPrecondition:
      code = 409;
      break;
    default:
      break;
  }
  return JsonError(code, s.message());
}

std::string AnswerJson(const Answer& a) {
  std::string out;
  out.reserve(64 + a.items.size() * 40);
  out += "{\"itemList\":[";
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (i) out += ',';
    out += "{\"itemId\":";
    AppendJsonString(a.items[i].first, &out);
    out += ",\"score\":";
    AppendScore(a.items[i].second, &out);
    out += '}';
  }
  out += "],\"recommendationId\":";
  AppendJsonString(a.recommendation_id, &out);
  out += ",\"modelVersion\":";
  AppendJsonString(a.model_version, &out);
  out += ",\"variant\":";
  AppendJsonString(a.variant, &out);
  if (!a.campaign.empty()) {
    out += ",\"campaign\":";
    AppendJsonString(a.campaign, &out);
  }
  out += ",\"source\":";
  AppendJsonString(a.source, &out);
  out += '}';
  return out;
}

// Constant-time comparison of a presented key with a configured one (the
// time depends on the lengths only).
bool KeyEquals(std::string_view given, std::string_view want) {
  unsigned char diff = given.size() == want.size() ? 0 : 1;
  const size_t n = std::max(given.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const unsigned char b = i < want.size() ? static_cast<unsigned char>(want[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ b);
  }
  return diff == 0;
}

}  // namespace

struct ApiServer::Impl {
  ApiOptions options;
  std::unique_ptr<Recommender> rec;
  std::vector<std::string> keys;
  Metrics metrics;
  std::unique_ptr<SegmentLog> events, items_log, users_log, impressions;
  LiveStateStats loaded;
  std::unique_ptr<HttpServer> http;
  std::thread poller;
  std::mutex poll_mu;
  std::condition_variable poll_cv;
  bool stopping = false;
  // The online feature store, read-only: opened at start, or at the first
  // feature request once `recmart features materialize` has created it.
  std::mutex features_mu;
  std::shared_ptr<const features::OnlineStore> features_store;  // GUARDED_BY(features_mu)
  HttpResponse Features(config::FeatureGroup group, std::string_view encoded_id);

  bool Authorized(const HttpRequest& req, bool write) const {
    if (keys.empty()) return true;
    if (!write && !options.serve.require_key_for_reads) return true;
    bool ok = false;
    for (const std::string& k : keys) ok |= KeyEquals(req.api_key, k);
    return ok;
  }

  // serve.max_field_bytes: the longest string a request may hold.
  size_t MaxString() const { return static_cast<size_t>(options.serve.max_field_bytes); }
  void Handle(HttpRequest&& req, Responder respond);
  HttpResponse Recommendations(const HttpRequest& req);
  HttpResponse SimilarItems(const HttpRequest& req);
  HttpResponse Ranking(const HttpRequest& req);
  // The answer as a response, logged as an impression when it succeeded.
  HttpResponse Answered(std::string_view endpoint, const std::string& user,
                        const StatusOr<Answer>& a);
  void Events(const HttpRequest& req, Responder respond, Clock::time_point t0, size_t ep);
  void PutRecords(const HttpRequest& req, LiveLogKind kind, Responder respond, Clock::time_point t0,
                  size_t ep);
  HttpResponse Reload();
  // After a new model is swapped in: the lake's users again (the ETL that
  // fed the new model may have brought new user metadata).
  void ReloadLakeUsers();
  HttpResponse Health();
  std::string ModelLines() const;
  void LogImpression(std::string_view endpoint, const std::string& user, const Answer& a);
  void Poll();
};

void ApiServer::Impl::Handle(HttpRequest&& req, Responder respond) {
  const auto t0 = Clock::now();
  const size_t ep = Metrics::EndpointIndex(req.path);
  auto finish = [&](HttpResponse res) {
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    respond(std::move(res));
  };
  const std::string& m = req.method;
  const std::string& p = req.path;
  // Writes and admin need a key; reads (recommendations, similar items,
  // ranking -- POST or not) only when serve.require_key_for_reads.
  const bool write = p == "/events" || p == "/items" || p == "/users" || p.rfind("/admin/", 0) == 0;
  if (p != "/healthz" && p != "/openapi.json" && !Authorized(req, write)) {
    return finish(JsonError(401, "X-API-Key: missing or not accepted"));
  }
  if (p == "/recommendations" && (m == "POST" || m == "GET")) return finish(Recommendations(req));
  if (p == "/similar-items" && m == "POST") return finish(SimilarItems(req));
  if (p == "/personalized-ranking" && m == "POST") return finish(Ranking(req));
  if (p == "/events" && m == "POST") return Events(req, std::move(respond), t0, ep);
  if (p == "/items" && m == "PUT") {
    return PutRecords(req, LiveLogKind::kItems, std::move(respond), t0, ep);
  }
  if (p == "/users" && m == "PUT") {
    return PutRecords(req, LiveLogKind::kUsers, std::move(respond), t0, ep);
  }
  if (p == "/admin/reload" && m == "POST") return finish(Reload());
  if (m == "GET" && p.rfind("/features/users/", 0) == 0)
    return finish(Features(config::FeatureGroup::kUser, std::string_view(p).substr(16)));
  if (m == "GET" && p.rfind("/features/items/", 0) == 0)
    return finish(Features(config::FeatureGroup::kItem, std::string_view(p).substr(16)));
  if (p == "/healthz" && m == "GET") return finish(Health());
  if (p == "/metrics" && m == "GET") {
    return finish({200, "text/plain; version=0.0.4", metrics.Render(ModelLines())});
  }
  if (p == "/openapi.json" && m == "GET")
    return finish({200, "application/json", OpenApiDocument()});
  static const std::set<std::string> kPaths = {
      "/recommendations", "/similar-items", "/personalized-ranking", "/events",
      "/items",           "/users",         "/admin/reload",         "/healthz",
      "/metrics",         "/openapi.json"};
  if (kPaths.count(p)) return finish(JsonError(405, "method " + m + " not allowed on " + p));
  return finish(JsonError(404, "no route " + p));
}

// "%2F" → "/"; nullopt for a malformed escape.
static std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

// GET /features/users/{id}, GET /features/items/{id}: the online values,
// {"userId"|"itemId": id, "status": "ok"|"expired", "features": {...},
// "asOf", "snapshotDate", "writtenAt", "ttlHours"}; 404 with a JSON error for
// an unknown id, an unconfigured group or a store not materialized yet.
HttpResponse ApiServer::Impl::Features(config::FeatureGroup group, std::string_view encoded_id) {
  std::optional<std::string> id = PercentDecode(encoded_id);
  if (encoded_id.find('/') != std::string_view::npos)
    return JsonError(404, "no route (the id is one path segment; encode '/' as %2F)");
  if (!id || id->empty()) return JsonError(400, "id: expected a non-empty, percent-encoded id");
  std::shared_ptr<const features::OnlineStore> store;
  {
    std::lock_guard<std::mutex> lock(features_mu);
    if (!features_store && !options.features.online_store.empty()) {
      StatusOr<std::unique_ptr<features::OnlineStore>> s = features::OnlineStore::Open(
          options.features.online_store, /*read_only=*/true, options.features.online_store_mb);
      if (s.ok()) features_store = std::move(s).value();
    }
    store = features_store;
  }
  if (!store) return JsonError(404, "features not materialized (run recmart features materialize)");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  StatusOr<features::OnlineFeatures> f =
      features::ReadOnline(*store, options.features, group, *id, now);
  if (!f.ok()) {
    return JsonError(f.status().code() == StatusCode::kNotFound ||
                             f.status().code() == StatusCode::kFailedPrecondition
                         ? 404
                         : 500,
                     f.status().message());
  }
  return {200, "application/json",
          features::OnlineFeaturesJson(group == config::FeatureGroup::kUser ? "userId" : "itemId",
                                       *id, *f, options.features.group(group).ttl_hours)
              .dump()};
}

HttpResponse ApiServer::Impl::Answered(std::string_view endpoint, const std::string& user,
                                       const StatusOr<Answer>& a) {
  if (!a.ok()) return FromStatus(a.status());
  LogImpression(endpoint, user, *a);
  return {200, "application/json", AnswerJson(*a)};
}

HttpResponse ApiServer::Impl::Recommendations(const HttpRequest& req) {
  StatusOr<RecommendRequest> r =
      ParseRecommendRequest(req.method, req.body, req.query, MaxString());
  if (!r.ok()) return FromStatus(r.status());
  return Answered("recommendations", r->user_id, rec->Recommend(*r));
}

HttpResponse ApiServer::Impl::SimilarItems(const HttpRequest& req) {
  StatusOr<SimilarRequest> r = ParseSimilarRequest(req.body, MaxString());
  if (!r.ok()) return FromStatus(r.status());
  return Answered("similar-items", r->user_id, rec->Similar(*r));
}

HttpResponse ApiServer::Impl::Ranking(const HttpRequest& req) {
  StatusOr<RankRequest> r = ParseRankRequest(req.body, MaxString());
  if (!r.ok()) return FromStatus(r.status());
  return Answered("personalized-ranking", r->user_id, rec->Rank(*r));
}

void ApiServer::Impl::Events(const HttpRequest& req, Responder respond, Clock::time_point t0,
                             size_t ep) {
  auto fail = [&](const Status& s) {
    HttpResponse res = FromStatus(s);
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    respond(std::move(res));
  };
  StatusOr<EventBatch> batch = ParseEventsRequest(req.body, MaxString());
  if (!batch.ok()) return fail(batch.status());
  const std::string& session = batch->session_id;
  const std::string& user = batch->user_id;
  const int64_t received = UnixMillis();
  std::string lines;
  auto live = std::make_shared<std::vector<LiveEvent>>();
  for (abtest::LoggedEvent& le : batch->events) {
    if (le.event_id.empty()) le.event_id = "e-" + NewRecommendationId().substr(2);
    le.received_at_ms = received;
    le.session_id = session;
    le.user_id = user;
    abtest::AppendEventLine(le, &lines);
    live->push_back({le.item_id, le.event_type, static_cast<int64_t>(le.sent_at), session});
  }
  // Durable first, visible second, answered third: an acknowledged event is
  // on disk and in the user's next answer.
  const std::string key(LiveEventKey(user, session));
  const size_t n = live->size();
  events->Append(std::move(lines), [this, key, live, n, respond = std::move(respond), t0,
                                    ep](const Status& st) {
    HttpResponse res;
    if (st.ok()) {
      rec->live().AddEvents(key, *live);
      metrics.EventsAccepted(n);
      res = {200, "application/json", "{\"accepted\":" + std::to_string(n) + "}"};
    } else {
      res = JsonError(503, "events: not stored: " + st.message());
    }
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    respond(std::move(res));
  });
}

// Like events: durable first (the items or users log), visible second,
// answered third -- a restarted server replays the log, and `recmart etl`
// ingests it into the lake's items / users tables.
void ApiServer::Impl::PutRecords(const HttpRequest& req, LiveLogKind kind, Responder respond,
                                 Clock::time_point t0, size_t ep) {
  const bool items = kind == LiveLogKind::kItems;
  StatusOr<std::vector<std::pair<std::string, Record>>> parsed =
      ParseRecordsRequest(req.body, items, MaxString());
  if (!parsed.ok()) {
    HttpResponse res = FromStatus(parsed.status());
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    return respond(std::move(res));
  }
  auto records = std::make_shared<std::vector<std::pair<std::string, Record>>>(std::move(*parsed));
  const int64_t received = UnixMillis();
  std::string lines;
  for (const auto& [id, r] : *records) AppendRecordLine(kind, id, r, received, &lines);
  SegmentLog& log = items ? *items_log : *users_log;
  log.Append(std::move(lines), [this, items, records, respond = std::move(respond), t0,
                                ep](const Status& st) {
    HttpResponse res;
    if (st.ok()) {
      const size_t n = records->size();
      if (items) {
        rec->live().PutItems(std::move(*records));
      } else {
        rec->live().PutUsers(std::move(*records));
      }
      res = {200, "application/json", "{\"accepted\":" + std::to_string(n) + "}"};
    } else {
      res =
          JsonError(503, std::string(items ? "items" : "users") + ": not stored: " + st.message());
    }
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    respond(std::move(res));
  });
}

void ApiServer::Impl::ReloadLakeUsers() {
  StatusOr<uint64_t> n = LoadLakeUsers(rec->project(), rec->live());
  if (!n.ok()) {
    std::fprintf(stderr, "recmart serve: keeping the user metadata loaded before: %s\n",
                 n.status().message().c_str());
  }
}

HttpResponse ApiServer::Impl::Reload() {
  StatusOr<bool> swapped = rec->Refresh();
  if (!swapped.ok()) return FromStatus(swapped.status());
  if (*swapped) ReloadLakeUsers();
  std::string body =
      "{\"swapped\":" + std::string(*swapped ? "true" : "false") + ",\"modelVersion\":";
  AppendJsonString(rec->models()->live->version, &body);
  return {200, "application/json", body + "}"};
}

HttpResponse ApiServer::Impl::Health() {
  std::string body = "{\"status\":\"ok\",\"modelVersion\":";
  AppendJsonString(rec->models()->live->version, &body);
  return {200, "application/json", body + "}"};
}

std::string ApiServer::Impl::ModelLines() const {
  auto set = rec->models();
  std::string out =
      "# HELP recmart_model_info The model versions being served.\n"
      "# TYPE recmart_model_info gauge\n";
  auto line = [&](const std::string& version, const std::string& role) {
    out += "recmart_model_info{version=";
    AppendJsonString(version, &out);
    out += ",role=";
    AppendJsonString(role, &out);
    out += "} 1\n";
  };
  line(set->live->version, "live");
  if (set->campaign) {
    for (size_t i = 0; i < set->variants.size(); ++i) {
      line(set->variants[i]->version, "variant:" + set->campaign->variants[i].name);
    }
  }
  return out;
}

void ApiServer::Impl::LogImpression(std::string_view endpoint, const std::string& user,
                                    const Answer& a) {
  if (!impressions) return;
  abtest::Impression imp;
  imp.recommendation_id = a.recommendation_id;
  imp.ts_ms = UnixMillis();
  imp.endpoint = std::string(endpoint);
  imp.user_id = user;
  imp.campaign = a.campaign;
  imp.variant = a.campaign.empty() ? "" : a.variant;
  imp.model_version = a.model_version;
  imp.items.reserve(a.items.size());
  for (const auto& [id, score] : a.items) imp.items.push_back(id);
  impressions->Append(abtest::FormatImpressionLine(imp));
}

void ApiServer::Impl::Poll() {
  // Loading a model (reading the bundle, its id maps and index) takes a core
  // for a second or two: at the lowest priority it takes longer but queues
  // no request behind it (on Linux the nice value is per thread).
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
  const auto period =
      std::chrono::milliseconds(static_cast<int64_t>(options.serve.poll_seconds * 1000));
  std::string last_error;
  std::unique_lock<std::mutex> lock(poll_mu);
  while (!poll_cv.wait_for(lock, period, [&] { return stopping; })) {
    lock.unlock();
    StatusOr<bool> swapped = rec->Refresh();
    if (!swapped.ok() && swapped.status().message() != last_error) {
      last_error = swapped.status().message();
      std::fprintf(stderr, "recmart serve: keeping the current model: %s\n", last_error.c_str());
    } else if (swapped.ok()) {
      last_error.clear();
      if (*swapped) {
        std::fprintf(stderr, "recmart serve: now serving %s\n",
                     rec->models()->live->version.c_str());
        ReloadLakeUsers();
      }
    }
    lock.lock();
  }
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

int ApiServer::port() const { return impl_->http ? impl_->http->port() : 0; }

const LiveStateStats& ApiServer::loaded() const { return impl_->loaded; }

StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(std::unique_ptr<Recommender> recommender,
                                                      const ApiOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->rec = std::move(recommender);
  if (!options.features.online_store.empty()) {
    // Absent until materialized: the feature routes retry then.
    auto store = features::OnlineStore::Open(options.features.online_store, /*read_only=*/true,
                                             options.features.online_store_mb);
    if (store.ok()) impl->features_store = std::move(store).value();
  }
  for (const std::string& k : options.serve.api_keys) {
    if (k.rfind("env:", 0) == 0) {
      const char* v = std::getenv(k.c_str() + 4);
      if (v == nullptr || *v == '\0') {
        return Status::InvalidArgument("serve.api_keys: environment variable " + k.substr(4) +
                                       " is not set");
      }
      impl->keys.emplace_back(v);
    } else {
      impl->keys.push_back(k);
    }
  }
  // The live logs (sealing what a killed server left open), then what they
  // and the lake hold, before the first request.
  for (LiveLogKind kind : {LiveLogKind::kEvents, LiveLogKind::kItems, LiveLogKind::kUsers}) {
    SegmentLogOptions lo;
    lo.dir = LiveLogDir(options.project_dir, kind);
    lo.prefix = std::string(LiveLogName(kind));
    lo.durable = options.serve.durable_events;
    ASSIGN_OR_RETURN(std::unique_ptr<SegmentLog> log, SegmentLog::Open(lo));
    (kind == LiveLogKind::kEvents  ? impl->events
     : kind == LiveLogKind::kItems ? impl->items_log
                                   : impl->users_log) = std::move(log);
  }
  if (options.load_live_state) {
    ASSIGN_OR_RETURN(impl->loaded, LoadLiveState(*impl->rec, options.project_dir));
  }
  if (options.log_impressions) {
    SegmentLogOptions im;
    im.dir = options.project_dir + "/" + abtest::kImpressionsDir;
    im.prefix = "impressions";
    im.durable = false;
    im.flush_interval_ms = 5;
    ASSIGN_OR_RETURN(impl->impressions, SegmentLog::Open(im));
  }
  HttpServerOptions ho;
  ho.host = options.serve.host;
  ho.port = options.port >= 0 ? options.port : options.serve.port;
  ho.threads = options.serve.threads > 0
                   ? options.serve.threads
                   : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ho.max_body_bytes = static_cast<size_t>(options.serve.max_body_bytes);
  ho.request_timeout_ms = options.serve.request_timeout_ms;
  ho.header_timeout_ms = options.serve.header_timeout_ms;
  ho.idle_timeout_ms = options.serve.idle_timeout_ms;
  ho.max_connections = static_cast<int>(options.serve.max_connections);
  Impl* raw = impl.get();
  ASSIGN_OR_RETURN(impl->http, HttpServer::Start(ho, [raw](HttpRequest&& req, Responder respond) {
                     raw->Handle(std::move(req), std::move(respond));
                   }));
  impl->poller = std::thread([raw] { raw->Poll(); });
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

void ApiServer::Stop() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->poll_mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->poll_cv.notify_all();
  if (impl_->poller.joinable()) impl_->poller.join();
  if (impl_->http) impl_->http->Stop();
  if (impl_->events) impl_->events->Close();
  if (impl_->items_log) impl_->items_log->Close();
  if (impl_->users_log) impl_->users_log->Close();
  if (impl_->impressions) impl_->impressions->Close();
}

}  // namespace recmart::serve
