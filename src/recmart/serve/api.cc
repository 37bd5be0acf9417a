#include "recmart/serve/api.h"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "recmart/abtest/abtest.h"
#include "recmart/common/json_text.h"
#include "recmart/engine/recommend.h"
#include "recmart/serve/http_server.h"
#include "recmart/serve/metrics.h"
#include "recmart/serve/segment_log.h"

namespace recmart::serve {

using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

// Reads the fields of one JSON object, checking names, types, ranges and
// string sizes; every error names the field ("eventList[2].itemId: ...").
class Fields {
 public:
  Fields(const json& obj, std::string prefix, size_t max_string)
      : obj_(obj), prefix_(std::move(prefix)), max_string_(max_string) {}

  std::string Name(std::string_view key) const { return prefix_ + std::string(key); }
  Status Error(std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(Name(key) + ": " + std::string(what));
  }

  // Fails on a field not in `known`.
  Status Only(std::initializer_list<std::string_view> known) const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || it.key() == k;
      if (!ok) return Error(it.key(), "unknown field");
    }
    return Status::OK();
  }

  const json* Get(std::string_view key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Status CheckString(std::string_view key, const std::string& s) const {
    if (s.size() > max_string_) {
      return Error(key, "longer than " + std::to_string(max_string_) + " bytes");
    }
    return Status::OK();
  }

  Status String(std::string_view key, std::string* out, bool required = false) const {
    const json* v = Get(key);
    if (v == nullptr) return required ? Error(key, "required (a string)") : Status::OK();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get<std::string>();
    if (required && out->empty()) return Error(key, "expected a non-empty string");
    return CheckString(key, *out);
  }

  Status Int(std::string_view key, int64_t lo, int64_t hi, int64_t* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_number_integer() &&
        !(v->is_number_float() && v->get<double>() == std::floor(v->get<double>()))) {
      return Error(key,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    const double d = v->get<double>();
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      return Error(key,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    *out = static_cast<int64_t>(d);
    return Status::OK();
  }

  Status Number(std::string_view key, double lo, double hi, double* out,
                bool required = false) const {
    const json* v = Get(key);
    if (v == nullptr) return required ? Error(key, "required (a number)") : Status::OK();
    if (!v->is_number()) return Error(key, "expected a number");
    const double d = v->get<double>();
    if (!(d >= lo && d <= hi)) {
      return Error(key, "expected a number from " + json(lo).dump() + " to " + json(hi).dump());
    }
    *out = d;
    return Status::OK();
  }

  Status StringList(std::string_view key, size_t max_items, std::vector<std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_array()) return Error(key, "expected an array of strings");
    if (v->size() > max_items) {
      return Error(key, "at most " + std::to_string(max_items) + " entries");
    }
    for (const json& e : *v) {
      if (!e.is_string()) return Error(key, "expected an array of strings");
      out->push_back(e.get<std::string>());
      RETURN_IF_ERROR(CheckString(key, out->back()));
    }
    return Status::OK();
  }

  // filterValues: {"NAME": "\"a\",\"b\""} (numbers are taken as their text).
  Status FilterValues(std::string_view key, std::map<std::string, std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_object()) return Error(key, "expected an object of NAME: \"value\" pairs");
    for (auto it = v->begin(); it != v->end(); ++it) {
      const std::string name = Name(key) + "." + it.key();
      if (it->is_string()) {
        (*out)[it.key()] = it->get<std::string>();
      } else if (it->is_number()) {
        (*out)[it.key()] = it->dump();
      } else {
        return Status::InvalidArgument(name + ": expected a string");
      }
      if ((*out)[it.key()].size() > max_string_) {
        return Status::InvalidArgument(name + ": longer than " + std::to_string(max_string_) +
                                       " bytes");
      }
    }
    return Status::OK();
  }

 private:
  const json& obj_;
  std::string prefix_;
  size_t max_string_;
};

