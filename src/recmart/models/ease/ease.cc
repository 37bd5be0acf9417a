#include "recmart/models/ease/ease.h"

// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's
// AVX-512 kernels (masked-load intrinsics); they are not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Cholesky>
#include <Eigen/Core>
#pragma GCC diagnostic pop
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace recmart::models {

void EaseOptions::Visit(ParamReader& r) {
  r.Get("lambda", lambda, 1e-3, 1e12, "L2 regularisation added to the Gram diagonal");
  r.Get("dropout", dropout, 0.0, 0.95,
        "DLAE: adds p / (1 - p) x the item's count to its regularisation");
  r.Get("sequence_window", sequence_window, 0.0, 1e6,
        "pairs of a user's interactions d distinct times apart count exp(-d / window) in the "
        "Gram matrix (0: every pair counts 1, plain EASE)");
  r.Get("binarize", binarize, "count each interaction as 1 instead of its confidence");
  r.Get("max_items", max_items, 1, 100000, "refuse more items than this (memory grows as items^2)");
  r.Get("solver", solver, {"auto", "items", "users"},
        "invert the items x items system or, via Woodbury, the users x users one (auto: cheaper)");
  r.Get("precision", precision, {"auto", "double", "float"},
        "number type of the solve (auto: double up to 8192 items)");
}

namespace {

// Columns of the identity solved per ParallelFor chunk. Fixed, so that every
// column is computed by the same blocked kernels whatever the threads.
constexpr size_t kSolveColumns = 128;
// Gram columns per chunk.
constexpr size_t kGramColumns = 32;
// Side of the square tiles in which B is written from P.
constexpr size_t kTile = 64;
// Output columns per tile when scoring many users: a tile of B's rows stays
// in cache across the batch.
constexpr size_t kScoreTile = 2048;

template <typename Scalar>
using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;  // column-major

// Column c of the Gram-like product sum_r outer[c, r] * weight[r] * inner[r, :],
// for every c (outer.rows x inner.cols, dense). With outer = X^T, inner = X and
// unit weights it is X^T X; with outer = X, inner = X^T and item weights,
// X diag(w) X^T. Each column is computed whole by one chunk.
template <typename Scalar>
Mat<Scalar> Gram(const CsrMatrix& outer, const CsrMatrix& inner, std::span<const double> weight,
                 int threads) {
  const auto rows = static_cast<Eigen::Index>(inner.cols);
  Mat<Scalar> g = Mat<Scalar>::Zero(rows, static_cast<Eigen::Index>(outer.rows));
  ParallelFor(threads, outer.rows, kGramColumns, [&](size_t begin, size_t end) {
    for (size_t c = begin; c < end; ++c) {
      Scalar* col = g.col(static_cast<Eigen::Index>(c)).data();
      for (int64_t k = outer.indptr[c]; k < outer.indptr[c + 1]; ++k) {
        const uint32_t r = outer.indices[k];
        const auto w = static_cast<Scalar>(outer.values[k] * weight[r]);
        for (int64_t kk = inner.indptr[r]; kk < inner.indptr[r + 1]; ++kk) {
          col[inner.indices[kk]] += w * static_cast<Scalar>(inner.values[kk]);
        }
      }
    }
  });
  return g;
}

// Every user's matrix entries in time order, for the sequence-weighted Gram.
struct Timeline {
  // order[indptr[u] + k]: the entry index (into the matrix) of user u's k-th
  // interaction by (first time, item); step[...]: its dense time rank, the
  // number of distinct earlier times in the user's row.
  std::vector<int64_t> order;
  std::vector<int64_t> step;
  // at[e]: where entry e is in `order`; user[e]: its row.
  std::vector<int64_t> at;
  std::vector<uint32_t> user;
  // by_item[item_start[i] ...]: the entries of item i, users ascending.
  std::vector<int64_t> item_start, by_item;
};

// `first_ts` per entry, or empty (every entry then shares one time).
Timeline MakeTimeline(const CsrMatrix& x, std::span<const int64_t> first_ts) {
  Timeline t;
  const size_t nnz = x.nnz();
  t.order.resize(nnz);
  t.step.resize(nnz);
  t.at.resize(nnz);
  t.user.resize(nnz);
  auto time = [&](int64_t e) { return first_ts.empty() ? int64_t{0} : first_ts[e]; };
  for (uint32_t u = 0; u < x.rows; ++u) {
    const int64_t b = x.indptr[u], end = x.indptr[u + 1];
    std::iota(t.order.begin() + b, t.order.begin() + end, b);
    // Entries of a row are in item order, so a stable sort by time breaks
    // ties by item.
    std::stable_sort(t.order.begin() + b, t.order.begin() + end,
                     [&](int64_t p, int64_t q) { return time(p) < time(q); });
    for (int64_t k = b; k < end; ++k) {
      t.step[k] = k == b ? 0 : t.step[k - 1] + (time(t.order[k]) != time(t.order[k - 1]));
      t.at[t.order[k]] = k;
      t.user[t.order[k]] = u;
    }
  }
  t.item_start.assign(x.cols + 1, 0);
  for (size_t e = 0; e < nnz; ++e) ++t.item_start[x.indices[e] + 1];
  for (uint32_t i = 0; i < x.cols; ++i) t.item_start[i + 1] += t.item_start[i];
  t.by_item.resize(nnz);
  std::vector<int64_t> fill(t.item_start.begin(), t.item_start.end() - 1);
  for (size_t e = 0; e < nnz; ++e) t.by_item[fill[x.indices[e]]++] = static_cast<int64_t>(e);
  return t;
}

// The sequence-weighted Gram: G_ij = sum over users u, over u's entries a of
// item i and b of item j, of x_a x_b exp(-|step_a - step_b| / window) --
// X^T X when every step is equal. Pairs further apart than the weight
// kSequenceCut are left out (a perturbation below ~window x kSequenceCut per
// entry, far below any useful lambda). Column j is computed whole by one
// chunk, in a fixed order.
constexpr double kSequenceCut = 1e-6;

template <typename Scalar>
Mat<Scalar> SequenceGram(const CsrMatrix& x, const Timeline& t, double window, int threads) {
  const auto n = static_cast<Eigen::Index>(x.cols);
  // No pair is further apart than the longest history.
  const int64_t longest = t.step.empty() ? 0 : *std::max_element(t.step.begin(), t.step.end());
  const auto reach = std::min<int64_t>(
      longest, static_cast<int64_t>(std::floor(window * -std::log(kSequenceCut))));
  std::vector<Scalar> weight(static_cast<size_t>(reach) + 1);
  for (int64_t d = 0; d <= reach; ++d) {
    weight[static_cast<size_t>(d)] =
        static_cast<Scalar>(std::exp(-static_cast<double>(d) / window));
  }
  Mat<Scalar> g = Mat<Scalar>::Zero(n, n);
  ParallelFor(threads, x.cols, kGramColumns, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      Scalar* col = g.col(static_cast<Eigen::Index>(j)).data();
      for (int64_t k = t.item_start[j]; k < t.item_start[j + 1]; ++k) {
        const int64_t e = t.by_item[k];
        const int64_t s = t.at[e];
        const auto v = static_cast<Scalar>(x.values[e]);
        // The user's row in `order` is [lo, hi): walk out from s both ways.
        const int64_t lo = x.indptr[t.user[e]], hi = x.indptr[t.user[e] + 1];
        for (int64_t q = s; q >= lo && t.step[s] - t.step[q] <= reach; --q) {
          const int64_t f = t.order[q];
          col[x.indices[f]] += weight[t.step[s] - t.step[q]] * v * static_cast<Scalar>(x.values[f]);
        }
        for (int64_t q = s + 1; q < hi && t.step[q] - t.step[s] <= reach; ++q) {
          const int64_t f = t.order[q];
          col[x.indices[f]] += weight[t.step[q] - t.step[s]] * v * static_cast<Scalar>(x.values[f]);
        }
      }
    }
  });
  return g;
}

