// Dense factor matrices and the scoring every latent-factor recipe shares
// (als, bpr).
//
// Layout: a factor matrix is a row-major DenseMatrix whose width (columns) is
// the number of factors rounded up to a multiple of kRowAlign floats, the
// extra columns zero, and whose storage starts on a 64-byte boundary -- so
// every row does too, in memory and in a mapped bundle (arrays.bin aligns
// each array to 64 bytes). The kernels rely on that: they have no tail
// loops, and the order of every floating-point sum is fixed by the code
// alone, never by addresses or threads, which keeps training deterministic
// and scores bit-identical after a save/load.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#if defined(__AVX512F__)
// Under the same pragmas as models/als/eigen.h (see there).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

#include "recmart/common/status.h"
#include "recmart/models/array_file.h"
#include "recmart/models/matrix.h"

namespace recmart::models {

// Floats per row alignment unit (64 bytes).
inline constexpr uint32_t kRowAlign = 16;

// `factors` rounded up to a multiple of kRowAlign.
inline uint32_t PaddedWidth(int factors) {
  return (static_cast<uint32_t>(factors) + kRowAlign - 1) / kRowAlign * kRowAlign;
}

// Calls f(std::integral_constant<uint32_t, B>()) with B = width / kRowAlign
// when 1 <= B <= 8, else with B = 0 (meaning: read the width at run time).
// Kernels templated on B unroll fully and keep their accumulators in
// registers for the common widths.
template <typename F>
decltype(auto) WithWidthBlocks(uint32_t width, F&& f) {
  switch (width / kRowAlign) {
    case 1:
      return f(std::integral_constant<uint32_t, 1>());
    case 2:
      return f(std::integral_constant<uint32_t, 2>());
    case 3:
      return f(std::integral_constant<uint32_t, 3>());
    case 4:
      return f(std::integral_constant<uint32_t, 4>());
    case 5:
      return f(std::integral_constant<uint32_t, 5>());
    case 6:
      return f(std::integral_constant<uint32_t, 6>());
    case 7:
      return f(std::integral_constant<uint32_t, 7>());
    case 8:
      return f(std::integral_constant<uint32_t, 8>());
    default:
      return f(std::integral_constant<uint32_t, 0>());
  }
}

// n zeroed floats, 64-byte aligned, owned by the returned Array; *data is the
// writable pointer (Array::mutable_data() is null for this kind of storage).
Array<float> AlignedFloats(size_t n, float** data);
// A zeroed rows x cols matrix on AlignedFloats storage.
DenseMatrix AlignedMatrix(uint32_t rows, uint32_t cols, float** data);
// `a` itself when 64-byte aligned, else an aligned copy.
Array<float> EnsureAligned(Array<float> a);

// Vector primitives over the machine's widest float vector.
namespace simd {
#if defined(__AVX512F__)
inline constexpr uint32_t kLanes = 16;
#elif defined(__AVX__)
inline constexpr uint32_t kLanes = 8;
#else
inline constexpr uint32_t kLanes = 4;
#endif
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec Load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
// Sum of the lanes, in a fixed order.
inline float Sum(Vec v) {
#if defined(__AVX512F__)
  return _mm512_reduce_add_ps(v);
#else
  float s = 0.0f;
  for (uint32_t l = 0; l < kLanes; ++l) s += v[l];
  return s;
#endif
}
// a . b over `width` floats (a multiple of kRowAlign).
inline float Dot(const float* a, const float* b, uint32_t width) {
  Vec acc0 = Load(a) * Load(b), acc1 = {};
  for (uint32_t j = kLanes; j < width; j += 2 * kLanes) {
    acc1 += Load(a + j) * Load(b + j);
    if (j + kLanes < width) acc0 += Load(a + j + kLanes) * Load(b + j + kLanes);
  }
  return Sum(acc0 + acc1);
}
}  // namespace simd

// Item factors as scoring reads them.
//
// `rows` is the items x width factor matrix. `panels` holds the same numbers
// transposed in panels of kRowAlign items -- panel p is `width` runs of 16
// floats, run k holding factor k of items 16p .. 16p+15 (the last panel
// zero-padded) -- so that scoring is broadcast-multiply-adds with no
// horizontal sums and no repacking per call. A DenseMatrix of
// (panels * width) x 16. `norms` are the rows' lengths.
struct ItemFactors {
  DenseMatrix rows;
  DenseMatrix panels;
  Array<float> norms;
  // When asked for and the CPU multiplies bfloat16 pairs (AVX512-BF16):
  // `panels` rounded to bfloat16, factors 2k and 2k+1 of an item packed in
  // one uint32 (low, high half) -- half the bytes and twice the
  // multiply-adds per instruction. Derived from `panels` (not saved); empty
  // otherwise. Score uses it when present.
  Array<uint32_t> bf16_panels;

  // Derives panels and norms (and bf16_panels with `bfloat16`) from `rows`
  // (64-byte aligned, width a multiple of kRowAlign).
  static ItemFactors FromRows(DenseMatrix rows, bool bfloat16);

  uint32_t size() const { return rows.rows; }
  uint32_t width() const { return rows.cols; }

  // out (n x size(), row-major) = the n user vectors X (n rows of width()
  // floats, 64-byte aligned) times every item's factors, plus bias[i] when
  // bias is non-empty. With bf16_panels, the products are of bfloat16-rounded
  // factors (exact, summed in float32): scores within about 1% of the exact
  // ones. Every score is summed in the same order whatever n and the user's
  // position in X, so a user scored alone or in any batch gets bit-identical
  // scores.
  // Hand-written rather than an Eigen/BLAS GEMM for two reasons: a GEMM's
  // blocking changes the summation order with n (so a user's scores would
  // depend on the batch), and neither library multiplies bfloat16 pairs.
  void Score(const float* X, size_t n, std::span<const float> bias, std::span<float> out) const;
  // Cosine similarity of item `item` to every item (0 against a zero vector).
  void Cosine(ItemIndex item, std::span<float> out) const;

  // Arrays "item_factors", "item_panels", "item_norms".
  void Save(ArrayWriter& out) const;
  // Reads what Save wrote, used in place when aligned (and derives
  // bf16_panels with `bfloat16`). DataLoss when a shape is not `width` wide.
  Status Load(const ArrayReader& in, uint32_t width, bool bfloat16);
};

}  // namespace recmart::models
