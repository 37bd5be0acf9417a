#include "recmart/models/bpr/bpr.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "recmart/models/factors.h"

namespace recmart::models {

namespace {
constexpr int kMaxCandidates = 8;
}  // namespace

void BprOptions::Visit(ParamReader& r) {
  r.Get("factors", factors, 1, 1024, "latent factors per user and item");
  r.Get("learning_rate", learning_rate, 1e-6, 10.0, "SGD step size");
  r.Get("regularization", regularization, 0.0f, 100.0f,
        "L2 penalty on the factors and biases a step touches");
  r.Get("epochs", epochs, 1, 100000, "passes over the positive pairs, one step each");
  r.Get("item_bias", item_bias, "learn a per-item bias alongside the factors");
  r.Get("verify_negatives", verify_negatives,
        "drop negative candidates that are positives of the user");
  r.Get("negative_candidates", negative_candidates, 1, kMaxCandidates,
        "negatives drawn per step; the highest-scoring is used (1 = classic BPR)");
  r.Get("blocks", blocks, 0, 256,
        "user and item blocks of the stratified (parallel) schedule; 0 = from the data size");
  r.Get("init_scale", init_scale, 0.0f, 100.0f,
        "initial factors are uniform in [-init_scale, init_scale) / factors");
  r.Get("score_precision", score_precision, {"auto", "float32"},
        "auto: bfloat16 products summed in float32 where the CPU has them (AVX512-BF16), "
        "about 2x faster scoring; float32: exact products");
  r.Get("fold_in_epochs", fold_in_epochs, 0, 10000,
        "SGD passes over the history when folding in a user");
}

namespace {

using simd::kLanes;
using simd::Load;
using simd::Store;
using simd::Sum;
using simd::Vec;

constexpr int kMaxNegativeDraws = 8;

uint64_t SplitMix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed for the stream named by (seed, a, b, c).
uint64_t StreamSeed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return SplitMix(SplitMix(SplitMix(SplitMix(seed) ^ a) ^ b) ^ c);
}

// wyrand: small, fast, and its output is fixed by this code (unlike the
// standard distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ += 0xa0761d6478bd642fULL;
    const unsigned __int128 m = static_cast<unsigned __int128>(s_) * (s_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<uint64_t>(m >> 64) ^ static_cast<uint64_t>(m);
  }
  // Uniform in [0, n), n < 2^32 (multiply-shift; bias below 2^-32 * n).
  uint32_t Below(size_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }
  // Uniform in [-1, 1).
  float Symmetric() { return static_cast<float>(Next() >> 40) * 0x1.0p-23f - 1.0f; }

 private:
  uint64_t s_;
};

// Item rows and biases are written in training, only read in fold-in.
template <bool kUpdateItems>
using ItemPtr = std::conditional_t<kUpdateItems, float*, const float*>;

// A user vector of kVecs Vecs (0: `width` floats, read at run time), either
// in memory or held in registers across a user's steps. Registers matter:
// reloading a row just written with 512-bit stores stalls on store
// forwarding (the stores are split in two on current AMD cores).
struct UserInMemory {
  float* x;
  Vec Get(uint32_t k) const { return Load(x + k * kLanes); }
  void Set(uint32_t k, Vec v) { Store(x + k * kLanes, v); }
};
template <uint32_t kVecs>
struct UserInRegisters {
  Vec v[kVecs];
  void Read(const float* x) {
#pragma GCC unroll 32
    for (uint32_t k = 0; k < kVecs; ++k) v[k] = Load(x + k * kLanes);
  }
  void Write(float* x) const {
#pragma GCC unroll 32
    for (uint32_t k = 0; k < kVecs; ++k) Store(x + k * kLanes, v[k]);
  }
  Vec Get(uint32_t k) const { return v[k]; }
  void Set(uint32_t k, Vec a) { v[k] = a; }
};

template <uint32_t kBlocks>
constexpr uint32_t VecsFor(uint32_t width) {
  return kBlocks ? kBlocks * (kRowAlign / kLanes) : width / kLanes;
}

