#include "recmart/models/array_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace recmart::models {

using nlohmann::json;

namespace {
constexpr size_t kAlign = 64;
}

struct ArrayWriter::State {
  std::string blob;
  json index = json::object();
};

ArrayWriter::ArrayWriter() : state_(std::make_shared<State>()) {}

ArrayWriter ArrayWriter::Scoped(const std::string& prefix) const {
  ArrayWriter w = *this;
  w.prefix_ += prefix;
  return w;
}

void ArrayWriter::AddBytes(const std::string& name, const char* type, const void* data,
                           size_t count, size_t elem_size) {
  std::string& blob = state_->blob;
  blob.resize((blob.size() + kAlign - 1) / kAlign * kAlign, '\0');
  size_t offset = blob.size();
  if (count) blob.append(static_cast<const char*>(data), count * elem_size);
  state_->index[prefix_ + name] = {{"type", type}, {"offset", offset}, {"count", count}};
}

void ArrayWriter::Add(const std::string& name, std::span<const float> v) {
  AddBytes(name, "f32", v.data(), v.size(), sizeof(float));
}
void ArrayWriter::Add(const std::string& name, std::span<const double> v) {
  AddBytes(name, "f64", v.data(), v.size(), sizeof(double));
}
void ArrayWriter::Add(const std::string& name, std::span<const uint32_t> v) {
  AddBytes(name, "u32", v.data(), v.size(), sizeof(uint32_t));
}
void ArrayWriter::Add(const std::string& name, std::span<const int64_t> v) {
  AddBytes(name, "i64", v.data(), v.size(), sizeof(int64_t));
}
void ArrayWriter::Add(const std::string& name, std::span<const uint8_t> v) {
  AddBytes(name, "u8", v.data(), v.size(), 1);
}

void ArrayWriter::AddStrings(const std::string& name, const std::vector<std::string>& values) {
  std::vector<int64_t> offsets;
  offsets.reserve(values.size() + 1);
  std::string bytes;
  offsets.push_back(0);
  for (const std::string& s : values) {
    bytes += s;
    offsets.push_back(static_cast<int64_t>(bytes.size()));
  }
  Add(name + ".offsets", std::span<const int64_t>(offsets));
  AddBytes(name + ".bytes", "u8", bytes.data(), bytes.size(), 1);
}

void ArrayWriter::Add(const std::string& name, const DenseMatrix& m) {
  SetMeta(name + ".shape", json::array({m.rows, m.cols}));
  Add(name, m.values.span());
}

void ArrayWriter::Add(const std::string& name, const CsrMatrix& m) {
  SetMeta(name + ".shape", json::array({m.rows, m.cols}));
  Add(name + ".indptr", m.indptr.span());
  Add(name + ".indices", m.indices.span());
  Add(name + ".values", m.values.span());
}

void ArrayWriter::SetMeta(const std::string& name, const json& value) {
  state_->index[prefix_ + name] = {{"type", "meta"}, {"value", value}};
}

