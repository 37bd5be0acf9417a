#include "recmart/models/factors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>

namespace recmart::models {

namespace {

constexpr size_t kAlignBytes = kRowAlign * sizeof(float);

// n zeroed Ts, 64-byte aligned, owned by the returned Array.
template <typename T>
Array<T> AlignedArray(size_t n, T** data) {
  const size_t bytes =
      std::max(kAlignBytes, (n * sizeof(T) + kAlignBytes - 1) / kAlignBytes * kAlignBytes);
  auto* p = static_cast<T*>(std::aligned_alloc(kAlignBytes, bytes));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  *data = p;
  return Array<T>(std::shared_ptr<T>(p, std::free), p, n);
}

}  // namespace

Array<float> AlignedFloats(size_t n, float** data) { return AlignedArray(n, data); }

DenseMatrix AlignedMatrix(uint32_t rows, uint32_t cols, float** data) {
  return {rows, cols, AlignedFloats(size_t{rows} * cols, data)};
}

Array<float> EnsureAligned(Array<float> a) {
  if (reinterpret_cast<uintptr_t>(a.data()) % kAlignBytes == 0) return a;
  float* p = nullptr;
  Array<float> copy = AlignedFloats(a.size(), &p);
  std::copy(a.begin(), a.end(), p);
  return copy;
}

namespace {

using simd::kLanes;
using simd::Load;
using simd::Store;
using simd::Vec;

constexpr uint32_t kPanel = kRowAlign;  // items per panel
constexpr uint32_t kPanelVecs = kPanel / kLanes;

#if defined(__AVX512BF16__)
constexpr bool kBf16 = true;
#else
constexpr bool kBf16 = false;
#endif

// Round to nearest even bfloat16 (NaN stays NaN).
uint32_t Bf16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  if ((b & 0x7fffffffu) > 0x7f800000u) return (b >> 16) | 0x40u;
  return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}
uint32_t Bf16Pair(float lo, float hi) { return Bf16(lo) | (Bf16(hi) << 16); }

// Stores one vector of scores for items [at, at + kLanes) into `row`, adding
// the bias; items past the end are dropped.
inline void StoreScores(Vec acc, float* row, uint32_t at, uint32_t items,
                        std::span<const float> bias) {
  if (at + kLanes <= items) {
    if (!bias.empty()) acc += Load(bias.data() + at);
    Store(row + at, acc);
    return;
  }
  float tail[kLanes];
  Store(tail, acc);
  for (uint32_t l = 0; at + l < items; ++l)
    row[at + l] = bias.empty() ? tail[l] : tail[l] + bias[at + l];
}

// Scores of the users X[0, kUsers) for the items of panels [p0, p0 + kPanels):
// kUsers x kPanels * 16 accumulators in registers, one broadcast-multiply-add
// per factor each.
template <uint32_t kUsers, uint32_t kPanels>
void ScoreTile(const float* X, const ItemFactors& f, uint32_t p0, std::span<const float> bias,
               float* out, size_t out_stride) {
  constexpr uint32_t kVecs = kPanels * kPanelVecs;
  const uint32_t width = f.width();
  const float* P = f.panels.values.data() + size_t{p0} * width * kPanel;
  Vec acc[kUsers][kVecs];
#pragma GCC unroll 8
  for (uint32_t u = 0; u < kUsers; ++u) {
#pragma GCC unroll 16
    for (uint32_t v = 0; v < kVecs; ++v) acc[u][v] = Vec{};
  }
  for (uint32_t k = 0; k < width; ++k) {
    Vec y[kVecs];
#pragma GCC unroll 8
    for (uint32_t p = 0; p < kPanels; ++p) {
#pragma GCC unroll 4
      for (uint32_t v = 0; v < kPanelVecs; ++v) {
        Vec& t = y[p * kPanelVecs + v];
        t = Load(P + (size_t{p} * width + k) * kPanel + v * kLanes);
        // Keep the panel in a register: loaded once, used by every user
        // (folded into each multiply-add it would be loaded kUsers times).
        asm("" : "+v"(t));
      }
    }
#pragma GCC unroll 8
    for (uint32_t u = 0; u < kUsers; ++u) {
      const float x = X[size_t{u} * width + k];
#pragma GCC unroll 8
      for (uint32_t v = 0; v < kVecs; ++v) acc[u][v] += x * y[v];
    }
  }
#pragma GCC unroll 8
  for (uint32_t u = 0; u < kUsers; ++u) {
#pragma GCC unroll 16
    for (uint32_t v = 0; v < kVecs; ++v) {
      StoreScores(acc[u][v], out + u * out_stride, p0 * kPanel + v * kLanes, f.size(), bias);
    }
  }
}

#if defined(__AVX512BF16__)
// The bfloat16 twin of ScoreTile: X holds the users' factor pairs.
template <uint32_t kUsers, uint32_t kPanels>
void ScoreTileBf16(const uint32_t* X, const ItemFactors& f, uint32_t p0,
                   std::span<const float> bias, float* out, size_t out_stride) {
  const uint32_t half = f.width() / 2;
  const uint32_t* P = f.bf16_panels.data() + size_t{p0} * half * kPanel;
  __m512 acc[kUsers][kPanels];
#pragma GCC unroll 8
  for (uint32_t u = 0; u < kUsers; ++u) {
#pragma GCC unroll 8
    for (uint32_t p = 0; p < kPanels; ++p) acc[u][p] = _mm512_setzero_ps();
  }
  for (uint32_t k = 0; k < half; ++k) {
    __m512bh y[kPanels];
#pragma GCC unroll 8
    for (uint32_t p = 0; p < kPanels; ++p) {
      y[p] = (__m512bh)_mm512_load_si512(P + (size_t{p} * half + k) * kPanel);
      asm("" : "+v"(y[p]));
    }
#pragma GCC unroll 8
    for (uint32_t u = 0; u < kUsers; ++u) {
      const __m512bh x = (__m512bh)_mm512_set1_epi32(static_cast<int>(X[size_t{u} * half + k]));
#pragma GCC unroll 8
      for (uint32_t p = 0; p < kPanels; ++p) acc[u][p] = _mm512_dpbf16_ps(acc[u][p], x, y[p]);
    }
  }
#pragma GCC unroll 8
  for (uint32_t u = 0; u < kUsers; ++u) {
#pragma GCC unroll 8
    for (uint32_t p = 0; p < kPanels; ++p) {
      StoreScores(acc[u][p], out + u * out_stride, (p0 + p) * kPanel, f.size(), bias);
    }
  }
}

template <uint32_t kPanels>
void ScoreTileRowsBf16(uint32_t users, const uint32_t* X, const ItemFactors& f, uint32_t p0,
                       std::span<const float> bias, float* out, size_t out_stride) {
  switch (users) {
    case 4:
      return ScoreTileBf16<4, kPanels>(X, f, p0, bias, out, out_stride);
    case 3:
      return ScoreTileBf16<3, kPanels>(X, f, p0, bias, out, out_stride);
    case 2:
      return ScoreTileBf16<2, kPanels>(X, f, p0, bias, out, out_stride);
    default:
      return ScoreTileBf16<1, kPanels>(X, f, p0, bias, out, out_stride);
  }
}
#endif

// The bfloat16 panels of `panels` (see ItemFactors::bf16_panels).
Array<uint32_t> Bf16Panels(const DenseMatrix& panels, uint32_t width) {
  const size_t n = size_t{panels.rows} * kPanel / 2;
  uint32_t* base = nullptr;
  Array<uint32_t> out = AlignedArray(n, &base);
  const uint32_t count = panels.rows / width;
  for (uint32_t p = 0; p < count; ++p) {
    for (uint32_t k = 0; k < width; k += 2) {
      const float* lo = panels.values.data() + (size_t{p} * width + k) * kPanel;
      uint32_t* dst = base + (size_t{p} * (width / 2) + k / 2) * kPanel;
      for (uint32_t i = 0; i < kPanel; ++i) dst[i] = Bf16Pair(lo[i], lo[kPanel + i]);
    }
  }
  return out;
}

template <uint32_t kPanels>
void ScoreTileRows(uint32_t users, const float* X, const ItemFactors& f, uint32_t p0,
                   std::span<const float> bias, float* out, size_t out_stride) {
  switch (users) {
    case 4:
      return ScoreTile<4, kPanels>(X, f, p0, bias, out, out_stride);
    case 3:
      return ScoreTile<3, kPanels>(X, f, p0, bias, out, out_stride);
    case 2:
      return ScoreTile<2, kPanels>(X, f, p0, bias, out, out_stride);
    default:
      return ScoreTile<1, kPanels>(X, f, p0, bias, out, out_stride);
  }
}

}  // namespace

