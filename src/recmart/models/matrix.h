// The numeric containers every recipe shares: a read-only array that either
// owns its storage or points into a memory-mapped model bundle, a dense
// row-major float matrix on top of it, and a compressed-sparse-row matrix for
// interactions.
//
// Thread safety: all types here are immutable after construction except
// through the explicitly mutable accessors, which callers use only while
// building (training) a model.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace recmart::models {

using UserIndex = uint32_t;
using ItemIndex = uint32_t;
// Index of a user or item the model does not know.
inline constexpr uint32_t kUnknownIndex = UINT32_MAX;

// A contiguous array of T that is either owned (a std::vector) or borrowed
// from a longer-lived owner (a mapped bundle file), kept alive by `owner`.
// Copies share the storage.
template <typename T>
class Array {
 public:
  Array() = default;
  explicit Array(std::vector<T> values) {
    auto owned = std::make_shared<std::vector<T>>(std::move(values));
    data_ = owned->data();
    size_ = owned->size();
    mutable_ = owned->data();
    owner_ = std::move(owned);
  }
  // Borrows [data, data+size) from `owner`'s storage.
  Array(std::shared_ptr<const void> owner, const T* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return data_[i]; }
  std::span<const T> span() const { return {data_, size_}; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  // Writable view; null for borrowed (mapped) storage. Only for builders.
  T* mutable_data() { return mutable_; }

 private:
  std::shared_ptr<const void> owner_;
  const T* data_ = nullptr;
  size_t size_ = 0;
  T* mutable_ = nullptr;
};

// Dense row-major float matrix, size rows*cols.
struct DenseMatrix {
  uint32_t rows = 0;
  uint32_t cols = 0;
  Array<float> values;

  static DenseMatrix Zeros(uint32_t rows, uint32_t cols) {
    return {rows, cols, Array<float>(std::vector<float>(size_t{rows} * cols, 0.0f))};
  }
  const float* row(uint32_t r) const { return values.data() + size_t{r} * cols; }
  float* mutable_row(uint32_t r) { return values.mutable_data() + size_t{r} * cols; }
};

// One (row, column, value) entry used to build a CsrMatrix.
struct Triplet {
  uint32_t row;
  uint32_t col;
  float value;
};

// Compressed sparse rows: row r's entries are indices[indptr[r]..indptr[r+1]),
// sorted by column and unique, with values alongside.
struct CsrMatrix {
  uint32_t rows = 0;
  uint32_t cols = 0;
  Array<int64_t> indptr;  // size rows+1
  Array<uint32_t> indices;
  Array<float> values;

  // Builds from entries in any order; duplicate (row, col) values are summed.
  static CsrMatrix FromTriplets(uint32_t rows, uint32_t cols, std::vector<Triplet> entries);
  // The transpose (columns become rows), e.g. items x users from users x items.
  CsrMatrix Transposed() const;

  size_t nnz() const { return indices.size(); }
  size_t RowSize(uint32_t r) const { return static_cast<size_t>(indptr[r + 1] - indptr[r]); }
  std::span<const uint32_t> RowIndices(uint32_t r) const {
    return {indices.data() + indptr[r], RowSize(r)};
  }
  std::span<const float> RowValues(uint32_t r) const {
    return {values.data() + indptr[r], RowSize(r)};
  }
  // Value at (r, c), or 0 when absent. O(log row size).
  float At(uint32_t r, uint32_t c) const;
};

// Dense ids for string ids: index i <-> names[i].
class IdIndex {
 public:
  IdIndex() = default;
  explicit IdIndex(std::vector<std::string> names);

  // The index of `id`, adding it when new.
  uint32_t Add(const std::string& id);
  // The index of `id`, or kUnknownIndex.
  uint32_t Find(const std::string& id) const;
  const std::string& name(uint32_t i) const { return names_[i]; }
  const std::vector<std::string>& names() const { return names_; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace recmart::models