// x . y in a fixed order.
template <uint32_t kBlocks, typename User>
float UserDot(const User& x, const float* y, uint32_t width) {
  const uint32_t n = VecsFor<kBlocks>(width);
  Vec acc0 = x.Get(0) * Load(y), acc1 = {};
#pragma GCC unroll 32
  for (uint32_t k = 1; k < n; ++k) {
    if (k & 1) {
      acc1 += x.Get(k) * Load(y + k * kLanes);
    } else {
      acc0 += x.Get(k) * Load(y + k * kLanes);
    }
  }
  return Sum(acc0 + acc1);
}

// One SGD step on ln sigmoid(x . (yi - yj) + bi - bj) (bi, bj null: no
// biases). Skipped when that difference is not finite (a diverged model).
template <uint32_t kBlocks, bool kUpdateItems, typename User>
void Step(User& x, ItemPtr<kUpdateItems> yi, ItemPtr<kUpdateItems> yj, ItemPtr<kUpdateItems> bi,
          ItemPtr<kUpdateItems> bj, float lr, float reg, uint32_t width) {
  const uint32_t n = VecsFor<kBlocks>(width);
  Vec acc = {};
#pragma GCC unroll 32
  for (uint32_t k = 0; k < n; ++k) {
    acc += x.Get(k) * (Load(yi + k * kLanes) - Load(yj + k * kLanes));
  }
  const float d = Sum(acc) + (bi ? *bi - *bj : 0.0f);
  if (!std::isfinite(d)) return;
  const float z = 1.0f / (1.0f + std::exp(d));  // d/dd ln sigmoid(d) = sigmoid(-d)
  const float keep = 1.0f - lr * reg, step = lr * z;
#pragma GCC unroll 32
  for (uint32_t k = 0; k < n; ++k) {
    const Vec xv = x.Get(k), iv = Load(yi + k * kLanes), jv = Load(yj + k * kLanes);
    x.Set(k, keep * xv + step * (iv - jv));
    if constexpr (kUpdateItems) {
      Store(yi + k * kLanes, keep * iv + step * xv);
      Store(yj + k * kLanes, keep * jv - step * xv);
    }
  }
  if constexpr (kUpdateItems) {
    if (bi) {
      *bi = keep * *bi + step;
      *bj = keep * *bj - step;
    }
  }
}

// A positive pair of a stratum, with the user's positives in that stratum:
// pairs [first, first + count) of the stratum, ascending by item.
struct StratumPair {
  uint32_t user, item, first, count;
};

// What a training step needs.
struct Sgd {
  float* X;  // users x width
  float* Y;  // items x width
  // Item biases, or null without item bias. Stored by block (item i at
  // bias[bias_slot[i]], each block on its own cache lines) so that threads
  // working on different blocks never share a cache line.
  float* bias;
  const uint32_t* bias_slot;
  uint32_t width;
  float lr, reg;
  bool verify;
  int candidates;  // negative candidates per step, in [1, kMaxCandidates]
};

// Prefetches a factor row for writing.
inline void PrefetchRow(const float* row, uint32_t width) {
  for (uint32_t k = 0; k < width; k += kRowAlign) __builtin_prefetch(row + k, 1);
}

// True when j is among the user's positives of the stratum: a branch-free
// scan for the usual short slices, a binary search for long ones.
inline bool IsPositive(std::span<const StratumPair> pairs, const StratumPair& p, uint32_t j) {
  const StratumPair* first = pairs.data() + p.first;
  const StratumPair* last = first + p.count;
  if (p.count <= 16) {
    bool found = false;
    for (const StratumPair* it = first; it != last; ++it) found |= it->item == j;
    return found;
  }
  const StratumPair* it = std::lower_bound(
      first, last, j, [](const StratumPair& x, uint32_t item) { return x.item < item; });
  return it != last && it->item == j;
}