ItemFactors ItemFactors::FromRows(DenseMatrix rows, bool bfloat16) {
  ItemFactors f;
  const uint32_t width = rows.cols, panels = (rows.rows + kPanel - 1) / kPanel;
  float* P = nullptr;
  f.panels = AlignedMatrix(panels * width, kPanel, &P);
  for (uint32_t i = 0; i < rows.rows; ++i) {
    const float* r = rows.row(i);
    float* panel = P + size_t{i / kPanel} * width * kPanel + i % kPanel;
    for (uint32_t k = 0; k < width; ++k) panel[size_t{k} * kPanel] = r[k];
  }
  float* norms = nullptr;
  f.norms = AlignedFloats(rows.rows, &norms);
  for (uint32_t i = 0; i < rows.rows; ++i) {
    norms[i] = std::sqrt(simd::Dot(rows.row(i), rows.row(i), width));
  }
  f.rows = std::move(rows);
  if (kBf16 && bfloat16) f.bf16_panels = Bf16Panels(f.panels, width);
  return f;
}

void ItemFactors::Score(const float* X, size_t n, std::span<const float> bias,
                        std::span<float> out) const {
  // Four panels (64 items) by up to four users at a time: 16 accumulators.
  // Items outer, users inner: a group of panels stays in L1 while every user
  // of the batch goes through it.
  constexpr uint32_t kGroup = 4, kUsers = 4;
  const uint32_t panels = (size() + kPanel - 1) / kPanel;
  const size_t stride = size();
#if defined(__AVX512BF16__)
  if (!bf16_panels.empty()) {
    const uint32_t half = width() / 2;
    uint32_t* xb = nullptr;
    Array<uint32_t> keep = AlignedArray(n * half, &xb);
    for (size_t u = 0; u < n; ++u) {
      for (uint32_t k = 0; k < half; ++k) {
        xb[u * half + k] = Bf16Pair(X[u * width() + 2 * k], X[u * width() + 2 * k + 1]);
      }
    }
    for (uint32_t p0 = 0; p0 < panels; p0 += kGroup) {
      const uint32_t np = std::min(kGroup, panels - p0);
      for (size_t u = 0; u < n; u += kUsers) {
        const auto nu = static_cast<uint32_t>(std::min<size_t>(kUsers, n - u));
        const uint32_t* x = xb + u * half;
        float* o = out.data() + u * stride;
        if (np == kGroup) {
          ScoreTileRowsBf16<kGroup>(nu, x, *this, p0, bias, o, stride);
        } else {
          for (uint32_t p = p0; p < panels; ++p) {
            ScoreTileRowsBf16<1>(nu, x, *this, p, bias, o, stride);
          }
        }
      }
    }
    return;
  }
#endif
  for (uint32_t p0 = 0; p0 < panels; p0 += kGroup) {
    const uint32_t np = std::min(kGroup, panels - p0);
    for (size_t u = 0; u < n; u += kUsers) {
      const auto nu = static_cast<uint32_t>(std::min<size_t>(kUsers, n - u));
      const float* x = X + u * width();
      float* o = out.data() + u * stride;
      if (np == kGroup) {
        ScoreTileRows<kGroup>(nu, x, *this, p0, bias, o, stride);
      } else {
        for (uint32_t p = p0; p < panels; ++p) ScoreTileRows<1>(nu, x, *this, p, bias, o, stride);
      }
    }
  }
}