// Replaces the lower triangle of the symmetric positive definite `g` with
// that of g^-1 (the strict upper triangle is left as garbage). With g = L L^T
// (in place, single-threaded: Eigen has no OpenMP here), g^-1 = W^T W for
// W = L^-1, computed by fixed column blocks [b, e): W's block is zero above
// row b, so it costs a solve of the trailing system, and the lower part of
// the inverse, [b:, b:e] = W[b:, b:]^T W[b:, b:e], is a triangular product.
// n^3/3 flops per step; each block is the same computation whatever the
// threads. InvalidArgument when g is not positive definite.
template <typename Scalar>
Status InvertSpdLower(Mat<Scalar>& g, const TrainContext& ctx) {
  const Eigen::Index n = g.rows();
  Eigen::LLT<Eigen::Ref<Mat<Scalar>>, Eigen::Lower> llt(g);
  if (llt.info() != Eigen::Success) {
    return Status::InvalidArgument("ease: X^T X + lambda I is not positive definite; raise lambda");
  }
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  Mat<Scalar> w(n, n);
  auto blocks = [&](auto&& fn) {
    ParallelFor(ctx.threads, static_cast<size_t>(n), kSolveColumns, [&](size_t begin, size_t end) {
      if (ctx.cancelled()) return;
      const auto b0 = static_cast<Eigen::Index>(begin);
      fn(b0, static_cast<Eigen::Index>(end) - b0, n - b0);
    });
  };
  blocks([&](Eigen::Index b0, Eigen::Index cols, Eigen::Index m) {
    w.block(0, b0, b0, cols).setZero();
    auto block = w.block(b0, b0, m, cols);
    block.setZero();
    for (Eigen::Index c = 0; c < cols; ++c) block(c, c) = Scalar(1);
    g.block(b0, b0, m, m).template triangularView<Eigen::Lower>().solveInPlace(block);
  });
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  // L is no longer needed: g's lower triangle receives the inverse's.
  blocks([&](Eigen::Index b0, Eigen::Index cols, Eigen::Index m) {
    g.block(b0, b0, m, cols).noalias() =
        w.block(b0, b0, m, m).template triangularView<Eigen::Lower>().transpose() *
        w.block(b0, b0, m, cols);
  });
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  return Status::OK();
}