// One stratum's share of an epoch: one step per positive pair, the users in
// a random order and each user's pairs in a row (the user's factors then stay
// in registers: faster than drawing pairs with replacement, and no worse on
// MovieLens). The steps are memory-bound, so rows are prefetched ahead of
// their use: a user's row and pairs kFar steps before the user's first step,
// the item rows kNear steps before (when that step's negatives are drawn).
// Draws happen in the same order whatever the timing.
template <uint32_t kBlocks>
void RunStratum(std::span<const StratumPair> pairs, std::span<const uint32_t> negatives, Rng rng,
                const Sgd& s) {
  // Prefetch distances in steps: the next users' rows and pairs (cache
  // misses to memory) far ahead; items (mostly in L2) and the draws near.
  constexpr size_t kFar = 16, kNear = 4, kRing = kNear + 1;
  const size_t n = pairs.size(), m = negatives.size();
  if (n == 0 || m < 2) return;
  const size_t w = s.width;
  const int candidates = s.candidates;

  // The visiting order: the stratum's users shuffled, each user's pairs in
  // a row (pairs are grouped by user, a group starting at its `first`).
  struct Visit {
    uint32_t first, count, user;
  };
  thread_local std::vector<Visit> visits;
  thread_local std::vector<uint32_t> order;
  visits.clear();
  for (size_t k = 0; k < n; k += pairs[k].count) {
    visits.push_back({static_cast<uint32_t>(k), pairs[k].count, pairs[k].user});
  }
  for (size_t k = visits.size(); k > 1; --k) std::swap(visits[k - 1], visits[rng.Below(k)]);
  order.clear();
  for (const Visit& v : visits) {
    for (uint32_t k = v.first; k < v.first + v.count; ++k) order.push_back(k);
  }
  size_t far_visit = 0, far_step = 0;  // the next user to prefetch, and its first step
  auto prefetch_far = [&](size_t t) {
    for (; far_visit < visits.size() && far_step <= t; ++far_visit) {
      const Visit& v = visits[far_visit];
      PrefetchRow(s.X + v.user * w, s.width);
      __builtin_prefetch(&pairs[v.first]);
      far_step += v.count;
    }
  };
  struct Draw {
    uint32_t negative[kMaxCandidates];
  } ring[kRing];
  auto draw_near = [&](size_t t) {
    Draw& d = ring[t % kRing];
    for (int c = 0; c < candidates; ++c) {
      d.negative[c] = negatives[rng.Below(m)];
      PrefetchRow(s.Y + d.negative[c] * w, s.width);
    }
    PrefetchRow(s.Y + pairs[order[t]].item * w, s.width);
  };
  auto usable = [&](const StratumPair& p, uint32_t j) {
    return j != p.item && !(s.verify && IsPositive(pairs, p, j));
  };
  prefetch_far(kFar);
  for (size_t t = 0; t < std::min(n, kNear); ++t) draw_near(t);
  // The current user's factors: in registers for the unrolled widths
  // (written back when the user changes), else used in place.
  using User = std::conditional_t<kBlocks != 0, UserInRegisters<VecsFor<kBlocks>(0)>, UserInMemory>;
  User x{};
  uint32_t user = UINT32_MAX;
  for (size_t t = 0; t < n; ++t) {
    const Draw& d = ring[t % kRing];
    const StratumPair p = pairs[order[t]];
    if (p.user != user) {
      if constexpr (kBlocks != 0) {
        if (user != UINT32_MAX) x.Write(s.X + user * w);
        x.Read(s.X + p.user * w);
      } else {
        x.x = s.X + p.user * w;
      }
      user = p.user;
    }
    // The usable candidate the model ranks highest (the first one when
    // there is only one); when none is usable, up to kMaxNegativeDraws
    // fresh single draws.
    uint32_t j = UINT32_MAX;
    float best = 0.0f;
    for (int c = 0; c < candidates; ++c) {
      const uint32_t k = d.negative[c];
      if (!usable(p, k)) continue;
      if (candidates == 1) {
        j = k;
        break;
      }
      const float score =
          UserDot<kBlocks>(x, s.Y + k * w, s.width) + (s.bias ? s.bias[s.bias_slot[k]] : 0.0f);
      if (j == UINT32_MAX || score > best) {
        j = k;
        best = score;
      }
    }
    for (int r = 0; j == UINT32_MAX && r < kMaxNegativeDraws; ++r) {
      const uint32_t k = negatives[rng.Below(m)];
      if (usable(p, k)) j = k;
    }
    prefetch_far(t + kFar);
    if (t + kNear < n) draw_near(t + kNear);
    if (j == UINT32_MAX) continue;
    Step<kBlocks, true>(x, s.Y + p.item * w, s.Y + j * w,
                        s.bias ? s.bias + s.bias_slot[p.item] : nullptr,
                        s.bias ? s.bias + s.bias_slot[j] : nullptr, s.lr, s.reg, s.width);
  }
  if constexpr (kBlocks != 0) {
    if (user != UINT32_MAX) x.Write(s.X + user * w);
  }
}

