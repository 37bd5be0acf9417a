// The API server end to end: a real server on a free loopback port, a small
// trained model in a real registry, HTTP over keep-alive connections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "recmart/abtest/abtest.h"
#include "recmart/common/fs.h"
#include "recmart/common/testing.h"
#include "recmart/engine/registry.h"
#include "recmart/serve/api.h"

namespace recmart::serve {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr char kKey[] = "test-key-123";

// 40 users, 30 items in three categories (a0..a9, b0..b9, c0..c9). Users of
// group g mostly use category g; each buys a few of them.
models::Dataset ShopData(uint64_t seed) {
  models::DatasetBuilder b;
  const char cats[] = {'a', 'b', 'c'};
  uint64_t x = seed;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(x >> 33);
  };
  for (int u = 0; u < 40; ++u) {
    const char g = cats[u % 3];
    const std::string user = "u" + std::to_string(u);
    for (int k = 0; k < 6; ++k) {
      const std::string item = std::string(1, g) + std::to_string(next() % 10);
      b.AddPair(user, item, 1.0f, 1000 + k, 1000 + k);
      b.AddEvent(user, item, 1000 + k,
                 k % 3 == 0 ? models::EventKind::kPurchase : models::EventKind::kView);
    }
  }
  for (char c : cats) {
    for (int i = 0; i < 10; ++i) b.AddItem(std::string(1, c) + std::to_string(i));
  }
  models::Dataset d = std::move(b).Build();
  d.attributes.Resize(d.items.size());
  for (uint32_t i = 0; i < d.items.size(); ++i) {
    d.attributes.category_l1[i] = std::string(1, d.items.name(i)[0]);
    d.attributes.price[i] = 10.0 * (i % 5 + 1);
  }
  return d;
}

std::string TrainInto(engine::ModelRegistry& reg, uint64_t seed) {
  models::TrainContext ctx;
  ctx.seed = seed;
  auto b = engine::ModelBundle::Train(
      ShopData(seed), "als", {{"factors", 8}, {"iterations", 8}, {"regularization", 1.0}}, ctx);
  EXPECT_OK(b.status());
  auto v = reg.Add(*b);
  EXPECT_OK(v.status());
  return *v;
}

// A keep-alive HTTP client.
class Client {
 public:
  explicit Client(int port) : stream_(ioc_) {
    net::ip::tcp::resolver resolver(ioc_);
    stream_.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  }
  struct Reply {
    int status = 0;
    std::string body;
    json Json() const { return json::parse(body, nullptr, false); }
  };
  Reply Send(http::verb method, const std::string& target, const std::string& body = "",
             const std::string& key = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!key.empty()) req.set("X-API-Key", key);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream_, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(stream_, buf, res, ec);
    if (ec) return {0, ec.message()};
    return {static_cast<int>(res.result_int()), res.body()};
  }
  Reply Post(const std::string& target, const json& body, const std::string& key = "") {
    return Send(http::verb::post, target, body.dump(), key);
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
};

// A POST /events body: `user` bought `item` in `session`.
json Purchase(const std::string& session, const std::string& user, const std::string& item) {
  return {{"sessionId", session},
          {"userId", user},
          {"eventList", {{{"eventType", "purchase"}, {"itemId", item}, {"sentAt", 1732000000}}}}};
}

