#include "recmart/engine/ann_index.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <queue>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <hnswlib/hnswlib.h>
#pragma GCC diagnostic pop

#include "recmart/common/fs.h"
#include "recmart/models/factors.h"

namespace recmart::engine {

namespace {

constexpr int kCacheFormat = 1;

// A fingerprint of the item side, so a cache file of other factors is never used.
uint64_t FactorHash(const models::FactorView& f) {
  const models::DenseMatrix& rows = f.items->rows;
  uint64_t h = XXH64(rows.values.data(), rows.values.size() * sizeof(float), 7);
  if (!f.bias.empty()) h = XXH64(f.bias.data(), f.bias.size() * sizeof(float), h);
  return h;
}

StatusOr<uint64_t> FileHash(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return XXH64(bytes.data(), bytes.size(), 11);
}

}  // namespace

std::string AnnOptions::Tag() const {
  return "hnsw-m" + std::to_string(m) + "-efc" + std::to_string(ef_construction) + "-s" +
         std::to_string(seed);
}

AnnIndex::~AnnIndex() = default;

void AnnIndex::Init(const models::FactorView& f) {
  items_ = f.items->size();
  factors_ = f.factors;
  bias_ = !f.bias.empty();
  const size_t used = static_cast<size_t>(factors_) + (bias_ ? 1 : 0) + 1;
  dim_ = (used + 15) / 16 * 16;  // hnswlib's fastest L2 kernel wants multiples of 16
  space_ = std::make_unique<hnswlib::L2Space>(dim_);
}

StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Build(const models::FactorView& f,
                                                    const AnnOptions& o) {
  if (f.items == nullptr || f.items->size() == 0) {
    return Status::InvalidArgument("ann: the model has no item factors");
  }
  std::unique_ptr<AnnIndex> ix(new AnnIndex());
  ix->Init(f);
  const uint32_t n = ix->items_;
  const int k = ix->factors_;
  // M: the largest augmented norm, so that every item's last coordinate is real.
  std::vector<double> norm2(n);
  double max2 = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const float* y = f.items->rows.row(i);
    double s = 0;
    for (int j = 0; j < k; ++j) s += double{y[j]} * y[j];
    if (ix->bias_) s += double{f.bias[i]} * f.bias[i];
    norm2[i] = s;
    max2 = std::max(max2, s);
  }
  try {
    ix->graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        ix->space_.get(), n, static_cast<size_t>(o.m), static_cast<size_t>(o.ef_construction),
        static_cast<size_t>(o.seed));
    ix->graph_->setEf(static_cast<size_t>(o.ef_search));
    ix->ef_ = o.ef_search;
    std::vector<float> v(ix->dim_, 0.0f);
    for (uint32_t i = 0; i < n; ++i) {
      const float* y = f.items->rows.row(i);
      std::copy(y, y + k, v.begin());
      size_t at = static_cast<size_t>(k);
      if (ix->bias_) v[at++] = f.bias[i];
      v[at] = static_cast<float>(std::sqrt(std::max(0.0, max2 - norm2[i])));
      ix->graph_->addPoint(v.data(), i);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("ann: building the index failed: ") + e.what());
  }
  return ix;
}

Status AnnIndex::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  try {
    graph_->saveIndex(tmp);
  } catch (const std::exception& e) {
    return Status::IOError("ann: writing " + tmp + ": " + e.what());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("ann: renaming " + tmp + ": " + ec.message());
  return Status::OK();
}

StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::LoadOrBuild(const models::FactorView& f,
                                                          const AnnOptions& o,
                                                          const std::string& path, bool* loaded) {
  if (loaded) *loaded = false;
  const std::string meta_path = path + ".meta.json";
  const nlohmann::json want = {{"format", kCacheFormat},
                               {"options", o.Tag()},
                               {"items", f.items ? f.items->size() : 0},
                               {"factors", f.factors},
                               {"bias", !f.bias.empty()},
                               {"factor_hash", f.items ? FactorHash(f) : 0}};
  // A cache file is used only when its metadata matches and its bytes hash to
  // what was recorded: hnswlib trusts the file it reads.
  if (StatusOr<std::string> meta = ReadFileToString(meta_path); meta.ok()) {
    nlohmann::json m = nlohmann::json::parse(*meta, nullptr, /*allow_exceptions=*/false);
    StatusOr<uint64_t> h = FileHash(path);
    if (m.is_object() && h.ok() && m.value("file_hash", uint64_t{0}) == *h) {
      m.erase("file_hash");
      if (m == want) {
        std::unique_ptr<AnnIndex> ix(new AnnIndex());
        ix->Init(f);
        try {
          ix->graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(ix->space_.get(), path);
          ix->graph_->setEf(static_cast<size_t>(o.ef_search));
          ix->ef_ = o.ef_search;
          // Search works on internal ids and returns them as item indices:
          // the file must keep item i at internal id i, as Build adds them.
          bool identity = ix->graph_->cur_element_count == ix->items_;
          for (uint32_t i = 0; identity && i < ix->items_; ++i)
            identity = ix->graph_->getExternalLabel(i) == i;
          if (identity) {
            if (loaded) *loaded = true;
            return ix;
          }
        } catch (const std::exception&) {
          // Fall through: rebuild.
        }
      }
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<AnnIndex> ix, Build(f, o));
  // The cache is an optimisation: failing to write it is not an error.
  if (ix->Save(path).ok()) {
    if (StatusOr<uint64_t> h = FileHash(path); h.ok()) {
      nlohmann::json m = want;
      m["file_hash"] = *h;
      (void)WriteFileAtomic(meta_path, m.dump());
    }
  }
  return ix;
}

std::vector<models::ItemIndex> AnnIndex::Search(const float* x, size_t k,
                                                std::span<const models::ItemIndex> seeds) const {
  std::vector<models::ItemIndex> out;
  if (k == 0 || items_ == 0) return out;
  const hnswlib::HierarchicalNSW<float>& g = *graph_;
  using Id = hnswlib::tableint;
  // Thread-local buffers: no allocation per search beyond the result.
  thread_local std::vector<float> q;
  q.assign(dim_, 0.0f);
  std::copy(x, x + factors_, q.begin());
  if (bias_) q[static_cast<size_t>(factors_)] = 1.0f;
  auto dist = [&](Id i) {
    return g.fstdistfunc_(q.data(), g.getDataByInternalId(i), g.dist_func_param_);
  };

  // Greedy descent through the upper layers to the bottom layer's entry, as
  // hnswlib's searchKnn does.
  Id entry = g.enterpoint_node_;
  float entry_dist = dist(entry);
  for (int level = g.maxlevel_; level > 0; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      hnswlib::linklistsizeint* list = g.get_linklist(entry, level);
      const Id* links = reinterpret_cast<const Id*>(list + 1);
      for (size_t j = 0, m = g.getListCount(list); j < m; ++j) {
        const float d = dist(links[j]);
        if (d < entry_dist) {
          entry_dist = d;
          entry = links[j];
          moved = true;
        }
      }
    }
  }

  // Beam search over the bottom layer from that entry and from the seeds:
  // hnswlib's, but with several starting points. Inner-product landscapes
  // are flat between unrelated clusters of items, and a beam started in the
  // wrong one can stay there; the query's own items (a user's history, the
  // item itself) start it where the answer is.
  thread_local std::vector<uint32_t> stamp;
  thread_local uint32_t generation = 0;
  if (stamp.size() != items_) {
    stamp.assign(items_, 0);
    generation = 0;
  }
  if (++generation == 0) {
    std::fill(stamp.begin(), stamp.end(), 0);
    generation = 1;
  }
  using Entry = std::pair<float, Id>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> frontier;  // nearest first
  std::priority_queue<Entry> best;                                          // farthest first
  const size_t ef = std::max<size_t>(static_cast<size_t>(ef_), k);
  auto offer = [&](Id i, float d) {
    if (best.size() < ef || d < best.top().first) {
      frontier.emplace(d, i);
      best.emplace(d, i);
      if (best.size() > ef) best.pop();
    }
  };
  stamp[entry] = generation;
  offer(entry, entry_dist);
  for (models::ItemIndex s : seeds) {
    if (s >= items_ || stamp[s] == generation) continue;
    stamp[s] = generation;
    offer(s, dist(s));
  }
  while (!frontier.empty()) {
    const auto [d, v] = frontier.top();
    if (best.size() >= ef && d > best.top().first) break;
    frontier.pop();
    hnswlib::linklistsizeint* list = g.get_linklist0(v);
    const Id* links = reinterpret_cast<const Id*>(list + 1);
    for (size_t j = 0, m = g.getListCount(list); j < m; ++j) {
      const Id n = links[j];
      if (stamp[n] == generation) continue;
      stamp[n] = generation;
      offer(n, dist(n));
    }
  }
  while (best.size() > k) best.pop();
  out.resize(best.size());
  for (size_t i = best.size(); i-- > 0;) {
    out[i] = best.top().second;
    best.pop();
  }
  return out;
}

}  // namespace recmart::engine
