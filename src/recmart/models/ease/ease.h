// The "ease" recipe: Embarrassingly Shallow Autoencoders (Steck, WWW 2019).
//
// One dense items x items weight matrix B, in closed form: with X the
// users x items interactions (1 per pair when binarize, else the confidence),
//   P = (X^T X + lambda I)^-1,   B = I - P diagMat(1 / diag(P)),
// i.e. B_ij = -P_ij / P_jj off the diagonal and B_jj = 0 (an item may not
// predict itself). A user's scores are their history row times B:
// score_j = sum over history items i of x_i B_ij -- the same for trained and
// unknown users (fold-in for free). ScoreRelated(i) is row i of B (what
// engaging with i predicts); false for an item no one used (its row is 0).
//
// Variant (dropout > 0): DLAE (Steck, NeurIPS 2020) regularises item i by
// lambda + p/(1-p) x its count instead of lambda: popular items, whose
// co-occurrences are most often explained by popularity alone, are damped
// more.
//
// Cost. Two ways to the same P, the cheaper (in flops) chosen from the data
// (option `solver`):
//  - items: Cholesky G = L L^T (items^3/3, single-threaded), then W = L^-1
//    and P = W^T W by fixed column blocks over the threads (items^3/3 each);
//  - users (Woodbury, for fewer users than items): P = D - A^T K A with
//    D = diag(1 / regularisation), A = X D, K = (I + X D X^T)^-1, i.e. a
//    users x users inverse plus nnz x (users + items) products. MovieLens
//    latest-small (610 users, 9,724 items): 1.3 s instead of 45 s.
// Every block is computed the same way whatever the thread count (and
// Eigen runs single-threaded: no OpenMP), so the model does not depend on
// it. Numbers are double up to kEaseDoubleMaxItems items and float above
// (option `precision`). Peak memory is about two items x items matrices in
// that precision: 1,700 items ~ 45 MB; 8,192 items ~ 1.1 GB (double);
// 20,000 items ~ 3.2 GB (float). B is saved as float (items^2 x 4 bytes)
// and memory-mapped at load.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recmart/common/status.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

// Below this many items EASE computes in double precision.
inline constexpr uint32_t kEaseDoubleMaxItems = 8192;

struct EaseOptions {
  // L2 regularisation added to the Gram diagonal. The measured optimum
  // (NDCG@10, per-user 75/25 split) was ~500 on MovieLens 100K, ~200 on
  // MovieLens latest-small and ~100 on Online Retail, with no rule in the
  // data's size that predicts it (Steck reports 200-1000 on sets 100x
  // larger); 250 was within 2% of each optimum.
  double lambda = 250.0;
  // DLAE's dropout probability p in [0, 0.95); 0 is plain EASE.
  double dropout = 0.0;
  // Each interaction counts 1 (implicit feedback as usually evaluated);
  // false uses the confidence values, both in training and in scoring.
  bool binarize = true;
  // Fit refuses more items than this (the dense matrices grow as items^2).
  int max_items = 20000;
  // "items": invert X^T X + lambda I directly (items^3 flops); "users": the
  // same inverse through the users x users system (Woodbury; users^3 + nnz x
  // (users + items) flops); "auto": whichever costs fewer flops.
  std::string solver = "auto";
  // "auto" (double up to kEaseDoubleMaxItems items, float above), "double"
  // or "float" (half the memory; B agrees to ~1e-5 relative on real data).
  std::string precision = "auto";

  void Visit(ParamReader& r);
};

StatusOr<std::unique_ptr<Model>> NewEaseModel(const nlohmann::json& params);

}  // namespace recmart::models