std::vector<std::string> Ids(const json& answer) {
  std::vector<std::string> out;
  for (const json& e : answer["itemList"]) out.push_back(e["itemId"].get<std::string>());
  return out;
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  // `tweak` adjusts the recommender's options (defaults otherwise).
  void Start(const std::string& extra_config,
             const std::function<void(RecommenderOptions&)>& tweak = {}) {
    if (server_) server_->Stop();
    server_.reset();
    const std::string toml = R"(
[project]
name = "serve-test"
[[sources]]
name = "live-events"
kind = "events"
path = "live/events/*.jsonl"
format = "jsonl"
[sources.columns]
USER_ID = "userId"
ITEM_ID = "itemId"
EVENT_TYPE = "eventType"
TIMESTAMP = "sentAt"
SESSION_ID = "sessionId"
[sources.timestamp]
format = "epoch_s"
[serve]
api_keys = [")" + std::string(kKey) +
                             R"("]
threads = 2
max_body_bytes = 4096
[filters]
no-purchased = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
in-category = 'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CAT)'
cheap = 'INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE'
b2b-no-a = 'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("a") IF CurrentUser.SEGMENT IN ("b2b")'
)" + extra_config;
    auto p = config::ParseProject(toml, dir_.path() + "/recmart.toml", dir_.path());
    ASSERT_OK(p.status());
    project_ = *p;
    if (!registry_) {
      auto reg = engine::ModelRegistry::Open(dir_.path() + "/models");
      ASSERT_OK(reg.status());
      registry_.emplace(std::move(*reg));
      v1_ = TrainInto(*registry_, 1);
    }
    RecommenderOptions ro;
    ro.registry_dir = dir_.path() + "/models";
    if (tweak) tweak(ro);
    auto rec = Recommender::Open(project_, ro);
    ASSERT_OK(rec.status());
    ApiOptions ao;
    ao.serve = project_.serve;
    ao.serve.poll_seconds = 0.05;
    ao.project_dir = dir_.path();
    ao.port = 0;
    auto server = ApiServer::Start(std::move(*rec), ao);
    ASSERT_OK(server.status());
    server_ = std::move(*server);
  }

  Client NewClient() { return Client(server_->port()); }

  // Every regular file under live/<kind>, concatenated.
  std::string LogText(const std::string& kind) {
    std::string all;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/live/" + kind, ec)) {
      all += *ReadFileToString(e.path().string());
    }
    return all;
  }

  testing::TempDir dir_;
  config::Project project_;
  std::optional<engine::ModelRegistry> registry_;
  std::string v1_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ServeTest, EveryDocumentedRouteAnswersAsDocumented) {
  Client c = NewClient();
  json doc = c.Send(http::verb::get, "/openapi.json").Json();
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"], "3.0.3");
  const std::map<std::string, http::verb> verbs = {
      {"get", http::verb::get}, {"post", http::verb::post}, {"put", http::verb::put}};
  int checked = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method, op] : ops.items()) {
      std::string target = path, body;
      if (op.contains("parameters")) {
        std::string q;
        for (const json& prm : op["parameters"]) {
          if (!prm.contains("example")) continue;
          q += (q.empty() ? "?" : "&") + prm["name"].get<std::string>() + "=" +
               (prm["example"].is_string() ? prm["example"].get<std::string>()
                                           : prm["example"].dump());
        }
        target += q;
      }
      if (op.contains("requestBody")) {
        body = op["requestBody"]["content"]["application/json"]["example"].dump();
      }
      const std::string key = op.contains("security") ? kKey : "";
      Client::Reply r = c.Send(verbs.at(method), target, body, key);
      SCOPED_TRACE(method + " " + target + " -> " + std::to_string(r.status) + " " + r.body);
      if (path.find('{') != std::string::npos) {
        // Routes with a path parameter (/features/...: this fixture has no
        // feature store, tests/cli/features_test.sh has one) must give one
        // of their documented answers.
        ASSERT_TRUE(op["responses"].contains(std::to_string(r.status)));
        ++checked;
        continue;
      }
      ASSERT_EQ(r.status, 200);
      const json& resp = op["responses"]["200"]["content"];
      if (resp.contains("application/json")) {
        json schema = resp["application/json"]["schema"];
        if (schema.contains("$ref")) schema = doc["components"]["schemas"]["Answer"];
        if (schema["$ref"].is_null() && resp["application/json"]["schema"].contains("$ref")) {
          const std::string ref = resp["application/json"]["schema"]["$ref"];
          schema = doc["components"]["schemas"][ref.substr(ref.rfind('/') + 1)];
        }
        json got = r.Json();
        ASSERT_TRUE(got.is_object());
        for (const json& field : schema.value("required", json::array())) {
          EXPECT_TRUE(got.contains(field.get<std::string>())) << field;
        }
      }
      // A route that needs a key refuses a request without one.
      if (!key.empty()) {
        EXPECT_EQ(c.Send(verbs.at(method), target, body).status, 401);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 11);
}

