#include "recmart/engine/ann_index.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

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
          if (ix->graph_->cur_element_count == ix->items_) {
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

std::vector<models::ItemIndex> AnnIndex::Search(const float* x, size_t k) const {
  std::vector<models::ItemIndex> out;
  if (k == 0 || items_ == 0) return out;
  // Thread-local query buffer: no allocation per search beyond the result.
  thread_local std::vector<float> q;
  q.assign(dim_, 0.0f);
  std::copy(x, x + factors_, q.begin());
  if (bias_) q[static_cast<size_t>(factors_)] = 1.0f;
  auto heap = graph_->searchKnn(q.data(), std::min<size_t>(k, items_));
  out.resize(heap.size());
  for (size_t i = heap.size(); i-- > 0;) {
    out[i] = static_cast<models::ItemIndex>(heap.top().second);
    heap.pop();
  }
  return out;
}

}  // namespace recmart::engine
