// ArrayWriter / ArrayReader: the binary half of a model bundle.
//
// All arrays of a bundle go into one file, arrays.bin, each starting at a
// 64-byte aligned offset so it can be used in place once the file is
// memory-mapped (no parsing at load). The index -- name -> {type, offset,
// count} -- is JSON kept in the bundle's manifest. Names are flat strings; a
// model that holds other models (a blend) gives each a prefix with Scoped().
//
// Layout of arrays.bin: the bytes of each array, little-endian (the machine's
// order; bundles are not meant to move between architectures), padded with
// zeros to 64 bytes. Strings are stored as two arrays: NAME.offsets (int64,
// count+1) and NAME.bytes (uint8).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/models/matrix.h"

namespace recmart::models {

class ArrayWriter {
 public:
  ArrayWriter();

  void Add(const std::string& name, std::span<const float> values);
  void Add(const std::string& name, std::span<const double> values);
  void Add(const std::string& name, std::span<const uint32_t> values);
  void Add(const std::string& name, std::span<const int64_t> values);
  void Add(const std::string& name, std::span<const uint8_t> values);
  void AddStrings(const std::string& name, const std::vector<std::string>& values);
  void Add(const std::string& name, const DenseMatrix& m);
  void Add(const std::string& name, const CsrMatrix& m);
  // Small scalar metadata (shapes, flags) kept in the index.
  void SetMeta(const std::string& name, const nlohmann::json& value);

  // A writer whose names are prefixed with `prefix` (shares the storage).
  ArrayWriter Scoped(const std::string& prefix) const;

  // Writes arrays.bin into `path` (not atomically: the bundle directory is
  // renamed into place as a whole) and returns the index for the manifest.
  StatusOr<nlohmann::json> WriteFile(const std::string& path) const;

 private:
  struct State;
  void AddBytes(const std::string& name, const char* type, const void* data, size_t count,
                size_t elem_size);
  std::shared_ptr<State> state_;
  std::string prefix_;
};

class ArrayReader {
 public:
  // Maps `path` read-only and checks every index entry lies inside it.
  static StatusOr<ArrayReader> Open(const std::string& path, const nlohmann::json& index);

  bool Has(const std::string& name) const;
  StatusOr<Array<float>> Floats(const std::string& name) const;
  StatusOr<Array<double>> Doubles(const std::string& name) const;
  StatusOr<Array<uint32_t>> Uint32s(const std::string& name) const;
  StatusOr<Array<int64_t>> Int64s(const std::string& name) const;
  StatusOr<Array<uint8_t>> Bytes(const std::string& name) const;
  StatusOr<std::vector<std::string>> Strings(const std::string& name) const;
  StatusOr<DenseMatrix> Dense(const std::string& name) const;
  StatusOr<CsrMatrix> Csr(const std::string& name) const;
  StatusOr<nlohmann::json> Meta(const std::string& name) const;

  ArrayReader Scoped(const std::string& prefix) const;

 private:
  struct Mapping;
  template <typename T>
  StatusOr<Array<T>> Get(const std::string& name, const char* type) const;
  std::shared_ptr<const Mapping> map_;
  std::shared_ptr<const nlohmann::json> index_;
  std::string prefix_;
};

}  // namespace recmart::models
