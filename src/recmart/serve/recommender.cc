#include "recmart/serve/recommender.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <random>

#include "recmart/common/fs.h"
#include "recmart/engine/recommend.h"
#include "recmart/models/dataset.h"

namespace recmart::serve {

namespace {

// Canonical event type names of the bundle's history kinds (bit = EventKind).
constexpr const char* kKindNames[] = {"view", "add_to_cart", "purchase", "other", "not_interested"};

std::string CanonicalKindName(std::string_view event_type) {
  return kKindNames[static_cast<int>(models::EventKindFromName(event_type))];
}

}  // namespace

std::string NewRecommendationId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[40];
  std::snprintf(buf, sizeof buf, "r-%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

void AppendScore(float score, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, score);
  out->append(buf, r.ptr);
}

std::shared_ptr<const ItemTable> ServedModel::Items(
    const std::shared_ptr<const RecordSet>& live) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!items_ || items_->version() != live->version) {
    items_ = std::make_shared<const ItemTable>(*bundle, live);
  }
  return items_;
}

RecommenderOptions RecommenderOptionsFor(const config::Project& project) {
  RecommenderOptions o;
  o.registry_dir = ResolvePath(project.dir, "models");
  o.session_weight = project.serve.session_weight;
  o.session_events = project.serve.session_events;
  o.ann_min_items = project.serve.ann_min_items;
  o.candidates.per_user = static_cast<int>(project.serve.candidate_lists);
  o.candidates.threads = project.serve.threads;
  return o;
}

Recommender::Recommender(config::Project project, RecommenderOptions options,
                         engine::ModelRegistry registry)
    : project_(std::move(project)), options_(std::move(options)), registry_(std::move(registry)) {}

StatusOr<std::unique_ptr<Recommender>> Recommender::Open(const config::Project& project,
                                                         RecommenderOptions options) {
  ASSIGN_OR_RETURN(engine::ModelRegistry registry,
                   engine::ModelRegistry::Open(options.registry_dir));
  std::unique_ptr<Recommender> r(new Recommender(project, std::move(options), std::move(registry)));
  for (const auto& [name, text] : project.filters) {
    StatusOr<filter::Filter> f = filter::Filter::Parse(text);
    if (!f.ok()) {
      return Status::InvalidArgument(project.file + ": filters." + name + ": " +
                                     f.status().message());
    }
    r->filters_.emplace(name, std::move(*f));
  }
  StatusOr<bool> loaded = r->Refresh();
  if (!loaded.ok()) return loaded.status();
  // Field names are checked against the item table once a model is loaded.
  auto set = r->models();
  auto items = set->live->Items(r->live_.items());
  UserTable users(r->live_.user_base(), r->live_.users());
  for (const auto& [name, f] : r->filters_) {
    Status s = f.Validate(*items, &users);
    if (!s.ok()) {
      return Status::InvalidArgument(project.file + ": filters." + name + ": " + s.message());
    }
  }
  return r;
}

std::shared_ptr<const ModelSet> Recommender::models() const {
  std::lock_guard<std::mutex> lock(set_mu_);
  return set_;
}

std::vector<std::string> Recommender::filter_names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : filters_) out.push_back(name);
  return out;
}

StatusOr<std::shared_ptr<const ServedModel>> Recommender::LoadVersion(
    const std::string& version, const ModelSet* current) const {
  // Reuse what is loaded already: a version's bundle never changes.
  if (current != nullptr) {
    if (current->live && current->live->version == version) return current->live;
    for (const auto& v : current->variants) {
      if (v->version == version) return v;
    }
  }
  ASSIGN_OR_RETURN(engine::ModelBundle b, registry_.Load(version));
  if (options_.ann_min_items > 0 &&
      b.items().size() >= static_cast<size_t>(options_.ann_min_items)) {
    models::FactorView f;
    if (b.model().Factors(&f)) {
      const std::string dir = registry_.PathOf(version);
      Status s = b.AttachAnnIndex(options_.ann, dir + "/ann-" + options_.ann.Tag() + ".bin");
      if (s.ok() && options_.candidates.per_user > 0) {
        s = b.AttachCandidateLists(
            options_.candidates,
            dir + "/cands-" + options_.candidates.Tag() + "-" + options_.ann.Tag() + ".bin");
      }
      if (!s.ok()) return s.WithContext("model " + version);
    }
  }
  auto m = std::make_shared<ServedModel>();
  m->version = version;
  b.manifest()["version"] = version;
  m->bundle = std::make_shared<const engine::ModelBundle>(std::move(b));
  return std::shared_ptr<const ServedModel>(std::move(m));
}

