// AnnIndex: approximate maximum-inner-product search over a latent-factor
// model's items, so that serving a large catalog does not scan every item.
//
// Built on hnswlib (an HNSW graph). Inner products are turned into Euclidean
// distances by one extra coordinate (Bachrach et al., 2014): item i becomes
// [y_i, b_i, sqrt(M^2 - |y_i|^2 - b_i^2)] and a query [x, 1, 0], so the
// nearest items in L2 are the ones with the largest x . y_i + b_i (M is the
// largest item norm). The graph is built on one thread in item order with a
// fixed seed, so the same model always gives the same index, and every
// process that loads it (server, batch) gets the same candidates.
//
// The graph is hnswlib's; the search over it is ours (AnnIndex::Search):
// hnswlib's searchKnn starts every query from the graph's single entry
// point, and over inner products that misses whole clusters of items (see
// Search), so ours also starts from items the caller knows are near the
// answer. Search returns candidates only; callers rescore them exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/matrix.h"
#include "recmart/models/model.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
template <typename T>
class SpaceInterface;
}  // namespace hnswlib

namespace recmart::engine {

struct AnnOptions {
  int m = 16;                 // graph degree
  int ef_construction = 100;  // build-time beam
  int ef_search = 64;         // query-time beam (at least k)
  uint64_t seed = 42;
  // A short string naming these options, part of the cache file name.
  std::string Tag() const;
};

class AnnIndex {
 public:
  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  // Builds the index over `f`'s items. InvalidArgument without items.
  static StatusOr<std::unique_ptr<AnnIndex>> Build(const models::FactorView& f,
                                                   const AnnOptions& o);
  // Loads `path` (written by Save) when its checksum and shape match `f`;
  // otherwise builds and saves it there (temp + rename). The returned bool
  // says whether it was loaded.
  static StatusOr<std::unique_ptr<AnnIndex>> LoadOrBuild(const models::FactorView& f,
                                                         const AnnOptions& o,
                                                         const std::string& path,
                                                         bool* loaded = nullptr);
  Status Save(const std::string& path) const;

  uint32_t size() const { return items_; }
  // Up to k items with (approximately) the largest x . y_i + b_i, best
  // first. `x` holds the model's padded width of floats (the user vector).
  // `seeds`: items to start the search from besides the graph's entry point
  // (the user's own items, the item asked about): items near them are found
  // even where the graph's landscape is flat (see ann_index.cc).
  std::vector<models::ItemIndex> Search(const float* x, size_t k,
                                        std::span<const models::ItemIndex> seeds = {}) const;

 private:
  AnnIndex() = default;
  void Init(const models::FactorView& f);

  uint32_t items_ = 0;
  int factors_ = 0;
  bool bias_ = false;
  size_t dim_ = 0;  // padded to a multiple of 16
  int ef_ = 64;     // AnnOptions::ef_search
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
};

}  // namespace recmart::engine