TEST_F(ServeTest, RecommendationsPostAndGetAgree) {
  Client c = NewClient();
  Client::Reply post = c.Post("/recommendations", {{"userId", "u3"}, {"numResults", 7}});
  ASSERT_EQ(post.status, 200) << post.body;
  json a = post.Json();
  EXPECT_EQ(a["itemList"].size(), 7u);
  EXPECT_EQ(a["modelVersion"], v1_);
  EXPECT_EQ(a["variant"], "live");
  EXPECT_THAT(a["recommendationId"].get<std::string>(), ::testing::StartsWith("r-"));
  Client::Reply get = c.Send(http::verb::get, "/recommendations?userId=u3&numResults=7");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(Ids(get.Json()), Ids(a));
  EXPECT_NE(get.Json()["recommendationId"], a["recommendationId"]);
  // Unknown users get popular items, not an error.
  json anon = c.Post("/recommendations", {{"userId", "nobody"}}).Json();
  EXPECT_EQ(anon["itemList"].size(), 25u);
  EXPECT_EQ(anon["source"], "popularity");
}

TEST_F(ServeTest, BadRequestsGet4xxNamingTheField) {
  auto expect = [&](http::verb v, const std::string& target, const std::string& body, int status,
                    const std::string& mention) {
    Client c = NewClient();  // some errors close the connection
    Client::Reply r = c.Send(v, target, body, kKey);
    EXPECT_EQ(r.status, status) << target << " " << body << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr(mention)) << body;
  };
  expect(http::verb::post, "/recommendations", "{not json", 400, "malformed JSON");
  expect(http::verb::post, "/recommendations", "[1,2]", 400, "expected a JSON object");
  expect(http::verb::post, "/recommendations", R"({"numResults": 0})", 400, "numResults");
  expect(http::verb::post, "/recommendations", R"({"numResults": 501})", 400, "numResults");
  expect(http::verb::post, "/recommendations", R"({"numResults": "5"})", 400, "numResults");
  expect(http::verb::post, "/recommendations", R"({"userId": 5})", 400, "userId");
  expect(http::verb::post, "/recommendations", R"({"userID": "u1"})", 400, "userID: unknown field");
  expect(http::verb::post, "/recommendations", R"({"filter": "nope"})", 400, "filter");
  expect(http::verb::post, "/recommendations", R"({"filter": "in-category"})", 400,
         "filterValues.CAT");
  expect(http::verb::get, "/recommendations?numResults=abc", "", 400, "numResults");
  expect(http::verb::post, "/similar-items", R"({"itemId": "zzz"})", 404, "zzz");
  expect(http::verb::post, "/similar-items", R"({})", 400, "itemId");
  expect(http::verb::post, "/personalized-ranking", R"({"userId": "u1", "inputList": []})", 400,
         "inputList");
  expect(http::verb::post, "/events", R"({"sessionId": "s", "eventList": []})", 400, "eventList");
  expect(http::verb::post, "/events",
         R"({"sessionId": "s", "eventList": [{"eventType": "view", "itemId": "a1"}]})", 400,
         "eventList[0].sentAt");
  expect(http::verb::put, "/items",
         R"({"items": [{"itemId": "x", "properties": {"PRICE": "ten"}}]})", 400,
         "items[0].properties.PRICE");
  expect(http::verb::post, "/recommendations", std::string(5000, ' '), 413, "too large");
  expect(http::verb::get, "/nowhere", "", 404, "no route");
  expect(http::verb::delete_, "/events", "", 405, "not allowed");
  // Every string is bounded.
  expect(http::verb::post, "/recommendations",
         json({{"userId", std::string(5000 - 40, 'u')}}).dump(), 413, "too large");
}