// blocks = 0: enough blocks for parallel work, few enough that each item
// block keeps a few hundred items to draw negatives from (with 8 blocks of
// ~200 items MovieLens 100K loses nothing; blocks of a dozen items lose a
// lot). Depends on the data only, never on the threads.
uint32_t AutoBlocks(uint32_t users, uint32_t items) {
  return std::clamp<uint32_t>(std::min(users, items) / 200, 1, 8);
}

// Deals indices 0..n-1 into `blocks` blocks by descending count (ties by
// index) in snake order: 0, 1, .., B-1, B-1, .., 1, 0, 0, 1, ...
std::vector<uint32_t> SnakeBlocks(const std::vector<uint32_t>& count, uint32_t blocks) {
  std::vector<uint32_t> order(count.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return count[a] > count[b]; });
  std::vector<uint32_t> block(count.size());
  for (size_t p = 0; p < order.size(); ++p) {
    const auto round = static_cast<uint32_t>(p / blocks), at = static_cast<uint32_t>(p % blocks);
    block[order[p]] = round % 2 == 0 ? at : blocks - 1 - at;
  }
  return block;
}

bool Contains(std::span<const uint32_t> sorted, uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

class BprModel final : public Model {
 public:
  BprModel(BprOptions o, nlohmann::json params)
      : o_(o), params_(std::move(params)), width_(PaddedWidth(o_.factors)) {}

  std::string_view recipe() const override { return "bpr"; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return items_.size(); }

  Status Fit(const Dataset& data, const TrainContext& ctx) override;

  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    float* x = nullptr;
    Array<float> keep = AlignedFloats(width_, &x);
    UserVector(q, x);
    items_.Score(x, 1, bias(), out);
  }

  void ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const override {
    float* X = nullptr;
    Array<float> keep = AlignedFloats(queries.size() * width_, &X);
    for (size_t q = 0; q < queries.size(); ++q) UserVector(queries[q], X + q * width_);
    items_.Score(X, queries.size(), bias(), out);
  }

  bool ScoreRelated(ItemIndex item, std::span<float> out) const override {
    items_.Cosine(item, out);
    return true;
  }

  bool Factors(FactorView* out) const override {
    *out = {&items_, bias(), o_.factors};
    return true;
  }
  bool QueryVector(const UserQuery& q, float* x) const override {
    UserVector(q, x);
    return true;
  }

  Status Save(ArrayWriter& out) const override {
    out.Add("user_factors", users_);
    out.Add("item_bias", item_bias_.span());
    items_.Save(out);
    return Status::OK();
  }

  Status Load(const ArrayReader& in) override {
    ASSIGN_OR_RETURN(users_, in.Dense("user_factors"));
    ASSIGN_OR_RETURN(item_bias_, in.Floats("item_bias"));
    Status s = items_.Load(in, width_, o_.score_precision == "auto");
    if (!s.ok() || users_.cols != width_ || item_bias_.size() != items_.size()) {
      return Status::DataLoss("bpr: factor arrays do not match factors=" +
                              std::to_string(o_.factors));
    }
    users_.values = EnsureAligned(users_.values);
    return Status::OK();
  }

 private:
  std::span<const float> bias() const {
    return o_.item_bias ? item_bias_.span() : std::span<const float>();
  }
  // The query's user vector into x (width_ floats, zeroed, 64-byte aligned).
  void UserVector(const UserQuery& q, float* x) const;

  BprOptions o_;
  nlohmann::json params_;
  uint32_t width_;
  DenseMatrix users_;       // users x width_
  ItemFactors items_;       // items x width_
  Array<float> item_bias_;  // items
};

