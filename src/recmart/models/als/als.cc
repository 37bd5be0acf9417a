#include "recmart/models/als/als.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "recmart/models/als/eigen.h"
#include "recmart/models/factors.h"

namespace recmart::models {

void AlsOptions::Visit(ParamReader& r) {
  r.Get("factors", factors, 1, 1024, "latent factors per user and item");
  r.Get("regularization", regularization, 0.0f, 1e6f, "L2 penalty on every factor vector");
  r.Get("regularization_scale", regularization_scale, {"constant", "count", "frequency"},
        "penalty per row: regularization, times the row's interactions (count), or times "
        "(other side's rows + the row's confidence excess)^regularization_exponent (frequency)");
  r.Get("regularization_exponent", regularization_exponent, 0.0, 2.0,
        "frequency only: the exponent nu of the row's weight mass");
  r.Get("alpha", alpha, 0.0f, 1e6f, "confidence scaling: c = 1 + alpha * f(value)");
  r.Get("confidence", confidence, {"linear", "log"},
        "f(value): the value itself, or log(1 + value) to damp heavy repeats");
  r.Get("iterations", iterations, 1, 1000, "alternating passes over users and items");
  r.Get("cg_steps", cg_steps, 1, 64, "conjugate-gradient steps per row and pass");
  r.Get("score_precision", score_precision, {"auto", "float32"},
        "auto: bfloat16 products summed in float32 where the CPU has them (AVX512-BF16), "
        "about 2x faster scoring; float32: exact products");
  r.Get("init_scale", init_scale, 1e-9, 10.0, "initial factors are uniform in [0, init_scale)");
  r.Get("user_confidence_exponent", user_confidence_exponent, -2.0, 2.0,
        "a user's confidence excesses are scaled by (their interactions)^exponent, normalised "
        "to mean 1 over all interactions (0: unscaled; below 0 a long history's interactions "
        "count less each)");
}

namespace {

using simd::kLanes;
using simd::Load;
using simd::Store;
using simd::Sum;
using simd::Vec;

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMajorMatrix, Eigen::Aligned64>;

// Vecs per padded block of kRowAlign floats.
constexpr uint32_t kVecsPerBlock = kRowAlign / kLanes;

// Kernels templated on the width in blocks (kBlocks, 0 = read it from
// `width` at run time) so that the common widths are fully unrolled and
// their accumulators live in registers.
template <uint32_t kBlocks>
struct Kernels {
  static constexpr uint32_t kFixedVecs = kBlocks * kVecsPerBlock;

  static uint32_t Vecs(uint32_t width) { return kBlocks ? kFixedVecs : width / kLanes; }

  static uint32_t Width(uint32_t width) { return kBlocks ? kBlocks * kRowAlign : width; }

  static float Dot(const float* a, const float* b, uint32_t width) {
    return simd::Dot(a, b, Width(width));
  }

  // y = a * x + y
  static void Axpy(float a, const float* x, float* y, uint32_t width) {
    const uint32_t n = Vecs(width);
#pragma GCC unroll 16
    for (uint32_t v = 0; v < n; ++v)
      Store(y + v * kLanes, Load(y + v * kLanes) + a * Load(x + v * kLanes));
  }

  // y = x + b * y
  static void Xpby(const float* x, float b, float* y, uint32_t width) {
    const uint32_t n = Vecs(width);
#pragma GCC unroll 16
    for (uint32_t v = 0; v < n; ++v)
      Store(y + v * kLanes, Load(x + v * kLanes) + b * Load(y + v * kLanes));
  }

  // y = A x for a symmetric width x width row-major A: y = sum_j x_j A[j, :],
  // four output vectors at a time so that the sums run in parallel.
  static void SymMatVec(const float* A, const float* x, float* y, uint32_t width) {
    const uint32_t n = Vecs(width);
    uint32_t v = 0;
    for (; v + 4 <= n; v += 4) {
      Vec a0 = {}, a1 = {}, a2 = {}, a3 = {};
      const float* col = A + v * kLanes;
      for (uint32_t j = 0; j < width; ++j, col += width) {
        const float s = x[j];
        a0 += s * Load(col);
        a1 += s * Load(col + kLanes);
        a2 += s * Load(col + 2 * kLanes);
        a3 += s * Load(col + 3 * kLanes);
      }
      Store(y + v * kLanes, a0);
      Store(y + (v + 1) * kLanes, a1);
      Store(y + (v + 2) * kLanes, a2);
      Store(y + (v + 3) * kLanes, a3);
    }
    for (; v < n; ++v) {
      Vec a0 = {}, a1 = {};
      const float* col = A + v * kLanes;
      uint32_t j = 0;
      for (; j + 2 <= width; j += 2, col += 2 * width) {
        a0 += x[j] * Load(col);
        a1 += x[j + 1] * Load(col + width);
      }
      Store(y + v * kLanes, a0 + a1);
    }
  }