TEST_F(ServeTest, WritesNeedTheKeyComparedExactly) {
  Client c = NewClient();
  json ev = {{"sessionId", "s1"},
             {"userId", "u1"},
             {"eventList", {{{"eventType", "view"}, {"itemId", "a1"}, {"sentAt", 1732000000}}}}};
  EXPECT_EQ(c.Post("/events", ev).status, 401);
  EXPECT_EQ(c.Post("/events", ev, "test-key-12").status, 401);
  EXPECT_EQ(c.Post("/events", ev, "test-key-1234").status, 401);
  EXPECT_EQ(c.Post("/events", ev, kKey).status, 200);
  EXPECT_EQ(c.Post("/recommendations", {{"userId", "u1"}}).status, 200);  // reads are open
  EXPECT_EQ(c.Send(http::verb::post, "/admin/reload").status, 401);
}

TEST_F(ServeTest, FiltersApplyAndSearchDeeperForFullLists) {
  Client c = NewClient();
  json a = c.Post("/recommendations", {{"userId", "u0"},
                                       {"numResults", 8},
                                       {"filter", "in-category"},
                                       {"filterValues", {{"CAT", "\"b\""}}}})
               .Json();
  ASSERT_EQ(a["itemList"].size(), 8u) << a;
  for (const std::string& id : Ids(a)) EXPECT_EQ(id[0], 'b') << id;
  json cheap = c.Post("/recommendations", {{"userId", "u0"},
                                           {"numResults", 5},
                                           {"filter", "cheap"},
                                           {"filterValues", {{"MAX_PRICE", "20"}}}})
                   .Json();
  ASSERT_EQ(cheap["itemList"].size(), 5u) << cheap;
}

TEST_F(ServeTest, ALivePurchaseLeavesFilteredRankingAtOnce) {
  Client c = NewClient();
  json req = {
      {"userId", "u5"}, {"inputList", {"a1", "b2", "c3", "b4"}}, {"filter", "no-purchased"}};
  json before = c.Post("/personalized-ranking", req).Json();
  ASSERT_EQ(before["itemList"].size(), 4u);
  const std::string first = Ids(before)[0];
  ASSERT_EQ(c.Post("/events", Purchase("s9", "u5", first), kKey).status, 200);
  json after = c.Post("/personalized-ranking", req).Json();
  ASSERT_EQ(after["itemList"].size(), 4u);
  EXPECT_EQ(Ids(after).back(), first) << after;  // every item comes back; the purchase goes last
}

TEST_F(ServeTest, CandidateListsAnswerLikeTheSearchAndStepAsideForLiveEvents) {
  // Without lists, then with them (an ANN index even for 30 items; its
  // searches scan every item at this size, so both answers are exact).
  auto lists = [](int per_user) {
    return [per_user](RecommenderOptions& o) {
      o.ann_min_items = 1;
      o.candidates.per_user = per_user;
    };
  };
  Start("", lists(0));
  std::vector<json> plain;
  {
    Client c = NewClient();
    for (int u = 0; u < 40; ++u) {
      plain.push_back(
          c.Post("/recommendations", {{"userId", "u" + std::to_string(u)}, {"numResults", 5}})
              .Json());
    }
  }
  Start("", lists(8));
  bool cached = false;
  for (const auto& e : std::filesystem::directory_iterator(registry_->PathOf(v1_))) {
    cached |= e.path().filename().string().rfind("cands-cl8-", 0) == 0;
  }
  EXPECT_TRUE(cached);
  Client c = NewClient();
  for (int u = 0; u < 40; ++u) {
    json a =
        c.Post("/recommendations", {{"userId", "u" + std::to_string(u)}, {"numResults", 5}}).Json();
    EXPECT_EQ(Ids(a), Ids(plain[static_cast<size_t>(u)])) << u;
  }
  // A purchase leaves the next filtered answer at once.
  json req = {{"userId", "u4"}, {"numResults", 5}, {"filter", "no-purchased"}};
  const std::string first = Ids(c.Post("/recommendations", req).Json())[0];
  ASSERT_EQ(c.Post("/events", Purchase("s4", "u4", first), kKey).status, 200);
  json after = c.Post("/recommendations", req).Json();
  ASSERT_EQ(after["itemList"].size(), 5u);
  for (const std::string& id : Ids(after)) EXPECT_NE(id, first);
}