Status BprModel::Fit(const Dataset& data, const TrainContext& ctx) {
  const CsrMatrix& m = data.matrix;
  if (m.rows != data.users.size() || m.cols != data.items.size()) {
    return Status::InvalidArgument("bpr: the interaction matrix is " + std::to_string(m.rows) +
                                   " x " + std::to_string(m.cols) + " but the data has " +
                                   std::to_string(data.users.size()) + " users and " +
                                   std::to_string(data.items.size()) + " items");
  }
  const uint32_t B = o_.blocks > 0 ? static_cast<uint32_t>(o_.blocks) : AutoBlocks(m.rows, m.cols);

  // Positive pairs, dealt into strata.
  std::vector<uint32_t> user_count(m.rows, 0), item_count(m.cols, 0);
  size_t positives = 0;
  for (uint32_t u = 0; u < m.rows; ++u) {
    for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
      if (m.values[k] > 0.0f) {
        ++user_count[u];
        ++item_count[m.indices[k]];
        ++positives;
      }
    }
  }
  if (positives == 0) return Status::InvalidArgument("bpr: the data has no positive interactions");
  if (m.cols < 2) return Status::InvalidArgument("bpr: the data needs at least two items");
  const std::vector<uint32_t> user_block = SnakeBlocks(user_count, B);
  const std::vector<uint32_t> item_block = SnakeBlocks(item_count, B);
  // Each stratum's pairs, grouped by user and ascending by item within a
  // user, so that a user's positives in the stratum are a slice of it.
  std::vector<size_t> stratum_start(size_t{B} * B + 1, 0);
  auto stratum = [&](uint32_t u, uint32_t i) { return size_t{user_block[u]} * B + item_block[i]; };
  for (uint32_t u = 0; u < m.rows; ++u) {
    for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
      if (m.values[k] > 0.0f) ++stratum_start[stratum(u, m.indices[k]) + 1];
    }
  }
  std::partial_sum(stratum_start.begin(), stratum_start.end(), stratum_start.begin());
  std::vector<StratumPair> pairs(positives);
  {
    std::vector<size_t> next(stratum_start.begin(), stratum_start.end() - 1);
    for (uint32_t u = 0; u < m.rows; ++u) {
      for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k) {
        if (!(m.values[k] > 0.0f)) continue;
        const size_t st = stratum(u, m.indices[k]);
        pairs[next[st]++] = {u, m.indices[k], 0, 0};
      }
    }
    // Slices: consecutive pairs of one user within a stratum.
    for (size_t st = 0; st + 1 < stratum_start.size(); ++st) {
      const size_t begin = stratum_start[st], end = stratum_start[st + 1];
      for (size_t k = begin; k < end;) {
        size_t e = k;
        while (e < end && pairs[e].user == pairs[k].user) ++e;
        for (size_t t = k; t < e; ++t) {
          pairs[t].first = static_cast<uint32_t>(k - begin);
          pairs[t].count = static_cast<uint32_t>(e - k);
        }
        k = e;
      }
    }
  }
  std::vector<std::vector<uint32_t>> block_items(B);
  for (uint32_t i = 0; i < m.cols; ++i) block_items[item_block[i]].push_back(i);

  // Parameters.
  float *X = nullptr, *Y = nullptr, *block_bias = nullptr;
  users_ = AlignedMatrix(m.rows, width_, &X);
  DenseMatrix item_rows = AlignedMatrix(m.cols, width_, &Y);
  std::vector<uint32_t> bias_slot(m.cols);
  size_t slots = 0;
  for (const std::vector<uint32_t>& items : block_items) {
    for (uint32_t i : items) bias_slot[i] = static_cast<uint32_t>(slots++);
    slots = (slots + kRowAlign - 1) / kRowAlign * kRowAlign;
  }
  Array<float> keep_bias = AlignedFloats(slots, &block_bias);
  {
    Rng rng(StreamSeed(ctx.seed, 0x1417));
    const float scale = o_.init_scale / static_cast<float>(o_.factors);
    for (float* f : {X, Y}) {
      const uint32_t rows = f == X ? m.rows : m.cols;
      for (uint32_t r = 0; r < rows; ++r) {
        for (int k = 0; k < o_.factors; ++k) f[size_t{r} * width_ + k] = scale * rng.Symmetric();
      }
    }
  }

  const Sgd sgd{X,
                Y,
                o_.item_bias ? block_bias : nullptr,
                bias_slot.data(),
                width_,
                static_cast<float>(o_.learning_rate),
                o_.regularization,
                o_.verify_negatives,
                o_.negative_candidates};
  const auto run_stratum = WithWidthBlocks(width_, [](auto b) { return &RunStratum<b.value>; });

  std::vector<uint32_t> order(B);
  for (int epoch = 0; epoch < o_.epochs; ++epoch) {
    // The sub-epochs in a seeded order (Fisher-Yates).
    std::iota(order.begin(), order.end(), 0u);
    Rng shuffle(StreamSeed(ctx.seed, 0x5eed, static_cast<uint64_t>(epoch)));
    for (uint32_t k = B; k > 1; --k) std::swap(order[k - 1], order[shuffle.Below(k)]);
    for (uint32_t s : order) {
      ParallelFor(ctx.threads, B, 1, [&](size_t begin, size_t end) {
        for (size_t a = begin; a < end; ++a) {
          const uint64_t stream = (static_cast<uint64_t>(epoch) << 20) | (uint64_t{s} << 10) | a;
          const size_t st = a * B + (a + s) % B;
          run_stratum(std::span<const StratumPair>(pairs).subspan(
                          stratum_start[st], stratum_start[st + 1] - stratum_start[st]),
                      block_items[(a + s) % B], Rng(StreamSeed(ctx.seed, 0xb9, stream)), sgd);
        }
      });
      if (ctx.cancelled()) return Status::Cancelled("bpr: training cancelled");
    }
    ctx.Report("bpr", static_cast<double>(epoch + 1) / o_.epochs);
  }
  items_ = ItemFactors::FromRows(std::move(item_rows), o_.score_precision == "auto");
  float* bias = nullptr;
  item_bias_ = AlignedFloats(m.cols, &bias);
  for (uint32_t i = 0; i < m.cols; ++i) bias[i] = block_bias[bias_slot[i]];
  return Status::OK();
}

