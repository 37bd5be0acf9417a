#include "recmart/engine/bundle.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "recmart/common/fs.h"
#include "recmart/engine/recipes.h"
#include "recmart/engine/recommend.h"
#include "recmart/models/array_file.h"
#include "recmart/models/popularity/popularity.h"

namespace recmart::engine {

using models::Array;
using nlohmann::json;

namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void SaveAttributes(const models::ItemAttributes& a, models::ArrayWriter w) {
  w.AddStrings("title", a.title);
  w.AddStrings("category_l1", a.category_l1);
  w.AddStrings("category_l2", a.category_l2);
  w.AddStrings("category_l3", a.category_l3);
  w.AddStrings("brand", a.brand);
  w.Add("price", std::span<const double>(a.price));
  std::vector<uint8_t> avail(a.available.begin(), a.available.end());
  w.Add("available", std::span<const uint8_t>(avail));
  w.Add("created", std::span<const int64_t>(a.created));
}

StatusOr<models::ItemAttributes> LoadAttributes(const models::ArrayReader& r, size_t n) {
  models::ItemAttributes a;
  ASSIGN_OR_RETURN(a.title, r.Strings("title"));
  ASSIGN_OR_RETURN(a.category_l1, r.Strings("category_l1"));
  ASSIGN_OR_RETURN(a.category_l2, r.Strings("category_l2"));
  ASSIGN_OR_RETURN(a.category_l3, r.Strings("category_l3"));
  ASSIGN_OR_RETURN(a.brand, r.Strings("brand"));
  ASSIGN_OR_RETURN(Array<double> price, r.Doubles("price"));
  ASSIGN_OR_RETURN(Array<uint8_t> avail, r.Bytes("available"));
  ASSIGN_OR_RETURN(Array<int64_t> created, r.Int64s("created"));
  a.price.assign(price.begin(), price.end());
  for (uint8_t v : avail) a.available.push_back(static_cast<int8_t>(v));
  a.created.assign(created.begin(), created.end());
  if (a.title.size() != n || a.category_l1.size() != n || a.category_l2.size() != n ||
      a.category_l3.size() != n || a.brand.size() != n || a.price.size() != n ||
      a.available.size() != n || a.created.size() != n) {
    return Status::DataLoss("item attributes do not cover every item");
  }
  return a;
}

std::string NowIso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<models::ItemIndex> PopularityOrder(std::span<const float> pop) {
  std::vector<models::ItemIndex> order(pop.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<models::ItemIndex>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](models::ItemIndex a, models::ItemIndex b) { return pop[a] > pop[b]; });
  return order;
}

// Per matrix entry: the kinds of the events behind it (see history_kinds()):
// from the events when they were read, else from the matrix's counts.
std::vector<uint8_t> HistoryKinds(const models::Dataset& data) {
  const models::CsrMatrix& m = data.matrix;
  if (data.events.empty() && data.kinds.size() == m.nnz()) return data.kinds;
  std::vector<uint8_t> kinds(m.nnz(), 0);
  for (const models::Event& e : data.events) {
    if (e.user >= m.rows) continue;
    auto row = m.RowIndices(e.user);
    auto it = std::lower_bound(row.begin(), row.end(), e.item);
    if (it == row.end() || *it != e.item) continue;
    const size_t at = static_cast<size_t>(m.indptr[e.user]) + static_cast<size_t>(it - row.begin());
    kinds[at] |= static_cast<uint8_t>(1u << static_cast<unsigned>(e.kind));
  }
  return kinds;
}

}  // namespace

StatusOr<ModelBundle> ModelBundle::Train(const models::Dataset& data, const std::string& recipe,
                                         const json& params, const models::TrainContext& ctx) {
  ASSIGN_OR_RETURN(ModelBundle b, FitOn(data, recipe, params, ctx));
  b.users_ = data.users;
  b.items_ = data.items;
  b.history_ = data.matrix;
  return b;
}