TEST_F(ServeTest, ViewedItemsPullSimilarOnesUp) {
  Client c = NewClient();
  // A user of category a views c items: c items rise.
  auto c_rank = [&](const json& a) {
    double sum = 0;
    int n = 0;
    const auto ids = Ids(a);
    for (size_t k = 0; k < ids.size(); ++k) {
      if (ids[k][0] == 'c') {
        sum += static_cast<double>(k);
        ++n;
      }
    }
    return n ? sum / n : 1e9;
  };
  json before = c.Post("/recommendations", {{"userId", "u0"}, {"numResults", 20}}).Json();
  json ev = {{"sessionId", "s1"},
             {"userId", "u0"},
             {"eventList",
              {{{"eventType", "view"}, {"itemId", "c1"}, {"sentAt", 1732000000}},
               {{"eventType", "view"}, {"itemId", "c2"}, {"sentAt", 1732000001}}}}};
  ASSERT_EQ(c.Post("/events", ev, kKey).status, 200);
  json after = c.Post("/recommendations", {{"userId", "u0"}, {"numResults", 20}}).Json();
  EXPECT_LT(c_rank(after), c_rank(before)) << before << "\n" << after;
  for (const std::string& id : Ids(after)) {
    EXPECT_NE(id, "c1");  // seen now
    EXPECT_NE(id, "c2");
  }
}

TEST_F(ServeTest, EventsAreDurableAndSealedOnStop) {
  Client c = NewClient();
  json ev = {
      {"sessionId", "s1"},
      {"userId", "new-user"},
      {"eventList",
       {{{"eventId", "e-fixed-1"}, {"eventType", "view"}, {"itemId", "b3"}, {"sentAt", 1732000000}},
        {{"eventType", "purchase"},
         {"itemId", "b5"},
         {"sentAt", 1732000001},
         {"eventValue", 9.5}}}}};
  ASSERT_EQ(c.Post("/events", ev, kKey).status, 200);
  // Acknowledged means on disk already (in the open segment).
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/live/events")) {
    all += *ReadFileToString(e.path().string());
  }
  EXPECT_THAT(all, HasSubstr("\"eventId\":\"e-fixed-1\""));
  EXPECT_THAT(all, HasSubstr("\"eventValue\":9.5"));
  // The new user is usable at once: folded in from the live events.
  json a = c.Post("/recommendations", {{"userId", "new-user"}, {"numResults", 5}}).Json();
  EXPECT_EQ(a["source"], "model");
  server_->Stop();
  int sealed = 0, open = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() + "/live/events")) {
    const std::string name = e.path().filename().string();
    sealed += name.ends_with(".jsonl");
    open += name.ends_with(".open");
  }
  EXPECT_EQ(sealed, 1);
  EXPECT_EQ(open, 0);
}