void BprModel::UserVector(const UserQuery& q, float* x) const {
  if (q.history_is_training && q.user < users_.rows) {
    std::memcpy(x, users_.row(q.user), width_ * sizeof(float));
    return;
  }
  std::vector<uint32_t> positives;
  for (size_t t = 0; t < q.items.size(); ++t) {
    const bool positive = q.weights.empty() || q.weights[t] > 0.0f;
    if (positive && q.items[t] < items_.size()) positives.push_back(q.items[t]);
  }
  if (positives.empty() || o_.fold_in_epochs == 0) return;
  std::sort(positives.begin(), positives.end());
  positives.erase(std::unique(positives.begin(), positives.end()), positives.end());
  if (positives.size() >= items_.size()) return;  // nothing to rank against

  // Seeded by the history, so the same history always folds in the same way.
  uint64_t seed = 0xf01d;
  for (uint32_t i : positives) seed = SplitMix(seed ^ i);
  Rng rng(seed);
  const auto step =
      WithWidthBlocks(width_, [](auto b) { return &Step<b.value, false, UserInMemory>; });
  UserInMemory user{x};
  const float* bias = o_.item_bias ? item_bias_.data() : nullptr;
  const uint32_t items = items_.size();
  for (int epoch = 0; epoch < o_.fold_in_epochs; ++epoch) {
    for (uint32_t i : positives) {
      // As in training: the highest-scoring of negative_candidates draws
      // outside the history (then up to kMaxNegativeDraws single draws).
      uint32_t j = UINT32_MAX;
      float best = 0.0f;
      for (int c = 0; c < o_.negative_candidates; ++c) {
        const uint32_t k = rng.Below(items);
        if (Contains(positives, k)) continue;
        const float score = simd::Dot(x, items_.rows.row(k), width_) + (bias ? bias[k] : 0.0f);
        if (j == UINT32_MAX || score > best) {
          j = k;
          best = score;
        }
      }
      for (int r = 0; j == UINT32_MAX && r < kMaxNegativeDraws; ++r) {
        const uint32_t k = rng.Below(items);
        if (!Contains(positives, k)) j = k;
      }
      if (j == UINT32_MAX) continue;
      step(user, items_.rows.row(i), items_.rows.row(j), bias ? bias + i : nullptr,
           bias ? bias + j : nullptr, static_cast<float>(o_.learning_rate), o_.regularization,
           width_);
    }
  }
}

}  // namespace

StatusOr<std::unique_ptr<Model>> NewBprModel(const nlohmann::json& params) {
  BprOptions o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, "bpr", o, &effective));
  return std::unique_ptr<Model>(std::make_unique<BprModel>(o, std::move(effective)));
}

}  // namespace recmart::models
