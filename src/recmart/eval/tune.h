// Tune: hyperparameter search for one recipe, scored on validation data
// carved from the training data alone.
//
// Tune never sees the test side of the caller's split: it takes the training
// Dataset, carves a validation split out of it (MakeSplit with
// validation_split and seed), trains every candidate on the validation
// split's training side and scores it with Evaluate on its held-out side. The
// caller then trains the winner on the whole training data and tests it once.
//
// The validation split should be of the same kind as the evaluation the
// parameters are chosen for (random per user with the same ratio for a
// random evaluation, the last N days for a time evaluation, ...): a random
// validation carve-out for a time-split evaluation rewards parameters that
// predict the past from the future. MirrorSplit gives that split for an
// evaluation's SplitSpec.
//
// The search space is a JSON object; each key is a parameter and its value
// either a list of choices or a range:
//   {"factors": [32, 64, 128],
//    "regularization": {"min": 0.001, "max": 10, "log": true},
//    "iterations": {"min": 5, "max": 30, "int": true}}
// A range draws uniformly from [min, max] ("log": true: uniformly in log
// space, REQUIRES min > 0; "int": true: an integer in [ceil(min), floor(max)]).
// A candidate's parameters are `base` with the drawn values on top. A key
// that starts with "/" is a JSON pointer (RFC 6901) into `base`, for nested
// parameters such as a blend's weights or a component's params:
//   base  {"components": [{"recipe": "als", "params": {}},
//                         {"recipe": "ease", "weight": 0.5}]}
//   space {"/components/1/weight": [0.25, 0.5, 1], "/components/0/params/factors": [32, 64]}
// Its parent must already be in `base` (an object, or an array with that
// index), else InvalidArgument.
//
// Strategies:
//   "random"   `trials` candidates, each scored on every validation user (or
//              at most max_users of them). Candidates drawn twice are drawn
//              again (so a small grid is covered rather than repeated); when
//              the space runs out, fewer trials are run.
//   "halving"  successive halving: `trials` candidates are scored on a small
//              sample of validation users; the best ceil(n / eta) go on to the
//              next rung, which scores them on twice as many users; this
//              repeats until one candidate is left. The first rung's sample is
//              max_users when set, else chosen so the last rung uses every
//              validation user; samples are nested (a rung's users include the
//              previous rung's). A candidate is trained once; survivors keep
//              their trained model between rungs, so at most
//              ceil(trials / eta) + 1 models are alive at once.
// Both are deterministic for a seed; ties go to the earlier candidate.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/eval/split.h"
#include "recmart/models/dataset.h"
#include "recmart/models/model.h"

namespace recmart::eval {

struct Trial {
  // The values drawn from the space for this candidate (merge onto base for
  // the full parameters).
  nlohmann::json params;
  // The metric on the validation users of this evaluation.
  double score = 0;
  // Training plus evaluation, wall time (for later rungs: evaluation only).
  double seconds = 0;
  // Halving rung (0 for random search) and the validation users scored.
  int rung = 0;
  size_t users = 0;
};

struct TuneOptions {
  // Parameter name -> list of choices or {"min", "max", "log", "int"} range.
  nlohmann::json space = nlohmann::json::object();
  // Fixed parameters; keys of `space` override them. An object or null.
  nlohmann::json base = nlohmann::json::object();
  // "random" or "halving".
  std::string strategy = "random";
  // Candidates drawn (for halving: in the first rung). >= 1.
  int trials = 20;
  // Halving: the share of candidates kept per rung is 1 / eta. >= 2.
  int eta = 3;
  // Random: validation users per trial (0 = all). Halving: users in the first
  // rung (0 = chosen so the last rung uses all).
  size_t max_users = 0;
  // How the validation side is carved from the training data (any SplitSpec;
  // a time split's cut-off in days counts back from the training data's
  // last event). The default, random per user with ratio 0.2, mirrors
  // `recmart evaluate`'s default split.
  SplitSpec validation_split = {SplitSpec::Kind::kRandom, 0.2};
  // What to maximise: a metric name as in ParseMetricName.
  std::string metric = "ndcg@10";
  // Seeds the validation split, the draws and every model's training.
  uint64_t seed = 42;
  // Threads for training and evaluation.
  int threads = 2;
  // Called after every evaluated trial, from the calling thread; may be empty.
  std::function<void(const Trial&)> on_trial;
  // When set and true, Tune returns Cancelled as soon as it can.
  const std::atomic<bool>* cancel = nullptr;
};

// The validation split that mirrors `evaluation`, a split of `data`, for
// tuning on evaluation's training side: the same spec for a random split
// (same ratio), a "last N days" time split and leave-last-n-out; a time
// split at a fixed date (which the training side ends before) becomes a
// "last N days" split with N the days from the cut-off to data.now, rounded
// up, at least 1 -- a validation period as long as the test period.
SplitSpec MirrorSplit(const SplitSpec& evaluation, const models::Dataset& data);

struct TuneResult {
  std::string metric;
  // base merged with the winner's drawn values: what to train the final model with.
  nlohmann::json best_params;
  double best_score = 0;
  // Every evaluation in the order run (halving: one per candidate per rung).
  std::vector<Trial> trials;

  // {"metric", "best_score", "best_params", "trials": [{"params", "score",
  // "seconds", "rung", "users"}]}.
  nlohmann::json ToJson() const;
};

// Builds an untrained model from full parameters; Tune fits it.
using ModelFactory =
    std::function<StatusOr<std::unique_ptr<models::Model>>(const nlohmann::json& params)>;

// Searches `options.space` for the parameters that maximise options.metric.
// Returns InvalidArgument for a malformed space, base, strategy, metric or
// count (naming the key and what was expected), and passes on the first error
// of make_model or Fit (with the candidate's parameters as context).
StatusOr<TuneResult> Tune(const models::Dataset& train, const TuneOptions& options,
                          const ModelFactory& make_model);

}  // namespace recmart::eval