// Copies the lower triangle of square `g` onto its upper triangle, by tiles.
template <typename Scalar>
void MirrorLower(Mat<Scalar>& g, int threads) {
  const auto n = static_cast<size_t>(g.rows());
  ParallelFor(threads, n, kTile, [&](size_t begin, size_t end) {
    for (size_t i0 = 0; i0 < begin; i0 += kTile) {
      for (size_t j = begin; j < end; ++j) {
        for (size_t i = i0; i < std::min(begin, i0 + kTile); ++i) {
          const auto ei = static_cast<Eigen::Index>(i), ej = static_cast<Eigen::Index>(j);
          g(ei, ej) = g(ej, ei);
        }
      }
    }
    for (size_t j = begin; j < end; ++j) {
      for (size_t i = begin; i < j; ++i) {
        const auto ei = static_cast<Eigen::Index>(i), ej = static_cast<Eigen::Index>(j);
        g(ei, ej) = g(ej, ei);
      }
    }
  });
}

// P = (G + diag(reg))^-1, lower triangle only, the direct way: an items x
// items inverse (items^3 flops). G is X^T X, or the sequence-weighted Gram
// when `timeline` is set.
template <typename Scalar>
StatusOr<Mat<Scalar>> InverseDirect(const CsrMatrix& x, const CsrMatrix& xt,
                                    std::span<const double> reg, const Timeline* timeline,
                                    double window, const TrainContext& ctx) {
  std::vector<double> ones(x.rows, 1.0);
  Mat<Scalar> g = timeline ? SequenceGram<Scalar>(x, *timeline, window, ctx.threads)
                           : Gram<Scalar>(xt, x, ones, ctx.threads);
  for (Eigen::Index i = 0; i < g.rows(); ++i) g(i, i) += static_cast<Scalar>(reg[i]);
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  ctx.Report("invert", 0.1);
  RETURN_IF_ERROR(InvertSpdLower(g, ctx));
  return g;
}

// The same P through the users (Woodbury), when there are fewer users than
// items: with D = diag(1 / reg) and A = X D (users x items),
//   P = D - A^T K A,   K = (I + X D X^T)^-1   (users x users),
// users^3 + nnz x (users + items) flops. Lower triangle only.
template <typename Scalar>
StatusOr<Mat<Scalar>> InverseViaUsers(const CsrMatrix& x, const CsrMatrix& xt,
                                      std::span<const double> reg, const TrainContext& ctx) {
  const auto n = static_cast<Eigen::Index>(xt.rows);
  const auto users = static_cast<Eigen::Index>(x.rows);
  std::vector<double> d(reg.size());
  for (size_t i = 0; i < reg.size(); ++i) d[i] = 1.0 / reg[i];
  Mat<Scalar> k = Gram<Scalar>(x, xt, d, ctx.threads);
  k.diagonal().array() += Scalar(1);
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  ctx.Report("invert", 0.1);
  RETURN_IF_ERROR(InvertSpdLower(k, ctx));
  MirrorLower(k, ctx.threads);
  ctx.Report("invert", 0.5);
  // akt = A^T K (items x users), as the transpose of K A, whose column i is
  // d_i x (sum over i's users u of x_ui K[:, u]).
  Mat<Scalar> ka(users, n);
  ParallelFor(ctx.threads, static_cast<size_t>(n), kGramColumns, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto col = ka.col(static_cast<Eigen::Index>(i));
      col.setZero();
      for (int64_t e = xt.indptr[i]; e < xt.indptr[i + 1]; ++e) {
        col.noalias() += static_cast<Scalar>(xt.values[e] * d[i]) *
                         k.col(static_cast<Eigen::Index>(xt.indices[e]));
      }
    }
  });
  k.resize(0, 0);
  const Mat<Scalar> akt = ka.transpose();
  ka.resize(0, 0);
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  ctx.Report("invert", 0.7);
  // P[j:, j] = D[j:, j] - sum over j's users u of a_uj akt[j:, u].
  Mat<Scalar> p(n, n);
  ParallelFor(ctx.threads, static_cast<size_t>(n), kGramColumns, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      const auto ej = static_cast<Eigen::Index>(j);
      auto col = p.col(ej).tail(n - ej);
      col.setZero();
      for (int64_t e = xt.indptr[j]; e < xt.indptr[j + 1]; ++e) {
        const auto a = static_cast<Scalar>(xt.values[e] * d[j]);
        col.noalias() -= a * akt.col(static_cast<Eigen::Index>(xt.indices[e])).tail(n - ej);
      }
      col(0) += static_cast<Scalar>(d[j]);
    }
  });
  if (ctx.cancelled()) return Status::Cancelled("ease: training cancelled");
  return p;
}