StatusOr<json> ParseBody(const HttpRequest& req) {
  if (req.body.empty()) return Status::InvalidArgument("body: expected a JSON object");
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body: malformed JSON");
  if (!j.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  return j;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

// GET query parameters as a JSON object of the POST body's shape.
StatusOr<json> QueryToJson(std::string_view query) {
  json j = json::object();
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(start, amp - start);
    start = amp + 1;
    if (kv.empty()) continue;
    const size_t eq = kv.find('=');
    const std::string key = PercentDecode(kv.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1));
    if (key == "numResults" || key == "offset") {
      int64_t n = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        return Status::InvalidArgument(key + ": expected an integer");
      }
      j[key] = n;
    } else if (key == "exploration") {
      char* end = nullptr;
      const double d = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        return Status::InvalidArgument(key + ": expected a number");
      }
      j[key] = d;
    } else if (key == "filterValues") {
      json v = json::parse(value, nullptr, false);
      if (v.is_discarded()) return Status::InvalidArgument("filterValues: malformed JSON");
      j[key] = std::move(v);
    } else if (key == "exclude") {
      json list = json::array();
      size_t s = 0;
      while (s <= value.size()) {
        size_t c = value.find(',', s);
        if (c == std::string::npos) c = value.size();
        if (c > s) list.push_back(value.substr(s, c - s));
        s = c + 1;
      }
      j[key] = std::move(list);
    } else {
      j[key] = value;
    }
  }
  return j;
}