  // acc += sum over the row's entries t of coef_t * y_t, where y_t is row
  // idx[t] of Y and d_t = y_t . v:
  //   with kTarget:    coef_t = cp_t - cm1_t * d_t   (the residual's b - A x)
  //   without:         coef_t = cm1_t * d_t          (the sparse part of A p)
  // where conf[t] is the signed confidence excess (see Confidence()):
  // cm1 = |conf| = c - 1, cp = c if the entry is positive else 0.
  template <bool kTarget>
  static void SparsePass(const float* Y, const uint32_t* idx, const float* conf, size_t count,
                         const float* v, float* acc, uint32_t width) {
    if constexpr (kBlocks == 0) {
      for (size_t t = 0; t < count; ++t) {
        const float* y = Y + size_t{idx[t]} * width;
        const float d = Dot(y, v, width);
        const float cm1 = std::fabs(conf[t]);
        float coef = cm1 * d;
        if constexpr (kTarget) coef = (conf[t] > 0.0f ? cm1 + 1.0f : 0.0f) - coef;
        Axpy(coef, y, acc, width);
      }
    } else {
      Vec a[kFixedVecs], x[kFixedVecs];
#pragma GCC unroll 32
      for (uint32_t k = 0; k < kFixedVecs; ++k) {
        a[k] = Load(acc + k * kLanes);
        x[k] = Load(v + k * kLanes);
      }
      for (size_t t = 0; t < count; ++t) {
        const float* y = Y + size_t{idx[t]} * (kFixedVecs * kLanes);
        if (t + 4 < count) __builtin_prefetch(Y + size_t{idx[t + 4]} * (kFixedVecs * kLanes));
        Vec yv[kFixedVecs];
        Vec d0 = {}, d1 = {};
#pragma GCC unroll 32
        for (uint32_t k = 0; k < kFixedVecs; ++k) {
          yv[k] = Load(y + k * kLanes);
          if (k & 1) {
            d1 += yv[k] * x[k];
          } else {
            d0 += yv[k] * x[k];
          }
        }
        const float d = Sum(d0 + d1);
        const float cm1 = std::fabs(conf[t]);
        float coef = cm1 * d;
        if constexpr (kTarget) coef = (conf[t] > 0.0f ? cm1 + 1.0f : 0.0f) - coef;
#pragma GCC unroll 32
        for (uint32_t k = 0; k < kFixedVecs; ++k) a[k] += coef * yv[k];
      }
#pragma GCC unroll 32
      for (uint32_t k = 0; k < kFixedVecs; ++k) Store(acc + k * kLanes, a[k]);
    }
  }