StatusOr<bool> Recommender::Refresh() {
  std::lock_guard<std::mutex> refresh(refresh_mu_);
  std::string live_version = options_.pinned_version;
  if (live_version.empty()) {
    StatusOr<std::string> v = registry_.Live();
    if (!v.ok()) return v.status();
    if (v->empty()) {
      return Status::FailedPrecondition("no live model in " + registry_.dir() +
                                        " (train one with `recmart train --promote`)");
    }
    live_version = *v;
  }
  std::shared_ptr<const ModelSet> current = models();
  const config::CampaignConfig* campaign = nullptr;
  if (options_.pinned_version.empty()) {
    for (const config::CampaignConfig& c : project_.campaigns) {
      if (c.active) campaign = &c;
    }
  }
  // Nothing changed: keep the set (and its caches).
  if (current && current->live->version == live_version) {
    bool same = campaign == nullptr
                    ? !current->campaign.has_value()
                    : current->campaign.has_value() && current->campaign->name == campaign->name;
    if (same) return false;
  }
  auto next = std::make_shared<ModelSet>();
  ASSIGN_OR_RETURN(next->live, LoadVersion(live_version, current.get()));
  if (campaign != nullptr) {
    abtest::Campaign c;
    c.name = campaign->name;
    for (const config::CampaignVariantConfig& v : campaign->variants) {
      c.variants.push_back({v.name, v.model, v.weight});
      StatusOr<std::shared_ptr<const ServedModel>> m = LoadVersion(v.model, current.get());
      if (!m.ok()) {
        return m.status().WithContext(project_.file + ": campaign " + campaign->name +
                                      ", variant " + v.name);
      }
      next->variants.push_back(std::move(*m));
    }
    RETURN_IF_ERROR(abtest::ValidateCampaign(c));
    next->campaign = std::move(c);
  }
  std::lock_guard<std::mutex> lock(set_mu_);
  set_ = std::move(next);
  return true;
}

Recommender::Request Recommender::Begin(std::string_view user_id, Answer* a) const {
  Request q;
  q.set = models();
  q.user_id = user_id;
  if (q.set->campaign) {
    const size_t v = abtest::AssignVariant(*q.set->campaign, user_id);
    a->campaign = q.set->campaign->name;
    a->variant = q.set->campaign->variants[v].name;
    q.model = q.set->variants[v].get();
  } else {
    a->variant = "live";
    q.model = q.set->live.get();
  }
  a->model_version = q.model->version;
  if (!user_id.empty()) q.events = live_.UserEvents(user_id);
  return q;
}

const ItemTable& Recommender::Items(Request& q) const {
  if (!q.items) q.items = q.model->Items(live_.items());
  return *q.items;
}

