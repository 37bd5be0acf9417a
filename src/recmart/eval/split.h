// Splits: turn one Dataset into a training Dataset and, per user, the items
// held out to test against.
//
// Every split keeps the input's user and item IdIndex unchanged, so an index
// means the same user or item in the input, in Split::train and in Split::test,
// and a model trained on `train` scores exactly the items `test` names. What a
// split removes from the training side:
//   - matrix entries (with their first_ts/last_ts) of held-out (user, item) pairs;
//   - events of held-out pairs (and for a time split, every event at or after
//     the cut-off);
// item attributes are copied, and `now` is recomputed from what remains, so a
// recency-aware recipe never sees the held-out future through it.
//
// Every split is deterministic: the same data, spec and seed give the same
// split on any machine and thread count.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/dataset.h"
#include "recmart/models/matrix.h"

namespace recmart::eval {

struct Split {
  // Same users, items (indices and ids), matrix shape and attributes as the
  // input, minus the held-out pairs.
  models::Dataset train;
  // Size train.users.size(): per user index, the held-out items, ascending and
  // unique. Empty for a user with nothing to test.
  std::vector<std::vector<models::ItemIndex>> test;

  // Number of held-out (user, item) pairs.
  size_t num_test_pairs() const;
  // Number of users with at least one held-out item.
  size_t num_test_users() const;
};

// Random per user: each user with n >= 2 interactions (matrix entries) keeps
// round(ratio * n) of them, clamped to [1, n - 1], for test, chosen uniformly
// by a generator seeded from (seed, user index). A user with one interaction
// stays wholly in train, so every tested user has a history.
// Returns InvalidArgument unless 0 < ratio < 1.
StatusOr<Split> RandomSplit(const models::Dataset& data, double ratio, uint64_t seed);

// By time, at `cutoff` (epoch seconds): a pair first seen at or after the
// cut-off is held out; everything before it trains.
//
// A pair with first_ts < cutoff <= last_ts (bought before, bought again after)
// stays in train and is not tested: recommending an item the user already
// had before the cut-off is not a discovery, and exclude_seen evaluation would
// never recommend it anyway. Its aggregated confidence cannot be split in two,
// so train keeps it whole, with last_ts clamped to cutoff - 1 so that no
// training time is at or after the cut-off.
//
// A user with no interaction before the cut-off has nothing to personalise
// from; their later pairs are dropped from both sides (that is a test of the
// popularity fallback, not of the model).
StatusOr<Split> TimeSplit(const models::Dataset& data, int64_t cutoff);

// The cut-off that holds out the last `days` days of data: data.now - days * 86400.
int64_t CutoffLastDays(const models::Dataset& data, int days);

// Leave last n out: each user with more than n interactions holds out their n
// most recent items, by last_ts; among equal last_ts the higher item index
// counts as more recent (an arbitrary but fixed order). Users with n or fewer
// stay wholly in train. Returns InvalidArgument unless n >= 1.
StatusOr<Split> LeaveLastNSplit(const models::Dataset& data, int n);

// A split as named on the command line:
//   "random:0.25"      RandomSplit with ratio 0.25 (seed given separately)
//   "time:2011-11-09"  TimeSplit at that date's midnight, UTC
//   "time:30d"         TimeSplit at CutoffLastDays(data, 30)
//   "last:1"           LeaveLastNSplit with n = 1
struct SplitSpec {
  enum class Kind { kRandom, kTime, kLastN };
  Kind kind = Kind::kRandom;
  double ratio = 0.2;  // kRandom
  int64_t cutoff = 0;  // kTime, when last_days == 0: epoch seconds
  int last_days = 0;   // kTime: when > 0, the cut-off is relative to data.now
  int n = 1;           // kLastN
};

// Parses a spec string; InvalidArgument naming the form expected otherwise.
StatusOr<SplitSpec> ParseSplitSpec(std::string_view spec);

// Applies `spec` to `data` (`seed` is used by random splits only).
StatusOr<Split> MakeSplit(const models::Dataset& data, const SplitSpec& spec, uint64_t seed);

}  // namespace recmart::eval