StatusOr<json> ArrayWriter::WriteFile(const std::string& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  const std::string& blob = state_->blob;
  size_t done = 0;
  while (done < blob.size()) {
    ssize_t n = ::write(fd, blob.data() + done, blob.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Status::IOError(path + ": write: " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::IOError(path + ": " + std::strerror(errno));
  }
  return state_->index;
}

// A read-only mapping of arrays.bin, unmapped when the last array using it goes.
struct ArrayReader::Mapping {
  const char* data = nullptr;
  size_t size = 0;
  std::string path;
  ~Mapping() {
    if (data && size) ::munmap(const_cast<char*>(data), size);
  }
};

StatusOr<ArrayReader> ArrayReader::Open(const std::string& path, const json& index) {
  if (!index.is_object()) return Status::DataLoss(path + ": bundle index is not an object");
  auto map = std::make_shared<Mapping>();
  map->path = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError(path + ": " + std::strerror(errno));
  }
  map->size = static_cast<size_t>(st.st_size);
  if (map->size > 0) {
    void* p = ::mmap(nullptr, map->size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return Status::IOError(path + ": mmap: " + std::strerror(errno));
    }
    map->data = static_cast<const char*>(p);
  }
  ::close(fd);
  for (auto it = index.begin(); it != index.end(); ++it) {
    const json& e = it.value();
    if (!e.is_object() || !e.contains("type")) {
      return Status::DataLoss(path + ": bad index entry " + it.key());
    }
    if (e["type"] == "meta") continue;
    static const std::unordered_map<std::string, size_t> kSizes = {
        {"f32", 4}, {"f64", 8}, {"u32", 4}, {"i64", 8}, {"u8", 1}};
    auto sz = kSizes.find(e["type"].get<std::string>());
    auto natural = [&](const char* k) {
      return e.contains(k) && e[k].is_number_integer() && e[k].get<int64_t>() >= 0;
    };
    if (sz == kSizes.end() || !natural("offset") || !natural("count")) {
      return Status::DataLoss(path + ": bad index entry " + it.key());
    }
    size_t offset = e["offset"].get<size_t>();
    size_t count = e["count"].get<size_t>();
    if (offset % kAlign != 0 || offset > map->size || count > (map->size - offset) / sz->second) {
      return Status::DataLoss(path + ": array " + it.key() + " lies outside the file");
    }
  }
  ArrayReader r;
  r.map_ = std::move(map);
  r.index_ = std::make_shared<const json>(index);
  return r;
}

ArrayReader ArrayReader::Scoped(const std::string& prefix) const {
  ArrayReader r = *this;
  r.prefix_ += prefix;
  return r;
}

bool ArrayReader::Has(const std::string& name) const { return index_->contains(prefix_ + name); }

template <typename T>
StatusOr<Array<T>> ArrayReader::Get(const std::string& name, const char* type) const {
  auto it = index_->find(prefix_ + name);
  if (it == index_->end()) {
    return Status::DataLoss(map_->path + ": missing array " + prefix_ + name);
  }
  if ((*it)["type"] != type) {
    return Status::DataLoss(map_->path + ": array " + prefix_ + name + " is not " + type);
  }
  size_t offset = (*it)["offset"].get<size_t>();
  size_t count = (*it)["count"].get<size_t>();
  const T* data = count ? reinterpret_cast<const T*>(map_->data + offset) : nullptr;
  return Array<T>(map_, data, count);
}

StatusOr<Array<float>> ArrayReader::Floats(const std::string& n) const {
  return Get<float>(n, "f32");
}
StatusOr<Array<double>> ArrayReader::Doubles(const std::string& n) const {
  return Get<double>(n, "f64");
}
StatusOr<Array<uint32_t>> ArrayReader::Uint32s(const std::string& n) const {
  return Get<uint32_t>(n, "u32");
}
StatusOr<Array<int64_t>> ArrayReader::Int64s(const std::string& n) const {
  return Get<int64_t>(n, "i64");
}
StatusOr<Array<uint8_t>> ArrayReader::Bytes(const std::string& n) const {
  return Get<uint8_t>(n, "u8");
}

StatusOr<std::vector<std::string>> ArrayReader::Strings(const std::string& name) const {
  ASSIGN_OR_RETURN(Array<int64_t> offsets, Int64s(name + ".offsets"));
  ASSIGN_OR_RETURN(Array<uint8_t> bytes, Bytes(name + ".bytes"));
  std::vector<std::string> out;
  if (offsets.empty()) return out;
  out.reserve(offsets.size() - 1);
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    int64_t a = offsets[i], b = offsets[i + 1];
    if (a < 0 || b < a || static_cast<size_t>(b) > bytes.size()) {
      return Status::DataLoss(map_->path + ": bad string table " + prefix_ + name);
    }
    out.emplace_back(reinterpret_cast<const char*>(bytes.data()) + a, static_cast<size_t>(b - a));
  }
  return out;
}

StatusOr<json> ArrayReader::Meta(const std::string& name) const {
  auto it = index_->find(prefix_ + name);
  if (it == index_->end() || (*it)["type"] != "meta") {
    return Status::DataLoss(map_->path + ": missing value " + prefix_ + name);
  }
  return (*it)["value"];
}

namespace {
Status ReadShape(const json& shape, uint32_t& rows, uint32_t& cols) {
  if (!shape.is_array() || shape.size() != 2 || !shape[0].is_number_unsigned() ||
      !shape[1].is_number_unsigned()) {
    return Status::DataLoss("bad matrix shape " + shape.dump());
  }
  rows = shape[0].get<uint32_t>();
  cols = shape[1].get<uint32_t>();
  return Status::OK();
}
}  // namespace

StatusOr<DenseMatrix> ArrayReader::Dense(const std::string& name) const {
  DenseMatrix m;
  ASSIGN_OR_RETURN(json shape, Meta(name + ".shape"));
  RETURN_IF_ERROR(ReadShape(shape, m.rows, m.cols));
  ASSIGN_OR_RETURN(m.values, Floats(name));
  if (m.values.size() != size_t{m.rows} * m.cols) {
    return Status::DataLoss(map_->path + ": matrix " + prefix_ + name + " has the wrong size");
  }
  return m;
}

StatusOr<CsrMatrix> ArrayReader::Csr(const std::string& name) const {
  CsrMatrix m;
  ASSIGN_OR_RETURN(json shape, Meta(name + ".shape"));
  RETURN_IF_ERROR(ReadShape(shape, m.rows, m.cols));
  ASSIGN_OR_RETURN(m.indptr, Int64s(name + ".indptr"));
  ASSIGN_OR_RETURN(m.indices, Uint32s(name + ".indices"));
  ASSIGN_OR_RETURN(m.values, Floats(name + ".values"));
  // Validate once so that lookups can trust the structure.
  bool ok = m.indptr.size() == size_t{m.rows} + 1 && m.indices.size() == m.values.size() &&
            m.indptr[0] == 0 && static_cast<size_t>(m.indptr[m.rows]) == m.indices.size();
  for (uint32_t r = 0; ok && r < m.rows; ++r) ok = m.indptr[r] <= m.indptr[r + 1];
  for (size_t k = 0; ok && k < m.indices.size(); ++k) ok = m.indices[k] < m.cols;
  if (!ok)
    return Status::DataLoss(map_->path + ": sparse matrix " + prefix_ + name + " is corrupt");
  return m;
}

}  // namespace recmart::models
