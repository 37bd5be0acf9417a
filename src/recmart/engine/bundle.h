// ModelBundle: a trained model with everything needed to answer requests
// from it alone -- what the registry stores, what `recmart recommend` and the
// API server load and hot-swap.
//
// A bundle is a directory:
//   manifest.json  recipe, params, seed, metrics, timings, data snapshot, and
//                  the index of arrays.bin (small; parsed at load)
//   arrays.bin     every array, 64-byte aligned, memory-mapped at load (no
//                  parsing): user and item ids, the users x items training
//                  history, the popularity fallback, item metadata for
//                  filters and cold start, and the model's own arrays under
//                  "model/"
// Save writes a sibling temporary directory and renames it into place, so a
// bundle directory is either complete or absent.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/engine/ann_index.h"
#include "recmart/engine/candidate_lists.h"
#include "recmart/models/dataset.h"
#include "recmart/models/matrix.h"
#include "recmart/models/model.h"

namespace recmart::engine {

inline constexpr int kBundleFormat = 1;

class ModelBundle {
 public:
  // Fits a model of `recipe` with `params` on `data` and assembles the
  // bundle around it. The manifest gets recipe, effective params, seed,
  // threads, data sizes and the training time; callers add metrics and the
  // lake snapshot before Save.
  static StatusOr<ModelBundle> Train(const models::Dataset& data, const std::string& recipe,
                                     const nlohmann::json& params, const models::TrainContext& ctx);
  // The same, taking the ids and the matrix from `data` instead of copying
  // them (at 100M events a copy is over 1 GB). `data` is left valid but
  // without them.
  static StatusOr<ModelBundle> Train(models::Dataset&& data, const std::string& recipe,
                                     const nlohmann::json& params, const models::TrainContext& ctx);

  // Loads the bundle in `dir`. DataLoss when it is incomplete or corrupt.
  static StatusOr<ModelBundle> Load(const std::string& dir);
  // Writes the bundle to `dir`, which must not exist yet (atomic: temp + rename).
  Status Save(const std::string& dir) const;

  const models::Model& model() const { return *model_; }
  const models::IdIndex& users() const { return users_; }
  const models::IdIndex& items() const { return items_; }
  // users x items: the training interactions (confidence per pair); a
  // user's row is their history, used to exclude seen items.
  const models::CsrMatrix& history() const { return history_; }
  // Per history() entry (same order as its indices): the event kinds seen for
  // that pair, bit (1 << EventKind). From the events when training read
  // them, else from the matrix's per-type counts (event types other than
  // view / add-to-cart / purchase then show as kOther). 0 when unknown (a
  // bundle older than this field).
  std::span<const uint8_t> history_kinds() const { return history_kinds_.span(); }
  // Popularity of each item (the "popularity" recipe's defaults), the
  // fallback for users with no history.
  std::span<const float> popularity() const { return popularity_.span(); }
  // Every item, most popular first (ties by index).
  std::span<const models::ItemIndex> popularity_order() const { return popularity_order_; }
  // Item metadata by item index, for filters and cold start.
  const models::ItemAttributes& attributes() const { return attributes_; }
  // Items with metadata but no training interactions (ascending).
  std::span<const models::ItemIndex> cold_items() const { return cold_items_.span(); }

  // The approximate nearest-neighbour index over item factors, when one was
  // attached (factor recipes only); null otherwise.
  const AnnIndex* ann() const { return ann_.get(); }
  // Builds (or loads from `cache_path` when it matches) the ANN index.
  // FailedPrecondition when the recipe has no item factors.
  Status AttachAnnIndex(const AnnOptions& options, const std::string& cache_path);
  // Per-user candidate lists (see candidate_lists.h), when attached; null
  // otherwise.
  const CandidateLists* candidate_lists() const { return candidate_lists_.get(); }
  // Loads the lists from `cache_path` when they match this bundle and
  // `options`, else builds them (BuildCandidateLists) and writes them there
  // ("" : build, no cache). REQUIRES: the ANN index is attached; otherwise
  // FailedPrecondition.
  Status AttachCandidateLists(const CandidateListOptions& options, const std::string& cache_path);
  // The directory the bundle was loaded from ("" when trained in memory).
  const std::string& dir() const { return dir_; }

  nlohmann::json& manifest() { return manifest_; }
  const nlohmann::json& manifest() const { return manifest_; }
  const std::string& recipe() const;

 private:
  // Everything Train does but the copy of the ids and the matrix.
  static StatusOr<ModelBundle> FitOn(const models::Dataset& data, const std::string& recipe,
                                     const nlohmann::json& params, const models::TrainContext& ctx);

  std::unique_ptr<models::Model> model_;
  models::IdIndex users_, items_;
  models::ItemAttributes attributes_;
  models::CsrMatrix history_;
  models::Array<uint8_t> history_kinds_;
  models::Array<float> popularity_;
  std::vector<models::ItemIndex> popularity_order_;
  std::unique_ptr<AnnIndex> ann_;
  std::unique_ptr<CandidateLists> candidate_lists_;
  std::string dir_;
  models::Array<uint32_t> cold_items_;
  nlohmann::json manifest_;
};

}  // namespace recmart::engine
