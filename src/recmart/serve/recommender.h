// Recommender: the answers of the API, independent of HTTP -- which model
// version answers (live, or a campaign's variant), named filters bound to the
// request, live events merged into the user's history, session-aware
// blending, and the response fields (recommendationId, modelVersion,
// variant). The HTTP server and `recmart batch-recommend` both call it, so
// their answers come from one code path.
//
// Errors: InvalidArgument names the request field ("filter: no filter named
// 'x'", "filterValues.CATEGORY: missing"), NotFound an unknown item for
// similar items. Unknown users are not errors: they get popularity.
//
// Thread safety: every const method may run concurrently with the others and
// with Refresh(); a request sees one model set from start to end (hot swap
// replaces the set's pointer, never a model in place).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "recmart/abtest/abtest.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"
#include "recmart/engine/bundle.h"
#include "recmart/engine/registry.h"
#include "recmart/filter/filter.h"
#include "recmart/serve/catalog.h"
#include "recmart/serve/live_store.h"

namespace recmart::serve {

inline constexpr size_t kMaxNumResults = 500;

// One loaded model version.
struct ServedModel {
  std::string version;
  std::shared_ptr<const engine::ModelBundle> bundle;
  mutable filter::BitmapCache bitmaps{256};

  // The item table over this bundle and the given live records (cached for
  // the latest live version).
  std::shared_ptr<const ItemTable> Items(const std::shared_ptr<const RecordSet>& live) const;

 private:
  mutable std::mutex mu_;
  mutable std::shared_ptr<const ItemTable> items_;
};

// What answers requests at one moment: the live version and, when a
// campaign is active, one model per variant.
struct ModelSet {
  std::shared_ptr<const ServedModel> live;
  std::optional<abtest::Campaign> campaign;
  std::vector<std::shared_ptr<const ServedModel>> variants;  // parallel to campaign->variants
};

struct RecommendRequest {
  std::string user_id;
  size_t num_results = 25;
  size_t offset = 0;
  std::string filter;  // a name from the project's [filters], or ""
  std::map<std::string, std::string> filter_values;
  std::vector<std::string> exclude;
  double exploration = 0.0;
  // The HTTP API always excludes the user's seen items; batch-recommend
  // --include-seen turns it off.
  bool exclude_seen = true;
};

struct SimilarRequest {
  std::string item_id;
  std::string user_id;  // optional: for filters and excluding seen items
  size_t num_results = 10;
  size_t offset = 0;
  std::string filter;
  std::map<std::string, std::string> filter_values;
  std::vector<std::string> exclude;
};

struct RankRequest {
  std::string user_id;
  std::vector<std::string> input;
  std::string filter;  // items the filter rejects are ranked last
  std::map<std::string, std::string> filter_values;
};

struct Answer {
  std::vector<std::pair<std::string, float>> items;
  std::string recommendation_id;
  std::string model_version;
  std::string campaign;  // "" without a campaign
  std::string variant;   // the campaign variant, or "live"
  std::string source;    // "model", "popularity", "content"
};

struct RecommenderOptions {
  std::string registry_dir;
  // Fixed model version instead of the registry's live one (batch --model).
  std::string pinned_version;
  double session_weight = 0.5;
  int session_events = 10;
  int64_t ann_min_items = 50000;
  engine::AnnOptions ann;
  // per_user 0: none. Built only where the ANN index is.
  engine::CandidateListOptions candidates;
};

// The options `recmart serve` and `recmart batch-recommend` both use for
// `project`: its registry (<project dir>/models) and its [serve] settings.
RecommenderOptions RecommenderOptionsFor(const config::Project& project);

class Recommender {
 public:
  // Compiles the project's filters (errors name the file and the filter) and
  // loads the models: FailedPrecondition when there is no live model.
  static StatusOr<std::unique_ptr<Recommender>> Open(const config::Project& project,
                                                     RecommenderOptions options);

  // Loads what the registry says now (live version, campaign versions) and
  // swaps it in atomically when it changed. Returns true when it swapped.
  StatusOr<bool> Refresh();

  StatusOr<Answer> Recommend(const RecommendRequest& r) const;
  StatusOr<Answer> Similar(const SimilarRequest& r) const;
  StatusOr<Answer> Rank(const RankRequest& r) const;

  LiveStore& live() { return live_; }
  const LiveStore& live() const { return live_; }
  std::shared_ptr<const ModelSet> models() const;
  const config::Project& project() const { return project_; }
  // Filter names, sorted.
  std::vector<std::string> filter_names() const;

 private:
  Recommender(config::Project project, RecommenderOptions options, engine::ModelRegistry registry);
  // What every answer starts from: one model set for the whole request, the
  // model that answers the user, the user's live events, and the item table
  // (built only when a filter or a live-only item needs it).
  struct Request {
    std::shared_ptr<const ModelSet> set;  // keeps `model` alive
    const ServedModel* model = nullptr;
    std::string_view user_id;
    std::vector<LiveEvent> events;
    std::shared_ptr<const ItemTable> items;
  };
  // Picks the model for `user_id` (the campaign variant by a stable hash, or
  // the live one) and fills the answer's version fields.
  Request Begin(std::string_view user_id, Answer* a) const;
  const ItemTable& Items(Request& q) const;
  StatusOr<std::shared_ptr<const ServedModel>> LoadVersion(const std::string& version,
                                                           const ModelSet* current) const;
  // Binds and evaluates a named filter for one request; nullopt without one.
  StatusOr<std::optional<filter::Result>> BindFilter(
      const std::string& name, const std::map<std::string, std::string>& values, Request& q,
      std::optional<uint32_t> current_item) const;

  config::Project project_;
  RecommenderOptions options_;
  engine::ModelRegistry registry_;
  std::map<std::string, filter::Filter> filters_;
  LiveStore live_;
  mutable std::mutex set_mu_;  // guards set_ (the pointer, not the set)
  std::shared_ptr<const ModelSet> set_;
  std::mutex refresh_mu_;  // one Refresh at a time
};

// A fresh "r-" + 32 hex digits id (random, per thread generator).
std::string NewRecommendationId();

// Appends a score as the API and batch-recommend both write it: the shortest
// text that reads back as the same float ("0.83", "1e-05").
void AppendScore(float score, std::string* out);

}  // namespace recmart::serve