// Fills `b` (row-major items x items) with B from X (users x items) and its
// transpose, regularised by reg[i] on item i's diagonal. Returns Cancelled
// when ctx.cancel was set.
template <typename Scalar>
Status SolveEase(const CsrMatrix& x, const CsrMatrix& xt, std::span<const double> reg,
                 bool via_users, const Timeline* timeline, double window, const TrainContext& ctx,
                 std::vector<float>& b) {
  ctx.Report("gram", 0.0);
  StatusOr<Mat<Scalar>> inverse = via_users
                                      ? InverseViaUsers<Scalar>(x, xt, reg, ctx)
                                      : InverseDirect<Scalar>(x, xt, reg, timeline, window, ctx);
  RETURN_IF_ERROR(inverse.status());
  const Mat<Scalar>& p = *inverse;
  const size_t n = xt.rows;

  // B_ij = -P_ij / P_jj with P_ij read from the lower triangle, in tiles so
  // that both the row-major output and the column-major P stay in cache.
  ctx.Report("weights", 0.9);
  b.assign(n * n, 0.0f);
  std::vector<Scalar> inv_d(n);
  for (size_t j = 0; j < n; ++j) {
    inv_d[j] = Scalar(1) / p(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(j));
  }
  ParallelFor(ctx.threads, n, kTile, [&](size_t begin, size_t end) {
    for (size_t j0 = 0; j0 < n; j0 += kTile) {
      const size_t j1 = std::min(n, j0 + kTile);
      for (size_t i = begin; i < end; ++i) {
        float* row = b.data() + i * n;
        const auto ei = static_cast<Eigen::Index>(i);
        for (size_t j = j0; j < j1; ++j) {
          const auto ej = static_cast<Eigen::Index>(j);
          const Scalar pij = j <= i ? p(ei, ej) : p(ej, ei);
          row[j] = static_cast<float>(-pij * inv_d[j]);
        }
      }
    }
    for (size_t i = begin; i < end; ++i) b[i * n + i] = 0.0f;
  });
  ctx.Report("weights", 1.0);
  return Status::OK();
}

class EaseModel : public Model {
 public:
  EaseModel(EaseOptions o, nlohmann::json params) : o_(o), params_(std::move(params)) {}

  std::string_view recipe() const override { return "ease"; }
  nlohmann::json params() const override { return params_; }
  uint32_t num_items() const override { return b_.rows; }