StatusOr<std::optional<filter::Result>> Recommender::BindFilter(
    const std::string& name, const std::map<std::string, std::string>& values, Request& q,
    std::optional<uint32_t> current_item) const {
  if (name.empty()) {
    if (!values.empty()) {
      return Status::InvalidArgument("filterValues: given without a filter");
    }
    return std::optional<filter::Result>();
  }
  auto it = filters_.find(name);
  if (it == filters_.end()) {
    return Status::InvalidArgument("filter: no filter named '" + name + "'");
  }
  const ItemTable& items = Items(q);
  // The user's history as the filter sees it: trained interactions by kind,
  // then live events (their own type and its canonical kind).
  std::vector<std::string> live_types;
  std::vector<std::pair<uint32_t, size_t>> live_rows;  // row, index into live_types
  std::vector<filter::HistoryEntry> history;
  const engine::ModelBundle& b = *q.model->bundle;
  if (it->second.UsesInteractions() && !q.user_id.empty()) {
    models::UserIndex u = b.users().Find(std::string(q.user_id));
    if (u != models::kUnknownIndex) {
      auto idx = b.history().RowIndices(u);
      auto kinds =
          b.history_kinds().subspan(static_cast<size_t>(b.history().indptr[u]), idx.size());
      for (size_t k = 0; k < idx.size(); ++k) {
        for (int bit = 0; bit < 5; ++bit) {
          if (kinds[k] & (1u << bit)) history.push_back({idx[k], kKindNames[bit]});
        }
      }
    }
    for (const LiveEvent& e : q.events) {
      int64_t row = items.Row(e.item);
      if (row < 0) continue;
      live_types.push_back(e.event_type);
      live_rows.emplace_back(static_cast<uint32_t>(row), live_types.size() - 1);
      std::string canonical = CanonicalKindName(e.event_type);
      if (canonical != e.event_type && canonical != "other") {
        live_types.push_back(std::move(canonical));
        live_rows.emplace_back(static_cast<uint32_t>(row), live_types.size() - 1);
      }
    }
    for (const auto& [row, t] : live_rows) history.push_back({row, live_types[t]});
  }

  UserTable users(live_.user_base(), live_.users());
  filter::Bindings bind;
  bind.values = &values;
  bind.current_item = current_item;
  const int64_t user_row = q.user_id.empty() ? -1 : users.Row(q.user_id);
  if (user_row >= 0) {
    bind.current_user = &users;
    bind.current_user_row = static_cast<size_t>(user_row);
  }
  StatusOr<filter::Result> r =
      filter::Evaluate(it->second, items, bind, history, &q.model->bitmaps);
  if (!r.ok()) return r.status();
  return std::optional<filter::Result>(std::move(*r));
}

namespace {

// Live events as the engine takes them: positive interactions to fold in,
// negative feedback to exclude, recent items for session blending.
struct LiveHistory {
  std::vector<engine::ExtraInteraction> extra;
  std::vector<std::string> negative;
  std::vector<std::string> recent;  // most recent first, unique
};

LiveHistory FromEvents(const std::vector<LiveEvent>& events, const config::Project& p,
                       int session_events) {
  LiveHistory h;
  for (const LiveEvent& e : events) {
    if (models::EventKindFromName(e.event_type) == models::EventKind::kNegative) {
      h.negative.push_back(e.item);
      continue;
    }
    auto w = p.matrix.weights.find(e.event_type);
    if (w == p.matrix.weights.end()) w = p.matrix.weights.find(CanonicalKindName(e.event_type));
    const float weight = w == p.matrix.weights.end() ? 1.0f : static_cast<float>(w->second);
    if (weight <= 0.0f) continue;
    h.extra.push_back({e.item, weight});
  }
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (static_cast<int>(h.recent.size()) >= session_events) break;
    if (models::EventKindFromName(it->event_type) == models::EventKind::kNegative) continue;
    if (std::find(h.recent.begin(), h.recent.end(), it->item) == h.recent.end())
      h.recent.push_back(it->item);
  }
  return h;
}

void Fill(const engine::ModelBundle& b, const engine::Recommendation& rec, Answer* a) {
  a->items.reserve(rec.items.size());
  for (const models::ScoredItem& s : rec.items)
    a->items.emplace_back(b.items().name(s.item), s.score);
  a->source = rec.source;
}

}  // namespace

StatusOr<Answer> Recommender::Recommend(const RecommendRequest& r) const {
  if (r.num_results < 1 || r.num_results > kMaxNumResults) {
    return Status::InvalidArgument("numResults: expected 1 to " + std::to_string(kMaxNumResults));
  }
  Answer a;
  Request q = Begin(r.user_id, &a);
  ASSIGN_OR_RETURN(std::optional<filter::Result> f, BindFilter(r.filter, r.filter_values, q, {}));
  LiveHistory live = FromEvents(q.events, project_, options_.session_events);
  const ServedModel& m = *q.model;

  engine::RecommendOptions o;
  o.num_results = r.num_results;
  o.offset = r.offset;
  o.exclude_seen = r.exclude_seen;
  o.exclude = r.exclude;
  o.exclude.insert(o.exclude.end(), live.negative.begin(), live.negative.end());
  o.exploration = r.exploration;
  if (f) o.allow = [&f](models::ItemIndex i) { return f->Allows(i); };
  o.session_items = std::move(live.recent);
  o.session_weight = options_.session_weight;
  engine::Recommendation rec = engine::RecommendForUser(*m.bundle, r.user_id, o, live.extra);
  Fill(*m.bundle, rec, &a);
  a.recommendation_id = NewRecommendationId();
  return a;
}