StatusOr<ModelBundle> ModelBundle::Train(models::Dataset&& data, const std::string& recipe,
                                         const json& params, const models::TrainContext& ctx) {
  ASSIGN_OR_RETURN(ModelBundle b, FitOn(data, recipe, params, ctx));
  b.users_ = std::move(data.users);
  b.items_ = std::move(data.items);
  b.history_ = std::move(data.matrix);
  return b;
}

StatusOr<ModelBundle> ModelBundle::FitOn(const models::Dataset& data, const std::string& recipe,
                                         const json& params, const models::TrainContext& ctx) {
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, NewModel(recipe, params));
  auto t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(model->Fit(data, ctx));
  double train_s = SecondsSince(t0);
  if (model->num_items() != data.items.size()) {
    return Status::Internal("recipe " + recipe + " scored " + std::to_string(model->num_items()) +
                            " items, the data has " + std::to_string(data.items.size()));
  }

  ModelBundle b;
  b.attributes_ = data.attributes;
  b.attributes_.Resize(data.items.size());
  b.history_kinds_ = Array<uint8_t>(HistoryKinds(data));
  b.popularity_ = Array<float>(models::PopularityScores(data));
  b.popularity_order_ = PopularityOrder(b.popularity_.span());
  std::vector<uint32_t> item_users(data.items.size(), 0);
  for (uint32_t i : data.matrix.indices) ++item_users[i];
  std::vector<uint32_t> cold;
  for (uint32_t i = 0; i < item_users.size(); ++i) {
    if (item_users[i] == 0) cold.push_back(i);
  }
  b.cold_items_ = Array<uint32_t>(std::move(cold));
  b.model_ = std::move(model);
  b.manifest_ = {
      {"format", kBundleFormat},
      {"recipe", std::string(b.model_->recipe())},
      {"params", b.model_->params()},
      {"seed", ctx.seed},
      {"threads", ctx.threads},
      {"created_at", NowIso8601()},
      {"data",
       {{"users", data.users.size()},
        {"items", data.items.size()},
        {"interactions", data.matrix.nnz()},
        {"events", data.events.size()},
        {"cold_items", b.cold_items_.size()},
        {"now", data.now}}},
      {"timings", {{"train_seconds", train_s}}},
      {"metrics", json::object()},
      {"snapshot", json::object()},
  };
  return b;
}

const std::string& ModelBundle::recipe() const {
  return manifest_.at("recipe").get_ref<const std::string&>();
}

Status ModelBundle::Save(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::AlreadyExists(dir + ": bundle already exists");
  std::string tmp = dir + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec)) return Status::IOError(tmp + ": " + ec.message());

  models::ArrayWriter w;
  w.AddStrings("users", users_.names());
  w.AddStrings("items", items_.names());
  w.Add("history", history_);
  w.Add("history_kinds", history_kinds_.span());
  w.Add("popularity", popularity_.span());
  w.Add("cold_items", cold_items_.span());
  SaveAttributes(attributes_, w.Scoped("attributes/"));
  models::ArrayWriter mw = w.Scoped("model/");
  RETURN_IF_ERROR(model_->Save(mw));
  ASSIGN_OR_RETURN(json index, w.WriteFile(tmp + "/arrays.bin"));
  json manifest = manifest_;
  manifest["arrays"] = std::move(index);
  RETURN_IF_ERROR(WriteFileAtomic(tmp + "/manifest.json", manifest.dump(2) + "\n"));
  RETURN_IF_ERROR(RenameDurable(tmp, dir));
  return Status::OK();
}