TEST_F(ServeTest, NewItemsAreUsableAtOnce) {
  Client c = NewClient();
  ASSERT_EQ(
      c.Send(http::verb::put, "/items",
             R"({"items": [{"itemId": "b-new", "properties": {"CATEGORY_L1": "b", "PRICE": 5}}]})",
             kKey)
          .status,
      200);
  Client::Reply r = c.Post("/similar-items", {{"itemId", "b-new"}, {"numResults", 4}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["source"], "content");
  ASSERT_EQ(r.Json()["itemList"].size(), 4u);
  for (const std::string& id : Ids(r.Json())) EXPECT_EQ(id[0], 'b');
  // And filters see its metadata: the ranking puts it last only if rejected.
  json rank = c.Post("/personalized-ranking", {{"userId", "u1"},
                                               {"inputList", {"b-new", "a1"}},
                                               {"filter", "cheap"},
                                               {"filterValues", {{"MAX_PRICE", "6"}}}})
                  .Json();
  EXPECT_EQ(Ids(rank)[0], "b-new") << rank;
}

TEST_F(ServeTest, HotSwapUnderLoadNeverFailsOrMixes) {
  // Each version's answer for a user is deterministic: record v1's.
  const std::vector<std::string> users = {"u1", "u2", "u3", "u4"};
  std::map<std::string, std::vector<std::string>> want_v1, want_v2;
  {
    Client c = NewClient();
    for (const auto& u : users) {
      want_v1[u] = Ids(c.Post("/recommendations", {{"userId", u}, {"numResults", 10}}).Json());
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, v2_seen{0}, total{0};
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> seen;
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      Client c = NewClient();
      for (int i = 0; !stop; ++i) {
        const std::string& u = users[static_cast<size_t>(i + t) % users.size()];
        Client::Reply r = c.Post("/recommendations", {{"userId", u}, {"numResults", 10}});
        ++total;
        if (r.status != 200) {
          ++failures;
          continue;
        }
        json a = r.Json();
        std::lock_guard<std::mutex> lock(mu);
        seen.emplace_back(u, a["modelVersion"], Ids(a));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string v2 = TrainInto(*registry_, 2);
  ASSERT_OK(registry_->Promote(v2, "test"));
  // The poller picks it up; wait until answers carry it.
  for (int i = 0; i < 200 && v2_seen == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [u, v, ids] : seen) v2_seen += v == v2;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(v2_seen, 0);
  {
    Client c = NewClient();
    for (const auto& u : users) {
      json a = c.Post("/recommendations", {{"userId", u}, {"numResults", 10}}).Json();
      EXPECT_EQ(a["modelVersion"], v2);
      want_v2[u] = Ids(a);
    }
  }
  // Every answer is exactly one version's answer, never a mix.
  for (const auto& [u, v, ids] : seen) {
    if (v == v1_) {
      EXPECT_EQ(ids, want_v1[u]);
    } else {
      EXPECT_EQ(v, v2);
      EXPECT_EQ(ids, want_v2[u]);
    }
  }
  // Rollback swaps back the same way.
  ASSERT_OK(registry_->Rollback().status());
  Client c = NewClient();
  json r = c.Send(http::verb::post, "/admin/reload", "", kKey).Json();
  EXPECT_EQ(r["modelVersion"], v1_);
  EXPECT_GT(total, 10);
}

TEST_F(ServeTest, CampaignSplitsUsersStablyAndLogsImpressions) {
  const std::string v2 = TrainInto(*registry_, 2);
  Start("[[campaigns]]\nname = \"ab1\"\nvariants = [{ name = \"A\", model = \"" + v1_ +
        "\", weight = 1 }, { name = \"B\", model = \"" + v2 + "\", weight = 1 }]\n");
  Client c = NewClient();
  std::map<std::string, int> variants;
  std::string rid;
  for (int u = 0; u < 40; ++u) {
    const std::string user = "u" + std::to_string(u);
    json a = c.Post("/recommendations", {{"userId", user}, {"numResults", 3}}).Json();
    json again = c.Post("/recommendations", {{"userId", user}, {"numResults", 3}}).Json();
    EXPECT_EQ(a["variant"], again["variant"]);  // stable per user
    EXPECT_EQ(a["campaign"], "ab1");
    EXPECT_EQ(a["modelVersion"], a["variant"] == "A" ? v1_ : v2);
    ++variants[a["variant"]];
    if (user == "u7") rid = a["recommendationId"];
  }
  EXPECT_GT(variants["A"], 5);
  EXPECT_GT(variants["B"], 5);
  // A click that carries the recommendation id is attributed in the report.
  json ev = {{"sessionId", "s1"},
             {"userId", "u7"},
             {"eventList",
              {{{"eventType", "click"},
                {"itemId", "x"},
                {"sentAt", 1732000000},
                {"recommendationId", rid}}}}};
  ASSERT_EQ(c.Post("/events", ev, kKey).status, 200);
  server_->Stop();
  server_.reset();
  abtest::ReportOptions ro;
  auto report = abtest::BuildReport(dir_.path(), ro);
  ASSERT_OK(report.status());
  uint64_t impressions = 0;
  for (const auto& camp : report->campaigns) {
    if (camp.name != "ab1") continue;
    for (const auto& v : camp.variants) impressions += v.impressions;
  }
  EXPECT_EQ(impressions, 80u);
}

bool HasCategory(const json& answer, char category) {
  for (const std::string& id : Ids(answer)) {
    if (id[0] == category) return true;
  }
  return false;
}

TEST_F(ServeTest, ItemAndUserUpdatesAreDurableBeforeTheAnswer) {
  Client c = NewClient();
  ASSERT_EQ(c.Send(http::verb::put, "/items",
                   R"({"items": [{"itemId": "b-new", "properties": {"CATEGORY_L1": "b",
                       "PRICE": 5, "available": true}}]})",
                   kKey)
                .status,
            200);
  ASSERT_EQ(c.Send(http::verb::put, "/users",
                   R"({"users": [{"userId": "u1", "properties": {"SEGMENT": "b2b"}}]})", kKey)
                .status,
            200);
  // Acknowledged means on disk already (in the open segments).
  EXPECT_THAT(LogText("items"), HasSubstr(R"("itemId":"b-new",)"
                                          R"("receivedAt":)"));
  EXPECT_THAT(LogText("items"), HasSubstr(R"("CATEGORY_L1":"b","AVAILABLE":"yes","PRICE":5})"));
  EXPECT_THAT(LogText("users"), HasSubstr(R"("userId":"u1")"));
  EXPECT_THAT(LogText("users"), HasSubstr(R"("SEGMENT":"b2b"})"));
  // A rejected request writes nothing.
  const std::string before = LogText("items");
  EXPECT_EQ(c.Send(http::verb::put, "/items",
                   R"({"items": [{"itemId": "x", "properties": {"PRICE": "ten"}}]})", kKey)
                .status,
            400);
  EXPECT_EQ(LogText("items"), before);
}

