#include "recmart/models/matrix.h"

#include <algorithm>

namespace recmart::models {

CsrMatrix CsrMatrix::FromTriplets(uint32_t rows, uint32_t cols, std::vector<Triplet> entries) {
  std::sort(entries.begin(), entries.end(), [](const Triplet& a, const Triplet& b) {
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  });
  std::vector<int64_t> indptr(size_t{rows} + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  indices.reserve(entries.size());
  values.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const Triplet& t = entries[i];
    if (i > 0 && entries[i - 1].row == t.row && entries[i - 1].col == t.col) {
      values.back() += t.value;
      continue;
    }
    indices.push_back(t.col);
    values.push_back(t.value);
    ++indptr[size_t{t.row} + 1];
  }
  for (size_t r = 0; r < rows; ++r) indptr[r + 1] += indptr[r];
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.indptr = Array<int64_t>(std::move(indptr));
  m.indices = Array<uint32_t>(std::move(indices));
  m.values = Array<float>(std::move(values));
  return m;
}

CsrMatrix CsrMatrix::Transposed() const {
  std::vector<int64_t> tptr(size_t{cols} + 1, 0);
  for (uint32_t c : indices) ++tptr[size_t{c} + 1];
  for (size_t c = 0; c < cols; ++c) tptr[c + 1] += tptr[c];
  std::vector<uint32_t> tind(nnz());
  std::vector<float> tval(nnz());
  std::vector<int64_t> next(tptr.begin(), tptr.end() - 1);
  // Rows are visited in order, so each transposed row comes out sorted.
  for (uint32_t r = 0; r < rows; ++r) {
    for (int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      int64_t at = next[indices[k]]++;
      tind[at] = r;
      tval[at] = values[k];
    }
  }
  CsrMatrix t;
  t.rows = cols;
  t.cols = rows;
  t.indptr = Array<int64_t>(std::move(tptr));
  t.indices = Array<uint32_t>(std::move(tind));
  t.values = Array<float>(std::move(tval));
  return t;
}

float CsrMatrix::At(uint32_t r, uint32_t c) const {
  std::span<const uint32_t> idx = RowIndices(r);
  auto it = std::lower_bound(idx.begin(), idx.end(), c);
  if (it == idx.end() || *it != c) return 0.0f;
  return values[indptr[r] + (it - idx.begin())];
}

IdIndex::IdIndex(std::vector<std::string> names) : names_(std::move(names)) {
  index_.reserve(names_.size());
  for (uint32_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
}

uint32_t IdIndex::Add(const std::string& id) {
  auto [it, inserted] = index_.emplace(id, static_cast<uint32_t>(names_.size()));
  if (inserted) names_.push_back(id);
  return it->second;
}

uint32_t IdIndex::Find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? kUnknownIndex : it->second;
}

}  // namespace recmart::models