  // A few conjugate-gradient steps on
  //   (G + lambda I + sum_t cm1_t y_t y_t^T) x = sum_t cp_t y_t
  // from the current x, where G = Y^T Y. `scratch` holds 3 * width floats
  // (64-byte aligned).
  static void SolveRow(const float* G, float lambda, const float* Y, const uint32_t* idx,
                       const float* conf, size_t count, float* x, int cg_steps, float* scratch,
                       uint32_t width) {
    float* r = scratch;
    float* p = scratch + width;
    float* ap = scratch + 2 * width;
    const uint32_t n = Vecs(width);
    SymMatVec(G, x, r, width);
    for (uint32_t k = 0; k < n; ++k) {
      Store(r + k * kLanes, -(Load(r + k * kLanes) + lambda * Load(x + k * kLanes)));
    }
    SparsePass<true>(Y, idx, conf, count, x, r, width);
    std::memcpy(p, r, width * sizeof(float));
    float rs_old = Dot(r, r, width);
    for (int step = 0; step < cg_steps; ++step) {
      if (!(rs_old > 1e-20f)) break;
      SymMatVec(G, p, ap, width);
      Axpy(lambda, p, ap, width);
      SparsePass<false>(Y, idx, conf, count, p, ap, width);
      const float pap = Dot(p, ap, width);
      if (!(pap > 0.0f)) break;
      const float a = rs_old / pap;
      Axpy(a, p, x, width);
      Axpy(-a, ap, r, width);
      const float rs_new = Dot(r, r, width);
      Xpby(r, rs_new / rs_old, p, width);
      rs_old = rs_new;
    }
  }
};

// Y^T Y of a rows x width row-major matrix, as a width x width row-major
// matrix. Partial sums over fixed row ranges are added in range order, so the
// result does not depend on the number of threads.
std::vector<float> Gram(const float* Y, uint32_t rows, uint32_t width, int threads) {
  constexpr size_t kChunkRows = 8192;
  const size_t chunks = (rows + kChunkRows - 1) / kChunkRows;
  std::vector<Eigen::MatrixXf> partial(chunks);
  ParallelFor(threads, chunks, 1, [&](size_t begin, size_t end) {
    for (size_t c = begin; c < end; ++c) {
      const size_t r0 = c * kChunkRows, n = std::min<size_t>(rows, r0 + kChunkRows) - r0;
      ConstMatrixMap block(Y + r0 * width, static_cast<Eigen::Index>(n), width);
      partial[c].noalias() = block.transpose() * block;
    }
  });
  Eigen::MatrixXf sum = Eigen::MatrixXf::Zero(width, width);
  for (const Eigen::MatrixXf& p : partial) sum += p;
  // Symmetric: column-major and row-major layouts coincide up to rounding of
  // the product; take the upper triangle so that the result is exactly so.
  std::vector<float> out(size_t{width} * width);
  for (uint32_t i = 0; i < width; ++i) {
    for (uint32_t j = i; j < width; ++j) {
      out[size_t{i} * width + j] = out[size_t{j} * width + i] = sum(i, j);
    }
  }
  return out;
}

// Fills the first `factors` columns of each row with U[0, scale).
void InitFactors(float* m, uint32_t rows, uint32_t width, int factors, float scale,
                 std::mt19937_64& rng) {
  for (uint32_t r = 0; r < rows; ++r) {
    float* row = m + size_t{r} * width;
    for (int k = 0; k < factors; ++k) {
      row[k] = static_cast<float>(rng() >> 40) * 0x1.0p-24f * scale;
    }
  }
}

class AlsModel final : public Model {
 public:
  AlsModel(AlsOptions o, nlohmann::json params)
      : o_(std::move(o)),
        params_(std::move(params)),
        width_(PaddedWidth(o_.factors)),
        scale_(o_.regularization_scale == "count"       ? Scale::kCount
               : o_.regularization_scale == "frequency" ? Scale::kFrequency
                                                        : Scale::kConstant) {}

  std::string_view recipe() const override { return "als"; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return items_.size(); }

  Status Fit(const Dataset& data, const TrainContext& ctx) override;
  void ScoreUser(const UserQuery& q, std::span<float> out) const override;
  void ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const override;
  bool ScoreRelated(ItemIndex item, std::span<float> out) const override;
  bool Factors(FactorView* out) const override {
    *out = {&items_, {}, o_.factors};
    return true;
  }
  bool QueryVector(const UserQuery& q, float* x) const override { return UserVector(q, x); }
  Status Save(ArrayWriter& out) const override;
  Status Load(const ArrayReader& in) override;

  double Loss(const Dataset& data) const;

