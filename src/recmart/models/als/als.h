// The "als" recipe: implicit-feedback matrix factorisation by alternating
// least squares (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit
// Feedback Datasets", ICDM 2008), each least-squares row solved approximately
// by a few conjugate-gradient steps warm-started from the previous factors
// (Takacs, Pilaszy & Tikk, "Applications of the conjugate gradient method for
// implicit feedback collaborative filtering", RecSys 2011; the solver of
// benfred/implicit).
//
// Model: every user u and item i gets a vector of `factors` floats (x_u, y_i);
// the score of i for u is x_u . y_i. Training minimises
//   sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2
//     + sum over users lambda_u |x_u|^2 + sum over items lambda_i |y_i|^2
// where p_ui = 1 and c_ui = 1 + alpha * f(value) for a positive matrix entry,
// p_ui = 0 and c_ui = 1 + alpha * f(|value|) for a negative one, and p = 0,
// c = 1 for every pair not in the matrix. f is the identity ("linear") or
// log(1 + value) ("log"). lambda is `regularization`, optionally times the
// row's number of interactions or a power of its total confidence weight
// (regularization_scale). With user_confidence_exponent g != 0, every
// confidence excess of user u is also scaled by n_u^g / Z, n_u the number of
// u's interactions and Z the mean of n^g over all interactions (so that the
// scales average 1): with g < 0 each interaction of a long history counts
// less, so heavy users weigh less in the item factors.
//
// Training: users and items are solved in turn, `iterations` times. Every row
// solve is independent of the others, so rows are spread over threads and the
// result does not depend on the thread count; the initial factors come from
// one seeded generator. One half-iteration costs
// O(rows * (cg_steps + 1) * (factors^2 + row_nnz * factors)).
//
// Scoring:
//  - a known user whose query history is their training row: x_u . y_i;
//  - anyone else with a history (an unknown user, or live events): fold-in,
//    the exact least-squares x for that history against the fixed item
//    factors (an LDLT solve of a factors x factors system);
//  - no history: every score 0.
// ScoreUsers scores a whole batch in one pass over the item factors (see
// ItemFactors in factors.h); a user gets bit-identical scores alone or in
// any batch. ScoreRelated is the cosine similarity of item factors (0 for an
// item whose factors are all zero).
//
// Bundle arrays (under the model's prefix): "user_factors" (users x width),
// "item_factors" (items x width), "item_panels" (the same, transposed for
// scoring), "item_norms" (items), "gram" (width x width: the items'
// Y^T Y, for fold-in) and, with user_confidence_exponent != 0,
// "user_confidence_norm" (Z above; fold-in scales a history of n items by
// n^g / Z). width is `factors` rounded up to a multiple of 16 so
// that every row starts on a 64-byte boundary; the extra columns are zero.
// Loaded arrays are used in place (memory-mapped).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recmart/common/status.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

struct AlsOptions {
  // Latent factors per user and item.
  int factors = 64;
  // L2 penalty on every factor vector, see regularization_scale. Far above
  // implicit's 0.01: with alpha = 3, 35 beats 30 on MovieLens 100K (mean
  // of 5 splits), latest-small and Online Retail alike (NDCG@10 0.491,
  // 0.385, 0.121 against 0.488, 0.382, 0.120; 40 loses on 100K; 0.01 gives
  // 0.38 and 0.33 on the MovieLens sets), and it still recovers the tiny
  // planted data of the conformance suite.
  float regularization = 35.0f;
  // "constant": every user and item vector gets `regularization`;
  // "count": times the row's number of interactions (weighted-lambda
  // regularisation, as in ALS-WR and Spark), so heavy users and popular
  // items are held back more;
  // "frequency": times (others + sum over the row of alpha * f(value))^nu,
  // `others` being the number of rows on the other side (items, for a
  // user): the total confidence weight the row's least-squares problem sums
  // over. This is iALS's frequency-scaled penalty, lambda (|I_u| + alpha0
  // |I|)^nu (Rendle et al., "Revisiting the Performance of iALS on Item
  // Recommendation Benchmarks", RecSys 2022), in this confidence model
  // (alpha0 = 1 / alpha). Not the default: its best `regularization` does
  // not carry over between data sets (docs/benchmarks.md: 0.02 is best on
  // MovieLens 100K, +1% NDCG@10 over constant, but loses 10-30% on
  // latest-small and Online Retail, whose many rarely used items inflate
  // `others` without adding to the Gram matrix).
  std::string regularization_scale = "constant";
  // "frequency" only: nu above.
  double regularization_exponent = 1.0;
  // Confidence scaling: c = 1 + alpha * f(value). For 0/1 data, the weight of
  // an observed pair relative to an unobserved one.
  float alpha = 3.0f;
  // f above: "linear" (value as is) or "log" (log(1 + value): damps heavy
  // repeat interactions such as many views of one item).
  std::string confidence = "linear";
  // Alternating passes (users then items).
  int iterations = 15;
  // Conjugate-gradient steps per row and pass (warm-started; 3 is close to
  // the exact solve after a few iterations).
  int cg_steps = 3;
  // Scoring arithmetic: "auto" multiplies bfloat16-rounded factors (exact
  // products summed in float32) where the CPU has AVX512-BF16 -- about twice
  // as fast, scores within ~1%, MovieLens NDCG@10 unchanged to 3 decimals --
  // and float32 elsewhere; "float32" always multiplies float32 factors.
  // Training is float32 either way.
  std::string score_precision = "auto";
  // Initial factors are uniform in [0, init_scale).
  double init_scale = 0.01;
  // g of the per-user confidence scale n_u^g / Z (see above); 0 leaves the
  // confidences as they are. Measured for ALS alone (NDCG@10,
  // docs/benchmarks.md): -0.5 gives +0.9% on MovieLens 100K (mean of 5
  // splits), +4.4% on latest-small, -0.7% on Online Retail; -0.25 gives
  // +1.0%, +2.5%, +0.7%. The default blend's ALS uses -0.5; "als" alone
  // keeps 0 so that bundles saved without this key keep their meaning.
  double user_confidence_exponent = 0.0;

  void Visit(ParamReader& r);
};

StatusOr<std::unique_ptr<Model>> NewAlsModel(const nlohmann::json& params);

// The training objective above of a fitted "als" model on `data` (which must
// be the data it was fitted on). InvalidArgument for another kind of model.
// For tests and diagnostics: it reads every interaction once.
StatusOr<double> AlsTrainingLoss(const Model& model, const Dataset& data);

}  // namespace recmart::models