void ItemFactors::Cosine(ItemIndex item, std::span<float> out) const {
  if (item >= size() || !(norms[item] > 0.0f)) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  Score(rows.row(item), 1, {}, out);
  const float self = norms[item];
  for (uint32_t j = 0; j < size(); ++j) {
    out[j] = norms[j] > 0.0f ? out[j] / (self * norms[j]) : 0.0f;
  }
}

void ItemFactors::Save(ArrayWriter& out) const {
  out.Add("item_factors", rows);
  out.Add("item_panels", panels);
  out.Add("item_norms", norms.span());
}

Status ItemFactors::Load(const ArrayReader& in, uint32_t width, bool bfloat16) {
  ASSIGN_OR_RETURN(rows, in.Dense("item_factors"));
  ASSIGN_OR_RETURN(panels, in.Dense("item_panels"));
  ASSIGN_OR_RETURN(norms, in.Floats("item_norms"));
  const uint32_t num_panels = (rows.rows + kPanel - 1) / kPanel;
  if (rows.cols != width || panels.cols != kPanel || panels.rows != num_panels * width ||
      norms.size() != rows.rows) {
    return Status::DataLoss("item factor arrays are not " + std::to_string(width) + " wide");
  }
  rows.values = EnsureAligned(rows.values);
  panels.values = EnsureAligned(panels.values);
  if (kBf16 && bfloat16) bf16_panels = Bf16Panels(panels, width);
  return Status::OK();
}

}  // namespace recmart::models