 private:
  // Signed confidence excess of a matrix value: alpha * f(|value|), negative
  // for a negative value (preference 0). Zero values count as unobserved.
  // `user_scale` is UserScale() of the value's user.
  float Confidence(float value, float user_scale = 1.0f) const {
    const float a = std::fabs(value);
    const float f = o_.confidence == "log" ? std::log1p(a) : a;
    return std::copysign(o_.alpha * f * user_scale, value);
  }
  // The confidence scale of a user with `count` interactions:
  // count^user_confidence_exponent / user_norm_ (1 with exponent 0).
  float UserScale(size_t count) const {
    if (o_.user_confidence_exponent == 0.0) return 1.0f;
    return static_cast<float>(
        std::pow(static_cast<double>(std::max<size_t>(count, 1)), o_.user_confidence_exponent) /
        user_norm_);
  }
  // The L2 penalty of a row with `count` interactions whose confidence
  // excesses |c - 1| sum to `excess`, solved against `others` rows of the
  // other side.
  float Lambda(size_t count, double excess, uint32_t others) const {
    switch (scale_) {
      case Scale::kCount:
        return o_.regularization * static_cast<float>(std::max<size_t>(count, 1));
      case Scale::kFrequency:
        return static_cast<float>(o_.regularization *
                                  std::pow(others + excess, o_.regularization_exponent));
      case Scale::kConstant:
        break;
    }
    return o_.regularization;
  }
  // Lambda of row r of `conf_rows` (signed confidences, see Confidence()).
  float RowLambda(const CsrMatrix& conf_rows, uint32_t r, uint32_t others) const {
    double excess = 0.0;
    if (scale_ == Scale::kFrequency) {
      for (float c : conf_rows.RowValues(r)) excess += std::fabs(c);
    }
    return Lambda(conf_rows.RowSize(r), excess, others);
  }
  // The query's user vector into x (width_ floats, 64-byte aligned, zeroed
  // by the caller); false when there is nothing to base it on.
  bool UserVector(const UserQuery& q, float* x) const;
  void FoldIn(std::span<const ItemIndex> items, std::span<const float> weights, float* x) const;
  // Sets items_ and gram_ from the trained item factors.
  void FinishItems(DenseMatrix rows, int threads);

  // regularization_scale, parsed once.
  enum class Scale { kConstant, kCount, kFrequency };