void AppendFloat(float v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
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
    AppendFloat(a.items[i].second, &out);
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
  std::unique_ptr<SegmentLog> events, impressions;
  std::unique_ptr<HttpServer> http;
  std::thread poller;
  std::mutex poll_mu;
  std::condition_variable poll_cv;
  bool stopping = false;

  bool Authorized(const HttpRequest& req, bool write) const {
    if (keys.empty()) return true;
    if (!write && !options.serve.require_key_for_reads) return true;
    bool ok = false;
    for (const std::string& k : keys) ok |= KeyEquals(req.api_key, k);
    return ok;
  }

  void Handle(HttpRequest&& req, Responder respond);
  HttpResponse Recommendations(const HttpRequest& req);
  HttpResponse SimilarItems(const HttpRequest& req);
  HttpResponse Ranking(const HttpRequest& req);
  // The answer as a response, logged as an impression when it succeeded.
  HttpResponse Answered(std::string_view endpoint, const std::string& user,
                        const StatusOr<Answer>& a);
  void Events(const HttpRequest& req, Responder respond, Clock::time_point t0, size_t ep);
  HttpResponse PutRecords(const HttpRequest& req, bool items);
  HttpResponse Reload();
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
  if (p == "/items" && m == "PUT") return finish(PutRecords(req, true));
  if (p == "/users" && m == "PUT") return finish(PutRecords(req, false));
  if (p == "/admin/reload" && m == "POST") return finish(Reload());
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

namespace {

// The fields recommendations and similar items share: user, paging, the
// filter, the exclude list and context. Defaults come from `r`.
template <typename Request>
Status ReadListFields(const Fields& f, Request* r) {
  int64_t n = static_cast<int64_t>(r->num_results), offset = 0;
  Status s = f.String("userId", &r->user_id);
  if (s.ok()) s = f.Int("numResults", 1, static_cast<int64_t>(kMaxNumResults), &n);
  if (s.ok()) s = f.Int("offset", 0, 10000, &offset);
  if (s.ok()) s = f.String("filter", &r->filter);
  if (s.ok()) s = f.FilterValues("filterValues", &r->filter_values);
  if (s.ok()) s = f.StringList("exclude", 1000, &r->exclude);
  if (s.ok() && f.Get("context") && !f.Get("context")->is_object()) {
    s = f.Error("context", "expected an object");
  }
  r->num_results = static_cast<size_t>(n);
  r->offset = static_cast<size_t>(offset);
  return s;
}

}  // namespace

HttpResponse ApiServer::Impl::Answered(std::string_view endpoint, const std::string& user,
                                       const StatusOr<Answer>& a) {
  if (!a.ok()) return FromStatus(a.status());
  LogImpression(endpoint, user, *a);
  return {200, "application/json", AnswerJson(*a)};
}

HttpResponse ApiServer::Impl::Recommendations(const HttpRequest& req) {
  StatusOr<json> body = req.method == "GET" ? QueryToJson(req.query) : ParseBody(req);
  if (!body.ok()) return FromStatus(body.status());
  Fields f(*body, "", static_cast<size_t>(options.serve.max_field_bytes));
  RecommendRequest r;
  Status s = f.Only({"userId", "numResults", "offset", "filter", "filterValues", "context",
                     "exclude", "exploration"});
  if (s.ok()) s = ReadListFields(f, &r);
  if (s.ok()) s = f.Number("exploration", 0.0, 1.0, &r.exploration);
  if (!s.ok()) return FromStatus(s);
  return Answered("recommendations", r.user_id, rec->Recommend(r));
}

HttpResponse ApiServer::Impl::SimilarItems(const HttpRequest& req) {
  StatusOr<json> body = ParseBody(req);
  if (!body.ok()) return FromStatus(body.status());
  Fields f(*body, "", static_cast<size_t>(options.serve.max_field_bytes));
  SimilarRequest r;
  Status s = f.Only(
      {"itemId", "userId", "numResults", "offset", "filter", "filterValues", "context", "exclude"});
  if (s.ok()) s = f.String("itemId", &r.item_id, /*required=*/true);
  if (s.ok()) s = ReadListFields(f, &r);
  if (!s.ok()) return FromStatus(s);
  return Answered("similar-items", r.user_id, rec->Similar(r));
}

HttpResponse ApiServer::Impl::Ranking(const HttpRequest& req) {
  StatusOr<json> body = ParseBody(req);
  if (!body.ok()) return FromStatus(body.status());
  Fields f(*body, "", static_cast<size_t>(options.serve.max_field_bytes));
  RankRequest r;
  Status s = f.Only({"userId", "inputList", "filter", "filterValues", "context"});
  if (s.ok()) s = f.String("userId", &r.user_id);
  if (s.ok() && !f.Get("inputList")) s = f.Error("inputList", "required (an array of item ids)");
  if (s.ok()) s = f.StringList("inputList", engine::kMaxRankItems, &r.input);
  if (s.ok() && r.input.empty()) s = f.Error("inputList", "expected at least one item id");
  if (s.ok()) s = f.String("filter", &r.filter);
  if (s.ok()) s = f.FilterValues("filterValues", &r.filter_values);
  if (!s.ok()) return FromStatus(s);
  return Answered("personalized-ranking", r.user_id, rec->Rank(r));
}

void ApiServer::Impl::Events(const HttpRequest& req, Responder respond, Clock::time_point t0,
                             size_t ep) {
  auto fail = [&](const Status& s) {
    HttpResponse res = FromStatus(s);
    metrics.Observe(ep, res.status, std::chrono::duration<double>(Clock::now() - t0).count());
    respond(std::move(res));
  };
  StatusOr<json> body = ParseBody(req);
  if (!body.ok()) return fail(body.status());
  const size_t max_string = static_cast<size_t>(options.serve.max_field_bytes);
  Fields f(*body, "", max_string);
  std::string session, user;
  Status s = f.Only({"sessionId", "userId", "eventList"});
  if (s.ok()) s = f.String("sessionId", &session, /*required=*/true);
  if (s.ok()) s = f.String("userId", &user);
  const json* list = f.Get("eventList");
  if (s.ok() && (list == nullptr || !list->is_array() || list->empty() || list->size() > 10)) {
    s = f.Error("eventList", "expected an array of 1 to 10 events");
  }
  if (!s.ok()) return fail(s);
  const int64_t received = NowMs();
  std::string lines;
  auto live = std::make_shared<std::vector<LiveEvent>>();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string prefix = "eventList[" + std::to_string(i) + "].";
    if (!e.is_object()) return fail(Status::InvalidArgument(prefix + ": expected an object"));
    Fields ef(e, prefix, max_string);
    abtest::LoggedEvent le;
    std::string rid;
    double value = 0;
    s = ef.Only({"eventId", "eventType", "itemId", "sentAt", "eventValue", "recommendationId",
                 "properties", "impression"});
    if (s.ok()) s = ef.String("eventType", &le.event_type, /*required=*/true);
    if (s.ok()) s = ef.String("itemId", &le.item_id, /*required=*/true);
    if (s.ok()) s = ef.Number("sentAt", 0, 1e11, &le.sent_at, /*required=*/true);
    if (s.ok()) s = ef.Number("eventValue", -1e15, 1e15, &value);
    if (s.ok()) s = ef.String("recommendationId", &rid);
    if (s.ok()) s = ef.String("eventId", &le.event_id);
    if (s.ok() && ef.Get("properties")) {
      if (!ef.Get("properties")->is_object()) {
        s = ef.Error("properties", "expected an object");
      } else {
        le.properties_json = ef.Get("properties")->dump();
        if (le.properties_json.size() > max_string) s = ef.Error("properties", "too large");
      }
    }
    if (!s.ok()) return fail(s);
    if (ef.Get("eventValue")) le.event_value = value;
    if (!rid.empty()) le.recommendation_id = rid;
    if (le.event_id.empty()) le.event_id = "e-" + NewRecommendationId().substr(2);
    le.received_at_ms = received;
    le.session_id = session;
    le.user_id = user;
    for (char& c : le.event_type)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    abtest::AppendEventLine(le, &lines);
    live->push_back({le.item_id, le.event_type, static_cast<int64_t>(le.sent_at), session});
  }
  // Durable first, visible second, answered third: an acknowledged event is
  // on disk and in the user's next answer.
  const std::string key = user.empty() ? session : user;
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

HttpResponse ApiServer::Impl::PutRecords(const HttpRequest& req, bool items) {
  StatusOr<json> body = ParseBody(req);
  if (!body.ok()) return FromStatus(body.status());
  const size_t max_string = static_cast<size_t>(options.serve.max_field_bytes);
  const char* list_key = items ? "items" : "users";
  const char* id_key = items ? "itemId" : "userId";
  std::span<const FieldDef> defs =
      items ? std::span<const FieldDef>(kItemFieldDefs) : std::span<const FieldDef>(kUserFieldDefs);
  Fields f(*body, "", max_string);
  Status s = f.Only({list_key});
  const json* list = f.Get(list_key);
  if (s.ok() && (list == nullptr || !list->is_array() || list->empty() || list->size() > 100)) {
    s = f.Error(list_key, "expected an array of 1 to 100 records");
  }
  if (!s.ok()) return FromStatus(s);
  std::vector<std::pair<std::string, Record>> records;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string prefix = std::string(list_key) + "[" + std::to_string(i) + "].";
    if (!e.is_object()) return FromStatus(Status::InvalidArgument(prefix + ": expected an object"));
    Fields ef(e, prefix, max_string);
    std::string id;
    s = ef.Only({id_key, "properties"});
    if (s.ok()) s = ef.String(id_key, &id, /*required=*/true);
    const json* props = ef.Get("properties");
    if (s.ok() && (props == nullptr || !props->is_object())) {
      s = ef.Error("properties", "expected an object of FIELD: value");
    }
    if (!s.ok()) return FromStatus(s);
    Record r;
    r.strings.assign(defs.size(), "");
    r.numbers.assign(defs.size(), std::numeric_limits<double>::quiet_NaN());
    for (auto it = props->begin(); it != props->end(); ++it) {
      std::string upper = it.key();
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string name = prefix + "properties." + it.key();
      const int fi = FieldIndex(defs, upper);
      if (fi < 0) {
        std::string known;
        for (const FieldDef& d : defs) known += (known.empty() ? "" : ", ") + std::string(d.name);
        return FromStatus(
            Status::InvalidArgument(name + ": unknown field (expected one of " + known + ")"));
      }
      const size_t k = static_cast<size_t>(fi);
      if (it->is_null()) continue;
      if (defs[k].type == filter::FieldType::kNumber) {
        if (!it->is_number())
          return FromStatus(Status::InvalidArgument(name + ": expected a number"));
        r.numbers[k] = it->get<double>();
      } else if (it->is_boolean()) {
        r.strings[k] = it->get<bool>() ? "yes" : "no";
      } else if (it->is_string()) {
        r.strings[k] = it->get<std::string>();
        if (r.strings[k].size() > max_string) {
          return FromStatus(Status::InvalidArgument(name + ": longer than " +
                                                    std::to_string(max_string) + " bytes"));
        }
      } else {
        return FromStatus(Status::InvalidArgument(name + ": expected a string"));
      }
      r.present |= 1u << k;
    }
    records.emplace_back(std::move(id), std::move(r));
  }
  const size_t n = records.size();
  if (items) {
    rec->live().PutItems(std::move(records));
  } else {
    rec->live().PutUsers(std::move(records));
  }
  return {200, "application/json", "{\"accepted\":" + std::to_string(n) + "}"};
}

HttpResponse ApiServer::Impl::Reload() {
  StatusOr<bool> swapped = rec->Refresh();
  if (!swapped.ok()) return FromStatus(swapped.status());
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
  imp.ts_ms = NowMs();
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
      }
    }
    lock.lock();
  }
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { Stop(); }

int ApiServer::port() const { return impl_->http ? impl_->http->port() : 0; }

StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(std::unique_ptr<Recommender> recommender,
                                                      const ApiOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->rec = std::move(recommender);
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
  SegmentLogOptions ev;
  ev.dir = options.project_dir + "/" + abtest::kEventsDir;
  ev.prefix = "events";
  ev.durable = options.serve.durable_events;
  ASSIGN_OR_RETURN(impl->events, SegmentLog::Open(ev));
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
  if (impl_->impressions) impl_->impressions->Close();
}

}  // namespace recmart::serve
