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
// Sequence weighting (sequence_window L > 0, the default): X^T X is replaced
// by the sequence-weighted Gram
//   G_ij = sum over users u of x_ui x_uj exp(-|s_ui - s_uj| / L),
// where s_ui is the step of u's interaction with i in u's history: the
// number of distinct earlier first-interaction times (Dataset::first_ts) in
// u's row. Items a user took up close together count as more related than
// items months or hundreds of ratings apart -- the position-decayed
// item-item weights of SLIST (Choi et al., "Session-aware Linear Item-Item
// Models for Session-based Recommendation", WWW 2021), used here for whole
// histories. G is a sum of positive semi-definite kernels, so G + lambda I
// stays positive definite. Interactions at the same time (one order, or data
// without times) are 0 steps apart: when every time in a row is equal, G is
// exactly X^T X. Pairs more than L x ln(10^6) steps apart are left out
// (weight < 1e-6). Scoring is unchanged (history row times B); the query's
// times are not needed. Measured (docs/benchmarks.md) with L = 20: +2.5%
// NDCG@10 on MovieLens 100K (mean of 5 splits), +4.8% on latest-small,
// unchanged on Online Retail's time split; L from 15 to 50 is a plateau.
//
// Cost. Two ways to the same P, the cheaper (in flops) chosen from the data
// (option `solver`; only the first with sequence weighting, whose Gram
// costs O(nnz x steps within reach) to build):
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
  // L2 regularisation added to the Gram diagonal. The measured optimum of
  // plain EASE (NDCG@10, per-user 75/25 split) was ~500 on MovieLens 100K,
  // ~200 on MovieLens latest-small and ~100 on Online Retail, with no rule
  // in the data's size that predicts it (Steck reports 200-1000 on sets 100x
  // larger); 250 was within 2% of each optimum. With sequence weighting
  // (whose Gram has smaller off-diagonal entries) 150-250 are within 0.3% on
  // MovieLens 100K and 100-200 on latest-small; 250 is best on Online Retail.
  double lambda = 250.0;
  // DLAE's dropout probability p in [0, 0.95); 0 is plain EASE.
  double dropout = 0.0;
  // L of the sequence-weighted Gram, in steps of a user's history (see
  // above); 0 is plain EASE (X^T X). 15-50 are within 0.3% of each other on
  // MovieLens 100K; 20 is also +4.8% on latest-small and neutral on Online
  // Retail. On data with times it rules out the users solver (below), so
  // with many more items than users training is slower: MovieLens
  // latest-small 30 s instead of 1 s.
  double sequence_window = 20.0;
  // Each interaction counts 1 (implicit feedback as usually evaluated);
  // false uses the confidence values, both in training and in scoring.
  bool binarize = true;
  // Fit refuses more items than this (the dense matrices grow as items^2).
  int max_items = 20000;
  // "items": invert X^T X + lambda I directly (items^3 flops); "users": the
  // same inverse through the users x users system (Woodbury; users^3 + nnz x
  // (users + items) flops); "auto": whichever costs fewer flops. "users" is
  // InvalidArgument, and "auto" means "items", when the sequence weighting
  // applies (sequence_window > 0 and some user has two distinct times).
  std::string solver = "auto";
  // "auto" (double up to kEaseDoubleMaxItems items, float above), "double"
  // or "float" (half the memory; B agrees to ~1e-5 relative on real data).
  std::string precision = "auto";

  void Visit(ParamReader& r);
};

StatusOr<std::unique_ptr<Model>> NewEaseModel(const nlohmann::json& params);

}  // namespace recmart::models