StatusOr<ModelBundle> ModelBundle::Load(const std::string& dir) {
  auto t0 = std::chrono::steady_clock::now();
  StatusOr<std::string> text = ReadFileToString(dir + "/manifest.json");
  if (!text.ok())
    return Status::NotFound(dir + ": no model bundle here (" + text.status().message() + ")");
  ModelBundle b;
  b.manifest_ = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  const json& m = b.manifest_;
  if (!m.is_object() || m.value("format", 0) != kBundleFormat || !m.contains("arrays") ||
      !m.contains("recipe") || !m["recipe"].is_string()) {
    return Status::DataLoss(dir + "/manifest.json: not a recmart bundle of format " +
                            std::to_string(kBundleFormat));
  }
  ASSIGN_OR_RETURN(models::ArrayReader r,
                   models::ArrayReader::Open(dir + "/arrays.bin", m["arrays"]));
  ASSIGN_OR_RETURN(std::vector<std::string> users, r.Strings("users"));
  ASSIGN_OR_RETURN(std::vector<std::string> items, r.Strings("items"));
  const size_t n_items = items.size();
  b.users_ = models::IdIndex(std::move(users));
  b.items_ = models::IdIndex(std::move(items));
  ASSIGN_OR_RETURN(b.history_, r.Csr("history"));
  if (m["arrays"].contains("history_kinds")) {
    ASSIGN_OR_RETURN(b.history_kinds_, r.Bytes("history_kinds"));
  } else {
    b.history_kinds_ = Array<uint8_t>(std::vector<uint8_t>(b.history_.nnz(), 0));
  }
  ASSIGN_OR_RETURN(b.popularity_, r.Floats("popularity"));
  ASSIGN_OR_RETURN(b.cold_items_, r.Uint32s("cold_items"));
  ASSIGN_OR_RETURN(models::ItemAttributes attrs, LoadAttributes(r.Scoped("attributes/"), n_items));
  b.attributes_ = std::move(attrs);
  if (b.history_.rows != b.users_.size() || b.history_.cols != n_items ||
      b.popularity_.size() != n_items || b.history_kinds_.size() != b.history_.nnz()) {
    return Status::DataLoss(dir + ": bundle arrays disagree on the number of users or items");
  }
  for (uint32_t i : b.cold_items_) {
    if (i >= n_items) return Status::DataLoss(dir + ": bad cold item index");
  }
  ASSIGN_OR_RETURN(b.model_, NewModel(m["recipe"].get<std::string>(), m.value("params", json())));
  Status s = b.model_->Load(r.Scoped("model/"));
  if (!s.ok()) return s.WithContext(dir);
  if (b.model_->num_items() != n_items) {
    return Status::DataLoss(dir + ": the model scores a different number of items");
  }
  b.popularity_order_ = PopularityOrder(b.popularity_.span());
  b.dir_ = dir;
  b.manifest_["timings"]["load_seconds"] = SecondsSince(t0);
  return b;
}

Status ModelBundle::AttachAnnIndex(const AnnOptions& options, const std::string& cache_path) {
  models::FactorView f;
  if (!model_->Factors(&f)) {
    return Status::FailedPrecondition("recipe " + recipe() + " has no item factors to index");
  }
  auto t0 = std::chrono::steady_clock::now();
  bool loaded = false;
  ASSIGN_OR_RETURN(ann_, cache_path.empty()
                             ? AnnIndex::Build(f, options)
                             : AnnIndex::LoadOrBuild(f, options, cache_path, &loaded));
  manifest_["timings"][loaded ? "ann_load_seconds" : "ann_build_seconds"] = SecondsSince(t0);
  return Status::OK();
}

Status ModelBundle::AttachCandidateLists(const CandidateListOptions& options,
                                         const std::string& cache_path) {
  if (ann_ == nullptr) {
    return Status::FailedPrecondition("candidate lists need the ANN index attached first");
  }
  auto t0 = std::chrono::steady_clock::now();
  const auto per_user = static_cast<uint32_t>(std::max(options.per_user, 0));
  if (!cache_path.empty()) {
    // A damaged or mismatched cache is rebuilt, never trusted.
    StatusOr<std::unique_ptr<CandidateLists>> cached =
        CandidateLists::Load(cache_path, users_.size(), per_user, items_.size());
    if (cached.ok()) {
      candidate_lists_ = std::move(*cached);
      manifest_["timings"]["candidate_lists_load_seconds"] = SecondsSince(t0);
      return Status::OK();
    }
  }
  ASSIGN_OR_RETURN(candidate_lists_, BuildCandidateLists(*this, options));
  manifest_["timings"]["candidate_lists_build_seconds"] = SecondsSince(t0);
  // The cache is an optimisation: failing to write it is not an error.
  if (!cache_path.empty()) (void)candidate_lists_->Save(cache_path);
  return Status::OK();
}

}  // namespace recmart::engine