// What the server learned live -- events, items, users -- survives a
// restart: the new server replays the logs and answers exactly as before.
TEST_F(ServeTest, ARestartedServerAnswersAsBefore) {
  Client c = NewClient();
  const json b2b_req = {{"userId", "u0"}, {"numResults", 10}, {"filter", "b2b-no-a"}};
  // u0 uses category a; without user metadata the IF clause allows everything.
  ASSERT_TRUE(HasCategory(c.Post("/recommendations", b2b_req).Json(), 'a'));
  const json u5_req = {{"userId", "u5"}, {"numResults", 6}, {"filter", "no-purchased"}};
  const std::string bought = Ids(c.Post("/recommendations", u5_req).Json())[0];

  json ev = {{"sessionId", "s1"},
             {"userId", "u5"},
             {"eventList",
              {{{"eventType", "purchase"}, {"itemId", bought}, {"sentAt", 1732000000}},
               {{"eventType", "view"}, {"itemId", "c4"}, {"sentAt", 1732000001}}}}};
  ASSERT_EQ(c.Post("/events", ev, kKey).status, 200);
  ASSERT_EQ(c.Send(http::verb::put, "/items",
                   R"({"items": [{"itemId": "b-new", "properties": {"CATEGORY_L1": "b"}}]})", kKey)
                .status,
            200);
  ASSERT_EQ(c.Send(http::verb::put, "/users",
                   R"({"users": [{"userId": "u0", "properties": {"SEGMENT": "b2b"}}]})", kKey)
                .status,
            200);
  auto answers = [&](Client& client) {
    std::vector<json> out;
    for (const json& req : {u5_req, b2b_req}) {
      out.push_back(client.Post("/recommendations", req).Json()["itemList"]);
    }
    out.push_back(
        client.Post("/similar-items", {{"itemId", "b-new"}, {"numResults", 4}}).Json()["itemList"]);
    out.push_back(client
                      .Post("/personalized-ranking", {{"userId", "u5"},
                                                      {"inputList", {bought, "a1", "c3"}},
                                                      {"filter", "no-purchased"}})
                      .Json()["itemList"]);
    return out;
  };
  const std::vector<json> live = answers(c);
  // The live state shows: the purchase is gone, u0 is b2b, b-new has neighbours.
  for (const json& e : live[0]) EXPECT_NE(e["itemId"], bought);
  EXPECT_FALSE(HasCategory(json{{"itemList", live[1]}}, 'a')) << live[1];
  EXPECT_EQ(live[2].size(), 4u);

  server_->Stop();
  server_.reset();
  Start("");
  EXPECT_EQ(server_->loaded().events, 2u);
  EXPECT_EQ(server_->loaded().items, 1u);
  EXPECT_EQ(server_->loaded().users, 1u);
  Client again = NewClient();
  const std::vector<json> restarted = answers(again);
  ASSERT_EQ(restarted.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) EXPECT_EQ(restarted[i], live[i]) << i;
}