StatusOr<Answer> Recommender::Similar(const SimilarRequest& r) const {
  if (r.num_results < 1 || r.num_results > kMaxNumResults) {
    return Status::InvalidArgument("numResults: expected 1 to " + std::to_string(kMaxNumResults));
  }
  Answer a;
  Request q = Begin(r.user_id, &a);
  const ItemTable& items = Items(q);
  const int64_t row = items.Row(r.item_id);
  if (row < 0) return Status::NotFound("itemId: unknown item '" + r.item_id + "'");
  ASSIGN_OR_RETURN(std::optional<filter::Result> f,
                   BindFilter(r.filter, r.filter_values, q, static_cast<uint32_t>(row)));
  engine::RecommendOptions o;
  o.num_results = r.num_results;
  o.offset = r.offset;
  o.exclude = r.exclude;
  o.exclude_seen = !r.user_id.empty();
  if (f) o.allow = [&f](models::ItemIndex i) { return f->Allows(i); };
  const engine::ModelBundle& b = *q.model->bundle;
  if (static_cast<size_t>(row) < b.items().size()) {
    ASSIGN_OR_RETURN(engine::Recommendation rec, engine::RelatedItems(b, r.item_id, r.user_id, o));
    Fill(b, rec, &a);
  } else {
    // An item known only from PUT /items: neighbours by attributes -- same
    // leaf category (then L2, L1) or brand, most popular first.
    const size_t n = b.items().size();
    auto same = [&](std::string_view field) {
      std::string_view v = items.String(field, static_cast<size_t>(row));
      return std::function<bool(models::ItemIndex)>([&items, field, v](models::ItemIndex i) {
        return !v.empty() && items.String(field, i) == v;
      });
    };
    std::vector<std::function<bool(models::ItemIndex)>> tiers = {
        same("CATEGORY_L3"), same("CATEGORY_L2"), same("CATEGORY_L1"), same("BRAND")};
    engine::RecommendOptions po = o;
    po.exclude_seen = false;
    std::vector<std::string> taken;
    for (auto& tier : tiers) {
      if (a.items.size() >= r.num_results + r.offset) break;
      po.num_results = r.num_results + r.offset - a.items.size();
      po.offset = 0;
      po.exclude = o.exclude;
      po.exclude.insert(po.exclude.end(), taken.begin(), taken.end());
      po.allow = [&](models::ItemIndex i) { return i < n && tier(i) && (!o.allow || o.allow(i)); };
      engine::Recommendation rec = engine::RecommendForUser(b, "", po);
      for (const models::ScoredItem& s : rec.items) {
        if (!tier(s.item)) continue;  // popularity top-up is not "related"
        taken.push_back(b.items().name(s.item));
        a.items.emplace_back(taken.back(), s.score);
      }
    }
    if (a.items.size() > r.offset) {
      a.items.erase(a.items.begin(), a.items.begin() + static_cast<long>(r.offset));
    } else {
      a.items.clear();
    }
    a.source = "content";
  }
  a.recommendation_id = NewRecommendationId();
  return a;
}

StatusOr<Answer> Recommender::Rank(const RankRequest& r) const {
  if (r.input.empty() || r.input.size() > engine::kMaxRankItems) {
    return Status::InvalidArgument("inputList: expected 1 to " +
                                   std::to_string(engine::kMaxRankItems) + " item ids");
  }
  Answer a;
  Request q = Begin(r.user_id, &a);
  ASSIGN_OR_RETURN(std::optional<filter::Result> f, BindFilter(r.filter, r.filter_values, q, {}));
  LiveHistory live = FromEvents(q.events, project_, options_.session_events);
  ASSIGN_OR_RETURN(std::vector<engine::RankedItem> ranked,
                   engine::RankItems(*q.model->bundle, r.user_id, r.input, live.extra));
  // Items the filter rejects keep their relative order, after the others.
  if (f) {
    std::stable_partition(ranked.begin(), ranked.end(), [&](const engine::RankedItem& it) {
      const int64_t row = q.items->Row(it.item);
      return row >= 0 && f->Allows(static_cast<uint32_t>(row));
    });
  }
  for (const engine::RankedItem& it : ranked) a.items.emplace_back(it.item, it.score);
  a.source = "model";
  a.recommendation_id = NewRecommendationId();
  return a;
}

}  // namespace recmart::serve