  Status Fit(const Dataset& data, const TrainContext& ctx) override {
    const uint32_t n = data.items.size();
    const bool dbl =
        o_.precision == "double" || (o_.precision == "auto" && n <= kEaseDoubleMaxItems);
    if (n > static_cast<uint32_t>(o_.max_items)) {
      const double gb = static_cast<double>(n) * n * 2 * (dbl ? 8 : 4) / 1e9;
      char need[32];
      std::snprintf(need, sizeof need, "%.1f", gb);
      return Status::InvalidArgument("ease: " + std::to_string(n) + " items, max_items is " +
                                     std::to_string(o_.max_items) + " (about " + need +
                                     " GB for the dense items x items matrices); raise max_items "
                                     "or use item-knn");
    }
    CsrMatrix x = data.matrix;
    if (o_.binarize) x.values = Array<float>(std::vector<float>(x.nnz(), 1.0f));
    x.cols = n;
    const CsrMatrix xt = x.Transposed();

    // Regularisation per item: lambda, plus p/(1-p) x the item's count (DLAE).
    std::vector<double> count(n, 0.0);
    for (size_t k = 0; k < x.nnz(); ++k) {
      const double v = x.values[k];
      count[x.indices[k]] += v * v;
    }
    const double lambda = o_.lambda;
    const double r = o_.dropout / (1.0 - o_.dropout);
    std::vector<double> reg(n);
    for (uint32_t i = 0; i < n; ++i) reg[i] = lambda + r * count[i];

    // Sequence weighting matters when some user has interactions at two
    // different times; otherwise its Gram is X^T X.
    Timeline timeline;
    bool sequence = false;
    if (o_.sequence_window > 0) {
      const bool timed = data.first_ts.size() == x.nnz();
      timeline = MakeTimeline(
          x, timed ? std::span<const int64_t>(data.first_ts) : std::span<const int64_t>());
      sequence = std::any_of(timeline.step.begin(), timeline.step.end(),
                             [](int64_t step) { return step > 0; });
    }
    if (sequence && o_.solver == "users") {
      return Status::InvalidArgument(
          "ease: solver \"users\" cannot invert the sequence-weighted Gram (the data has "
          "times); use solver \"items\" or \"auto\", or sequence_window 0");
    }
    // Flops of each way to the inverse; the cheaper one wins (the answer is
    // the same up to rounding; the choice depends only on the data). The
    // sequence-weighted Gram is not a product X^T X: items only.
    const double items = n, users = x.rows, nnz = static_cast<double>(x.nnz());
    const bool via_users =
        !sequence && (o_.solver == "users" ||
                      (o_.solver == "auto" &&
                       users * users * users + nnz * (users + items) < items * items * items));
    const Timeline* t = sequence ? &timeline : nullptr;
    std::vector<float> b;
    Status s = dbl ? SolveEase<double>(x, xt, reg, via_users, t, o_.sequence_window, ctx, b)
                   : SolveEase<float>(x, xt, reg, via_users, t, o_.sequence_window, ctx, b);
    RETURN_IF_ERROR(s);
    b_ = {n, n, Array<float>(std::move(b))};
    return Status::OK();
  }

  void ScoreUser(const UserQuery& q, std::span<float> out) const override {
    ScoreUsers(std::span<const UserQuery>(&q, 1), out);
  }

  // out[q] = sum over q's history of weight x B row, in history order, one
  // tile of columns at a time so B's rows are reused across the batch.
  void ScoreUsers(std::span<const UserQuery> queries, std::span<float> out) const override {
    const size_t n = b_.cols;
    std::fill(out.begin(), out.end(), 0.0f);
    for (size_t c0 = 0; c0 < n; c0 += kScoreTile) {
      const size_t c1 = std::min(n, c0 + kScoreTile);
      for (size_t qi = 0; qi < queries.size(); ++qi) {
        const UserQuery& q = queries[qi];
        float* dst = out.data() + qi * n;
        for (size_t k = 0; k < q.items.size(); ++k) {
          const ItemIndex i = q.items[k];
          if (i >= b_.rows) continue;
          const float w = o_.binarize || k >= q.weights.size() ? 1.0f : q.weights[k];
          const float* row = b_.row(i);
          for (size_t j = c0; j < c1; ++j) dst[j] += w * row[j];
        }
      }
    }
  }

  bool ScoreRelated(ItemIndex item, std::span<float> out) const override {
    if (item >= b_.rows) return false;
    const float* row = b_.row(item);
    if (std::all_of(row, row + b_.cols, [](float v) { return v == 0.0f; })) return false;
    std::copy(row, row + b_.cols, out.begin());
    return true;
  }

  Status Save(ArrayWriter& out) const override {
    out.Add("b", b_);
    return Status::OK();
  }

  Status Load(const ArrayReader& in) override {
    ASSIGN_OR_RETURN(b_, in.Dense("b"));
    if (b_.rows != b_.cols) return Status::DataLoss("ease: the weight matrix is not square");
    return Status::OK();
  }

 private:
  EaseOptions o_;
  nlohmann::json params_;
  DenseMatrix b_;  // items x items, row-major, zero diagonal
};

}  // namespace

StatusOr<std::unique_ptr<Model>> NewEaseModel(const nlohmann::json& params) {
  EaseOptions o;
  nlohmann::json effective;
  RETURN_IF_ERROR(ReadParams(params, "ease", o, &effective));
  return std::unique_ptr<Model>(std::make_unique<EaseModel>(o, effective));
}

}  // namespace recmart::models