  AlsOptions o_;
  nlohmann::json params_;
  uint32_t width_;
  Scale scale_;
  DenseMatrix users_;  // users x width_
  ItemFactors items_;  // items x width_
  DenseMatrix gram_;   // width_ x width_: Y^T Y, for fold-in
  // The mean of count^user_confidence_exponent over the training
  // interactions (rounded to float, as saved); 1 with exponent 0.
  double user_norm_ = 1.0;
};

Status AlsModel::Fit(const Dataset& data, const TrainContext& ctx) {
  const CsrMatrix& m = data.matrix;
  if (m.rows != data.users.size() || m.cols != data.items.size()) {
    return Status::InvalidArgument("als: the interaction matrix is " + std::to_string(m.rows) +
                                   " x " + std::to_string(m.cols) + " but the data has " +
                                   std::to_string(data.users.size()) + " users and " +
                                   std::to_string(data.items.size()) + " items");
  }
  if (m.nnz() == 0) return Status::InvalidArgument("als: the data has no interactions");

  // The user scale's normaliser: the scales average 1 over the interactions.
  user_norm_ = 1.0;
  if (o_.user_confidence_exponent != 0.0) {
    double sum = 0.0;
    for (uint32_t u = 0; u < m.rows; ++u) {
      const size_t n = m.RowSize(u);
      if (n > 0)
        sum +=
            static_cast<double>(n) * std::pow(static_cast<double>(n), o_.user_confidence_exponent);
    }
    user_norm_ = static_cast<float>(sum / static_cast<double>(m.nnz()));
  }
  // Per-entry signed confidences, by user and (transposed) by item.
  std::vector<float> conf(m.nnz());
  for (uint32_t u = 0; u < m.rows; ++u) {
    const float scale = UserScale(m.RowSize(u));
    for (int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k)
      conf[k] = Confidence(m.values[k], scale);
  }
  CsrMatrix by_user = m;
  by_user.values = Array<float>(std::move(conf));
  const CsrMatrix by_item = by_user.Transposed();

  float *X = nullptr, *Y = nullptr;
  users_ = AlignedMatrix(m.rows, width_, &X);
  DenseMatrix item_rows = AlignedMatrix(m.cols, width_, &Y);
  std::mt19937_64 rng(ctx.seed);
  InitFactors(X, m.rows, width_, o_.factors, static_cast<float>(o_.init_scale), rng);
  InitFactors(Y, m.cols, width_, o_.factors, static_cast<float>(o_.init_scale), rng);

  // One half-iteration: every row of `solve` against the fixed `other`.
  auto half = [&](const CsrMatrix& conf_rows, float* solve, const float* other,
                  uint32_t other_rows) {
    const std::vector<float> G = Gram(other, other_rows, width_, ctx.threads);
    const uint32_t rows = conf_rows.rows;
    const size_t grain = std::clamp<size_t>(rows / 512, 1, 256);
    const auto solve_row =
        WithWidthBlocks(width_, [](auto b) { return &Kernels<b.value>::SolveRow; });
    ParallelFor(ctx.threads, rows, grain, [&](size_t begin, size_t end) {
      if (ctx.cancelled()) return;
      float* scratch = nullptr;
      Array<float> keep = AlignedFloats(3 * size_t{width_}, &scratch);
      for (size_t r = begin; r < end; ++r) {
        const int64_t at = conf_rows.indptr[r];
        const size_t count = conf_rows.RowSize(static_cast<uint32_t>(r));
        solve_row(G.data(), RowLambda(conf_rows, static_cast<uint32_t>(r), other_rows), other,
                  conf_rows.indices.data() + at, conf_rows.values.data() + at, count,
                  solve + r * width_, o_.cg_steps, scratch, width_);
      }
    });
  };

  for (int it = 0; it < o_.iterations; ++it) {
    half(by_user, X, Y, m.cols);
    if (ctx.cancelled()) return Status::Cancelled("als: training cancelled");
    half(by_item, Y, X, m.rows);
    if (ctx.cancelled()) return Status::Cancelled("als: training cancelled");
    ctx.Report("als", static_cast<double>(it + 1) / o_.iterations);
  }
  FinishItems(std::move(item_rows), ctx.threads);
  return Status::OK();
}

void AlsModel::FinishItems(DenseMatrix rows, int threads) {
  std::vector<float> g = Gram(rows.values.data(), rows.rows, width_, threads);
  float* G = nullptr;
  gram_ = AlignedMatrix(width_, width_, &G);
  std::copy(g.begin(), g.end(), G);
  items_ = ItemFactors::FromRows(std::move(rows), o_.score_precision == "auto");
}

void AlsModel::FoldIn(std::span<const ItemIndex> items, std::span<const float> weights,
                      float* x) const {
  const int k = o_.factors;
  // A = Y^T Y + lambda I + sum (c - 1) y y^T, b = sum c p y, in double: the
  // system is small and solved once per query.
  Eigen::MatrixXd A(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) A(i, j) = gram_.row(static_cast<uint32_t>(i))[j];
  }
  Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
  double excess = 0.0;
  const float scale = UserScale(static_cast<size_t>(
      std::count_if(items.begin(), items.end(), [&](ItemIndex i) { return i < items_.size(); })));
  for (size_t t = 0; t < items.size(); ++t) {
    if (items[t] >= items_.size()) continue;
    const float c = Confidence(weights.empty() ? 1.0f : weights[t], scale);
    excess += std::fabs(c);
    const Eigen::VectorXd y =
        Eigen::Map<const Eigen::VectorXf>(items_.rows.row(items[t]), k).cast<double>();
    // Only the lower triangle is updated and read (LDLT<..., Lower>).
    A.selfadjointView<Eigen::Lower>().rankUpdate(y, std::fabs(c));
    if (c > 0.0f) b += (1.0 + c) * y;
  }
  A.diagonal().array() +=
      std::max(static_cast<double>(Lambda(items.size(), excess, items_.size())), 1e-6);
  const Eigen::VectorXd sol = A.ldlt().solve(b);
  for (int i = 0; i < k; ++i) x[i] = std::isfinite(sol[i]) ? static_cast<float>(sol[i]) : 0.0f;
}

bool AlsModel::UserVector(const UserQuery& q, float* x) const {
  if (q.history_is_training && q.user < users_.rows) {
    std::memcpy(x, users_.row(q.user), width_ * sizeof(float));
    return true;
  }
  if (q.items.empty()) return false;
  FoldIn(q.items, q.weights, x);
  return true;
}

void AlsModel::ScoreUser(const UserQuery& q, std::span<float> out) const {
  float* x = nullptr;
  Array<float> keep = AlignedFloats(width_, &x);
  if (!UserVector(q, x)) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  items_.Score(x, 1, {}, out);
}

void AlsModel::ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const {
  float* X = nullptr;
  Array<float> keep = AlignedFloats(queries.size() * width_, &X);
  for (size_t q = 0; q < queries.size(); ++q) UserVector(queries[q], X + q * width_);
  items_.Score(X, queries.size(), {}, out);
}

bool AlsModel::ScoreRelated(ItemIndex item, std::span<float> out) const {
  items_.Cosine(item, out);
  return true;
}

Status AlsModel::Save(ArrayWriter& out) const {
  out.Add("user_factors", users_);
  out.Add("gram", gram_);
  if (o_.user_confidence_exponent != 0.0) {
    const float norm = static_cast<float>(user_norm_);
    out.Add("user_confidence_norm", std::span<const float>(&norm, 1));
  }
  items_.Save(out);
  return Status::OK();
}

Status AlsModel::Load(const ArrayReader& in) {
  ASSIGN_OR_RETURN(users_, in.Dense("user_factors"));
  ASSIGN_OR_RETURN(gram_, in.Dense("gram"));
  Status s = items_.Load(in, width_, o_.score_precision == "auto");
  if (!s.ok() || users_.cols != width_ || gram_.rows != width_ || gram_.cols != width_) {
    return Status::DataLoss("als: factor arrays do not match factors=" +
                            std::to_string(o_.factors));
  }
  users_.values = EnsureAligned(users_.values);
  gram_.values = EnsureAligned(gram_.values);
  user_norm_ = 1.0;
  if (o_.user_confidence_exponent != 0.0) {
    ASSIGN_OR_RETURN(Array<float> norm, in.Floats("user_confidence_norm"));
    if (norm.size() != 1 || !(norm[0] > 0.0f)) {
      return Status::DataLoss("als: user_confidence_norm is not one positive number");
    }
    user_norm_ = norm[0];
  }
  return Status::OK();
}

double AlsModel::Loss(const Dataset& data) const {
  const CsrMatrix& m = data.matrix;
  const uint32_t k = width_;
  double loss = 0.0, penalty = 0.0;
  for (uint32_t u = 0; u < m.rows; ++u) {
    const float* x = users_.row(u);
    // Every pair as unobserved: x^T (Y^T Y) x; then correct the observed ones.
    for (uint32_t i = 0; i < k; ++i) {
      double gx = 0.0;
      for (uint32_t j = 0; j < k; ++j) gx += double{gram_.row(i)[j]} * x[j];
      loss += x[i] * gx;
    }
    auto idx = m.RowIndices(u);
    auto val = m.RowValues(u);
    const float scale = UserScale(idx.size());
    double excess = 0.0;
    for (size_t t = 0; t < idx.size(); ++t) {
      const double d = simd::Dot(x, items_.rows.row(idx[t]), k);
      const float c = Confidence(val[t], scale);
      const double p = c > 0.0f ? 1.0 : 0.0;
      loss += (1.0 + std::fabs(c)) * (p - d) * (p - d) - d * d;
      excess += std::fabs(c);
    }
    penalty += Lambda(idx.size(), excess, m.cols) * simd::Dot(x, x, k);
  }
  std::vector<size_t> item_count(items_.size(), 0);
  std::vector<double> item_excess(items_.size(), 0.0);
  for (uint32_t u = 0; u < m.rows; ++u) {
    const float scale = UserScale(m.RowSize(u));
    for (int64_t e = m.indptr[u]; e < m.indptr[u + 1]; ++e) {
      ++item_count[m.indices[e]];
      item_excess[m.indices[e]] += std::fabs(Confidence(m.values[e], scale));
    }
  }
  for (uint32_t i = 0; i < items_.size(); ++i) {
    penalty +=
        Lambda(item_count[i], item_excess[i], m.rows) * double{items_.norms[i]} * items_.norms[i];
  }
  return loss + penalty;
}

}  // namespace

StatusOr<std::unique_ptr<Model>> NewAlsModel(const nlohmann::json& params) {
  AlsOptions o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, "als", o, &effective));
  return std::unique_ptr<Model>(std::make_unique<AlsModel>(std::move(o), std::move(effective)));
}

StatusOr<double> AlsTrainingLoss(const Model& model, const Dataset& data) {
  const auto* als = dynamic_cast<const AlsModel*>(&model);
  if (als == nullptr) {
    return Status::InvalidArgument("AlsTrainingLoss: the model is a " +
                                   std::string(model.recipe()) + " model, not als");
  }
  return als->Loss(data);
}

}  // namespace recmart::models
