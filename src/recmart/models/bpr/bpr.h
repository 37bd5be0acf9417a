// The "bpr" recipe: Bayesian Personalized Ranking (Rendle et al., UAI 2009)
// of a matrix-factorisation model, trained by stochastic gradient ascent on
// sampled (user, positive item, negative item) triples.
//
// Model: score(u, i) = x_u . y_i + b_i (b_i only with item_bias). Each step
// takes a user u, an item i with a positive matrix value for u, and an item j
// without one, and moves x_u, y_i, y_j, b_i, b_j along the gradient of
//   ln sigmoid(score(u, i) - score(u, j)) - regularization * |params touched|^2
// scaled by learning_rate. j is the highest-scoring of negative_candidates
// uniform draws (1: classic BPR).
//
// Deterministic and race-free on any number of threads -- stratified SGD
// (DSGD, Gemulla et al., KDD 2011): users and items are dealt into `blocks`
// user blocks and `blocks` item blocks (by descending interaction count, in
// snake order, so that blocks carry similar work). `blocks` depends on the
// data only (8, fewer for small data), never on the thread count. Stratum
// (a, b) holds the positive pairs of users in block a with items in block b.
// An epoch is `blocks` sub-epochs in a seeded order; sub-epoch s runs the
// strata (a, (a + s) mod blocks) for every a, in parallel: they share no
// user and no item, so no two threads ever write the same parameter.
// Stratum (a, b) takes one step per positive pair it holds (an epoch is one
// step per positive pair): its users in a random order, each user's pairs
// in a row (the user's factors stay in cache), negative candidates drawn
// uniformly among block b's items, dropping those that are positives of the
// user (when none is left, up to 8 single redraws). Every draw comes from
// the stratum's own generator, seeded from (seed, epoch, sub-epoch, block),
// so which thread runs a stratum does not matter. A positive pair meets
// negatives from its own item block only; blocks are a fixed partition
// mixing popular and rare items, so this is uniform sampling restricted to
// an eighth of the catalogue (on MovieLens within 0.003 NDCG@10 of a single
// block).
//
// Scoring: a known user whose query history is their training row uses x_u;
// anyone else with a history (unknown user, live events) is folded in:
// x starts at 0 and takes fold_in_epochs passes of the same SGD steps over
// the history (one triple per history item, negative candidates uniform over
// all items not in the history, item parameters fixed), from a generator
// seeded by the history itself -- so the same history always gets the same
// scores. On MovieLens, folded-in users score within 0.002 NDCG@10 of their
// trained vectors. With
// no history every item scores b_i. ScoreRelated is the cosine similarity
// of item factors.
//
// Bundle arrays (under the model's prefix): "user_factors" (users x width),
// "item_factors" (items x width), "item_bias" (items, zeros without
// item_bias) and "item_norms" (items), width = factors rounded up to a
// multiple of 16 (see models/factors.h). Loaded arrays are used in place.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recmart/common/status.h"
#include "recmart/models/model.h"
#include "recmart/models/params.h"

namespace recmart::models {

struct BprOptions {
  // Latent factors per user and item.
  int factors = 64;
  // SGD step size. With regularization, the best of a grid on MovieLens 100K
  // and latest-small (NDCG@10 0.466 and 0.315 with the other defaults).
  // Tiny data (tens of users) needs bigger steps, e.g. 0.05.
  double learning_rate = 0.015;
  // L2 penalty on the factors (and biases) a step touches.
  float regularization = 0.03f;
  // Passes over the positive pairs, one step each.
  int epochs = 100;
  // Learn a per-item bias (popularity) alongside the factors.
  bool item_bias = true;
  // Drop negative candidates that are in fact positives of the user.
  bool verify_negatives = true;
  // Negatives drawn per step; the step uses the one the model currently
  // scores highest (the most violating: adaptive sampling in the spirit of
  // Rendle & Freudenthaler, WSDM 2014, and WARP). 1 is classic BPR; 3 gains
  // about 0.05 NDCG@10 on MovieLens 100K (0.466 against 0.42 for the best
  // classic setting) for two more item rows per step, prefetched. On tiny
  // catalogues the hardest negatives are mostly true positives: use 1.
  int negative_candidates = 3;
  // User blocks = item blocks of the stratified schedule (see above);
  // 0 = min(users, items) / 200 clamped to [1, 8].
  int blocks = 0;
  // Initial factors are uniform in [-init_scale, init_scale) / factors.
  float init_scale = 0.5f;
  // SGD passes over the history when folding in a user.
  int fold_in_epochs = 50;
  // Scoring arithmetic, as AlsOptions::score_precision: "auto" (bfloat16
  // products where the CPU has AVX512-BF16) or "float32".
  std::string score_precision = "auto";

  void Visit(ParamReader& r);
};

StatusOr<std::unique_ptr<Model>> NewBprModel(const nlohmann::json& params);

}  // namespace recmart::models