// A killed server leaves open segments that may end in a torn line: the next
// one seals them, skips the torn line, and replays the rest.
TEST_F(ServeTest, AKilledServersOpenSegmentsAreReplayed) {
  const json top_req = {{"userId", "u3"}, {"numResults", 5}, {"filter", "no-purchased"}};
  const json b2b_req = {{"userId", "u3"}, {"numResults", 10}, {"filter", "b2b-no-a"}};
  std::string top;
  {
    Client c = NewClient();
    top = Ids(c.Post("/recommendations", top_req).Json())[0];
    ASSERT_TRUE(HasCategory(c.Post("/recommendations", b2b_req).Json(), 'a'));
  }
  server_->Stop();
  server_.reset();
  abtest::LoggedEvent e;
  e.event_id = "e-1";
  e.session_id = "s1";
  e.user_id = "u3";
  e.event_type = "purchase";
  e.item_id = top;
  e.sent_at = 1732000000;
  std::filesystem::create_directories(dir_.path() + "/live/users");
  std::ofstream(dir_.path() + "/live/events/events-100-1-0.jsonl.open")
      << abtest::FormatEventLine(e) << R"({"eventId":"e-2","receivedAt":1,"sessionId":"s)";
  std::ofstream(dir_.path() + "/live/users/users-100-1-0.jsonl.open")
      << "{\"userId\":\"u3\",\"receivedAt\":1,\"SEGMENT\":\"b2b\"}\n{\"userId\":\"u4";
  Start("");
  EXPECT_EQ(server_->loaded().events, 1u);
  EXPECT_EQ(server_->loaded().users, 1u);
  EXPECT_EQ(server_->loaded().bad_lines, 0u);  // sealed at start: the torn tails are gone
  EXPECT_EQ(LogText("events"), abtest::FormatEventLine(e));
  Client c = NewClient();
  json after = c.Post("/recommendations", top_req).Json();
  for (const std::string& id : Ids(after)) EXPECT_NE(id, top);
  json b2b = c.Post("/recommendations", b2b_req).Json();
  EXPECT_FALSE(HasCategory(b2b, 'a')) << b2b;
}

}  // namespace
}  // namespace recmart::serve
