// Model: the one interface every recipe implements.
//
// A recipe is a Model subclass in its own folder (models/als, models/bpr, ...)
// with a documented options struct read by ParamReader, and a factory
// function registered in recmart/engine/recipes.cc. The engine wraps a model
// in a ModelBundle (ids, training history, popularity fallback, item
// metadata), so a Model deals only in dense indices and scores.
//
// Lifecycle: construct from params -> Fit() once -> score from any number of
// threads at once (scoring is const and must not mutate shared state).
// Or: construct from the params recorded in a bundle -> Load() -> score.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "recmart/common/status.h"
#include "recmart/models/array_file.h"
#include "recmart/models/dataset.h"
#include "recmart/models/matrix.h"

namespace recmart::models {

struct TrainContext {
  // Worker threads (>= 1). Results must not depend on it.
  int threads = 2;
  // Seed for every random choice; same seed + same data -> identical model.
  uint64_t seed = 42;
  // Called now and then with a stage name and the fraction done in [0, 1];
  // may be empty. Called from the training thread only.
  std::function<void(std::string_view stage, double fraction)> progress;
  // When set and true, Fit returns Cancelled as soon as it can.
  const std::atomic<bool>* cancel = nullptr;

  void Report(std::string_view stage, double fraction) const {
    if (progress) progress(stage, fraction);
  }
  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
};

// Who to score for.
struct UserQuery {
  // The user's index in the training data, or kUnknownIndex.
  UserIndex user = kUnknownIndex;
  // The user's interactions: items ascending and unique, with confidences.
  std::span<const ItemIndex> items;
  std::span<const float> weights;
  // True when `items` is exactly the user's training row. A model with
  // per-user state (factors) may then use that state; otherwise it must
  // derive the user from `items` (fold-in), e.g. after live events.
  bool history_is_training = true;
};

struct ItemFactors;  // models/factors.h

// The item side of a latent-factor recipe: score(u, i) = x_u . y_i + bias[i].
struct FactorView {
  const ItemFactors* items = nullptr;
  std::span<const float> bias;  // empty: no item bias
  int factors = 0;              // meaningful leading columns of each row
};

class Model {
 public:
  virtual ~Model() = default;

  // The recipe name, e.g. "als".
  virtual std::string_view recipe() const = 0;
  // Effective parameters (defaults filled in), as recorded in the bundle.
  virtual nlohmann::json params() const = 0;

  // Trains on `data`. REQUIRES: called once, before any scoring or Load.
  // Returns InvalidArgument when the data cannot train this recipe (say so
  // in one line), Cancelled when ctx.cancel was set.
  virtual Status Fit(const Dataset& data, const TrainContext& ctx) = 0;

  // Number of items scored (== the training data's items.size()).
  virtual uint32_t num_items() const = 0;

  // Writes out.size() == num_items() scores, higher is better. Scores of a
  // user with no history and no index may be all equal (callers then fall
  // back to popularity). Never NaN.
  virtual void ScoreUser(const UserQuery& q, std::span<float> out) const = 0;

  // Scores for many users at once into `out`, row-major
  // queries.size() x num_items(). The default calls ScoreUser per query;
  // factor models override it with a matrix product.
  virtual void ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const;

  // Item-to-item relatedness of every item to `item` (out.size() ==
  // num_items()); returns false when the recipe has no such notion, and the
  // caller falls back to another source of related items.
  virtual bool ScoreRelated(ItemIndex item, std::span<float> out) const { return false; }

  // Latent-factor recipes expose their item factors, so that the engine can
  // search them with an approximate nearest-neighbour index and score a
  // candidate list without a full scan. Others return false.
  virtual bool Factors(FactorView* out) const { return false; }
  // The query's user vector into x (factors->items->width() floats, 64-byte
  // aligned, zeroed by the caller); false when there is nothing to base it
  // on. Only meaningful when Factors() returns true.
  virtual bool QueryVector(const UserQuery& q, float* x) const { return false; }

  // Writes the fitted state; Load reads it back so that every score is
  // bit-identical. Load REQUIRES a model constructed with the same params.
  virtual Status Save(ArrayWriter& out) const = 0;
  virtual Status Load(const ArrayReader& in) = 0;
};

// Runs fn(begin, end) over [0, n) split into chunks on `threads` threads.
// Chunk boundaries depend only on n and `grain`, never on thread timing, so
// per-chunk results combined in chunk order are deterministic.
void ParallelFor(int threads, size_t n, size_t grain,
                 const std::function<void(size_t begin, size_t end)>& fn);

}  // namespace recmart::models
