#include "recmart/gen/generator.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "recmart/common/fs.h"
#include "recmart/ingest/values.h"

namespace recmart::gen {
namespace {
namespace fs = std::filesystem;

constexpr int kSecondsPerDay = 86400;

// ---------------------------------------------------------------------------
// Randomness. Everything is derived from 64-bit mixing so that the output does
// not depend on the standard library's distributions (which differ between
// implementations) nor on the order in which threads run.

uint64_t Mix64(uint64_t z) {  // SplitMix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Independent streams of one seed. A trait of user u is Hash(seed, kUserX, u):
// no per-user table is needed to make it stable across days and files.
enum Stream : uint64_t {
  kCatalogStream = 1,
  kPlanStream,
  kDayStream,
  kNoiseStream,
  kUserBot,
  kUserSegment,
  kUserCountry,
  kUserCreated,
  kUserRepeat,
  kUserStaple,
  kUserPermutation,
};

uint64_t Hash(uint64_t seed, uint64_t stream, uint64_t index) {
  return Mix64(Mix64(seed ^ (stream * 0x9e3779b97f4a7c15ULL)) + index * 0xd1b54a32d192ed03ULL);
}

double UnitHash(uint64_t seed, uint64_t stream, uint64_t index) {
  return static_cast<double>(Hash(seed, stream, index) >> 11) * 0x1.0p-53;
}

// SplitMix64 as a generator: fast, one word of state, good enough statistics.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // [0, 1)
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // [0, n); n > 0. Lemire's multiply-shift (bias below 2^-64 * n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  bool Chance(double p) { return Uniform() < p; }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  // Standard normal (Box–Muller, one value per call).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Failures before the first success of a Bernoulli(1 / (1 + mean)): mean `mean`.
  uint64_t Geometric(double mean) {
    const double p = 1.0 / (1.0 + mean);
    return static_cast<uint64_t>(std::floor(std::log1p(-Uniform()) / std::log1p(-p)));
  }

 private:
  uint64_t state_;
};

// Walker/Vose alias table: O(1) sampling from a fixed discrete distribution.
class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(const std::vector<double>& weights) {
    const size_t n = weights.size();
    prob_.assign(n, 1.0);
    alias_.resize(n);
    std::iota(alias_.begin(), alias_.end(), 0u);
    const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
    std::vector<double> scaled(n);
    std::vector<uint32_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / sum;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const uint32_t s = small.back();
      small.pop_back();
      const uint32_t l = large.back();
      prob_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
  }
  size_t size() const { return prob_.size(); }
  uint32_t Sample(Rng& rng) const {
    const uint64_t i = rng.Below(prob_.size());
    return rng.Uniform() < prob_[i] ? static_cast<uint32_t>(i) : alias_[i];
  }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

// ---------------------------------------------------------------------------
// Fast text formatting into a caller-sized buffer.

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutUint(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// v in decimal, left-padded with zeros to at least `width` digits.
char* PutPadded(char* p, uint64_t v, int width) {
  char tmp[20];
  const int n = static_cast<int>(std::to_chars(tmp, tmp + sizeof tmp, v).ptr - tmp);
  for (int i = n; i < width; ++i) *p++ = '0';
  std::memcpy(p, tmp, n);
  return p + n;
}

char* Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// HH:MM:SS of a second of the day.
char* PutClock(char* p, int second) {
  p = Put2(p, second / 3600);
  *p++ = ':';
  p = Put2(p, second / 60 % 60);
  *p++ = ':';
  return Put2(p, second % 60);
}

// 1250 → "12.50"
char* PutCents(char* p, uint64_t cents) {
  p = PutUint(p, cents / 100);
  *p++ = '.';
  return Put2(p, static_cast<int>(cents % 100));
}

int Digits(uint64_t v) {
  int d = 1;
  while (v >= 10) v /= 10, ++d;
  return d;
}

// "2024-01-01T08:15:02Z" (sep 'T', zone "Z") or "2024-01-01 08:15:02" (sep ' ', no zone).
std::string FormatTime(int64_t epoch_seconds, char sep, bool zulu) {
  const int64_t day = ingest::EpochDay(epoch_seconds);
  std::string out = ingest::FormatDate(day);
  char clock[9];
  PutClock(clock, static_cast<int>(epoch_seconds - day * kSecondsPerDay));
  out += sep;
  out.append(clock, 8);
  if (zulu) out += 'Z';
  return out;
}

// ---------------------------------------------------------------------------
// Output: a file with optional gzip/zstd framing, fed by a line buffer.

enum class Codec { kNone, kGzip, kZstd };

class FileSink {
 public:
  FileSink() = default;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() { Release(); }

  Status Open(const std::string& path, Codec codec) {
    path_ = path;
    codec_ = codec;
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) return Status::IOError(path + ": " + std::strerror(errno));
    if (codec == Codec::kGzip) {
      std::memset(&zs_, 0, sizeof zs_);
      // Level 1: JSON lines still shrink ~6x, at several times level 6's speed.
      // windowBits 15 + 16 asks for a gzip header (with mtime 0: reproducible).
      if (deflateInit2(&zs_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return Status::Internal(path + ": deflateInit2 failed");
      }
      zs_open_ = true;
    } else if (codec == Codec::kZstd) {
      zc_ = ZSTD_createCCtx();
      if (zc_ == nullptr) return Status::Internal(path + ": ZSTD_createCCtx failed");
      ZSTD_CCtx_setParameter(zc_, ZSTD_c_compressionLevel, 3);
      ZSTD_CCtx_setParameter(zc_, ZSTD_c_checksumFlag, 1);
    }
    if (codec != Codec::kNone) out_.resize(1 << 18);
    return Status::OK();
  }

  Status Write(const char* data, size_t n) {
    switch (codec_) {
      case Codec::kNone:
        return WriteRaw(data, n);
      case Codec::kGzip:
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        zs_.avail_in = static_cast<uInt>(n);
        return Deflate(Z_NO_FLUSH);
      case Codec::kZstd:
        return Zstd(data, n, ZSTD_e_continue);
    }
    return Status::OK();
  }

  // Finishes the compressed stream and closes the file.
  Status Close() {
    Status s;
    if (codec_ == Codec::kGzip) s = Deflate(Z_FINISH);
    if (codec_ == Codec::kZstd) s = Zstd(nullptr, 0, ZSTD_e_end);
    FILE* f = file_;
    file_ = nullptr;
    Release();
    if (f != nullptr && std::fclose(f) != 0 && s.ok()) {
      s = Status::IOError(path_ + ": " + std::strerror(errno));
    }
    return s;
  }

  uint64_t bytes_on_disk() const { return bytes_; }

 private:
  Status WriteRaw(const char* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, file_) != n) {
      return Status::IOError(path_ + ": write failed: " + std::strerror(errno));
    }
    bytes_ += n;
    return Status::OK();
  }

  Status Deflate(int flush) {
    while (true) {
      zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_.avail_out = static_cast<uInt>(out_.size());
      const int rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) return Status::Internal(path_ + ": deflate failed");
      RETURN_IF_ERROR(WriteRaw(out_.data(), out_.size() - zs_.avail_out));
      if (flush == Z_FINISH ? rc == Z_STREAM_END : zs_.avail_out != 0) return Status::OK();
    }
  }

  Status Zstd(const char* data, size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data, n, 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const size_t rc = ZSTD_compressStream2(zc_, &out, &in, mode);
      if (ZSTD_isError(rc)) return Status::Internal(path_ + ": zstd: " + ZSTD_getErrorName(rc));
      RETURN_IF_ERROR(WriteRaw(out_.data(), out.pos));
      if (mode == ZSTD_e_end ? rc == 0 : in.pos == in.size) return Status::OK();
    }
  }

  void Release() {
    if (zs_open_) deflateEnd(&zs_);
    zs_open_ = false;
    if (zc_ != nullptr) ZSTD_freeCCtx(zc_);
    zc_ = nullptr;
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }

  std::string path_;
  FILE* file_ = nullptr;
  Codec codec_ = Codec::kNone;
  z_stream zs_{};
  bool zs_open_ = false;
  ZSTD_CCtx* zc_ = nullptr;
  std::vector<char> out_;
  uint64_t bytes_ = 0;
};

// Lines are formatted straight into a 1 MiB buffer, handed to the sink when full.
class LineBuffer {
 public:
  static constexpr size_t kCapacity = 1 << 20;
  explicit LineBuffer(FileSink* sink) : sink_(sink), data_(new char[kCapacity]) {}

  // Makes room for `n` bytes at tail(). REQUIRES: n <= kCapacity.
  Status Reserve(size_t n) {
    if (kCapacity - size_ < n) return Flush();
    return Status::OK();
  }
  char* tail() { return data_.get() + size_; }
  // Marks [tail(), end) as written.
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_.get()); }
  Status Append(std::string_view s) {
    RETURN_IF_ERROR(Reserve(s.size()));
    Commit(Put(tail(), s));
    return Status::OK();
  }
  Status Flush() {
    Status s = sink_->Write(data_.get(), size_);
    size_ = 0;
    return s;
  }

 private:
  FileSink* sink_;
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

// A whole small file (catalog, customers, truth) written through one buffer.
class CsvFile {
 public:
  Status Open(const std::string& path) { return sink_.Open(path, Codec::kNone); }
  LineBuffer& buffer() { return buffer_; }
  Status Close() {
    RETURN_IF_ERROR(buffer_.Flush());
    return sink_.Close();
  }

 private:
  FileSink sink_;
  LineBuffer buffer_{&sink_};
};

// ---------------------------------------------------------------------------
// The shop: category tree, brands, items with popularity and bundles.

// clang-format off
constexpr const char* kLeaves[] = {
    "electronics.phones.smartphones", "electronics.phones.cases", "electronics.phones.chargers",
    "electronics.audio.headphones", "electronics.audio.speakers", "electronics.audio.microphones",
    "electronics.computers.laptops", "electronics.computers.monitors", "electronics.computers.keyboards",
    "electronics.video.televisions", "electronics.video.projectors",
    "home.kitchen.knives", "home.kitchen.cookware", "home.kitchen.appliances",
    "home.furniture.chairs", "home.furniture.tables", "home.furniture.sofas",
    "home.decor.lamps", "home.decor.rugs", "home.decor.frames",
    "home.bath.towels", "home.bath.showers",
    "apparel.men.shirts", "apparel.men.trousers", "apparel.men.jackets",
    "apparel.women.dresses", "apparel.women.skirts", "apparel.women.blouses",
    "apparel.shoes.sneakers", "apparel.shoes.boots", "apparel.shoes.sandals",
    "apparel.accessories.bags", "apparel.accessories.belts", "apparel.accessories.hats",
    "sports.fitness.dumbbells", "sports.fitness.mats", "sports.fitness.bands",
    "sports.outdoor.tents", "sports.outdoor.backpacks", "sports.outdoor.flashlights",
    "sports.cycling.bikes", "sports.cycling.helmets",
    "sports.team.balls", "sports.team.nets",
    "beauty.skincare.creams", "beauty.skincare.serums",
    "beauty.makeup.lipstick", "beauty.makeup.mascara",
    "beauty.fragrance.perfume", "beauty.fragrance.deodorant",
    "kids.toys.blocks", "kids.toys.dolls", "kids.toys.puzzles",
    "kids.baby.diapers", "kids.baby.strollers",
    "kids.school.notebooks", "kids.school.pens",
    "garden.tools.shovels", "garden.tools.hoses",
    "garden.plants.seeds", "garden.plants.pots",
    "auto.parts.brakes", "auto.parts.filters",
    "auto.care.wax", "auto.care.cleaners",
};
// clang-format on
constexpr int kNumLeaves = sizeof kLeaves / sizeof kLeaves[0];

struct TopCategory {
  std::string_view name;
  double median_price;  // euros; item prices are log-normal around it
};
constexpr TopCategory kTopCategories[] = {
    {"electronics", 180}, {"home", 45}, {"apparel", 35}, {"sports", 40},
    {"beauty", 18},       {"kids", 22}, {"garden", 25},  {"auto", 30},
};
constexpr int kNumTop = sizeof kTopCategories / sizeof kTopCategories[0];
constexpr int kBrandsPerTop = 8;

int TopIndex(std::string_view leaf) {
  for (int i = 0; i < kNumTop; ++i) {
    if (leaf.substr(0, leaf.find('.')) == kTopCategories[i].name) return i;
  }
  return 0;
}

constexpr double kItemZipfExponent = 1.1;
constexpr uint32_t kNoBundle = UINT32_MAX;

struct Item {
  uint32_t leaf = 0;
  uint32_t brand = 0;  // index into Catalog::brands; "" = no brand
  uint32_t price_cents = 0;
  uint32_t bundle = kNoBundle;
  int64_t created = 0;  // epoch seconds
  bool cold = false;    // never interacted with
  bool available = true;
  uint32_t tail_offset = 0;  // into Catalog::tails
  uint32_t tail_size = 0;
};

struct Catalog {
  std::vector<Item> items;
  std::vector<std::pair<uint32_t, uint32_t>> leaf_range;  // items [first, last) per leaf
  std::vector<std::string> brands;                        // brands[0] is "" (no brand)
  // Per item: ,"category":"…","brand":"…"}\n — the constant end of its event lines.
  std::string tails;
  std::vector<uint32_t> by_rank;  // popularity rank → item; cold items have no rank
  AliasTable popularity;          // over ranks, Zipf(kItemZipfExponent)
  std::vector<std::vector<uint32_t>> bundles;
  uint32_t fallback_item = 0;  // the most popular item; exists before the first day

  std::string_view tail(uint32_t item) const {
    return std::string_view(tails).substr(items[item].tail_offset, items[item].tail_size);
  }
};

std::string MakeBrandName(Rng& rng) {
  static constexpr const char* kSyllables[] = {"ac",  "me",  "zen", "to",  "lu",  "mi", "nor",
                                               "dik", "ra",  "vo",  "sol", "tek", "ka", "pi",
                                               "ber", "gal", "ix",  "on",  "da",  "ve", "mar"};
  constexpr int n = sizeof kSyllables / sizeof kSyllables[0];
  std::string name;
  const int parts = rng.Chance(0.25) ? 3 : 2;
  for (int i = 0; i < parts; ++i) name += kSyllables[rng.Below(n)];
  return name;
}

Catalog BuildCatalog(uint64_t seed, uint64_t num_items, int64_t start, int days) {
  Rng rng(Hash(seed, kCatalogStream, 0));
  Catalog c;
  const int64_t window = static_cast<int64_t>(days) * kSecondsPerDay;

  // Brands: kBrandsPerTop distinct names per top-level category.
  c.brands.push_back("");
  std::set<std::string> seen;
  for (int t = 0; t < kNumTop * kBrandsPerTop;) {
    std::string b = MakeBrandName(rng);
    if (seen.insert(b).second) c.brands.push_back(std::move(b)), ++t;
  }

  // Leaves get contiguous item ranges of random relative size, so items of a
  // category are neighbours (the "similar item" hop of a session uses that).
  std::vector<double> leaf_weight(kNumLeaves), leaf_price(kNumLeaves);
  double total = 0;
  for (int l = 0; l < kNumLeaves; ++l) {
    leaf_weight[l] = 0.4 + rng.Uniform();
    total += leaf_weight[l];
    leaf_price[l] = kTopCategories[TopIndex(kLeaves[l])].median_price * (0.5 + rng.Uniform());
  }
  c.items.resize(num_items);
  c.leaf_range.resize(kNumLeaves);
  double cum = 0;
  uint64_t first = 0;
  for (int l = 0; l < kNumLeaves; ++l) {
    cum += leaf_weight[l];
    const uint64_t last =
        l + 1 == kNumLeaves ? num_items
                            : std::min<uint64_t>(num_items, std::llround(cum / total * num_items));
    c.leaf_range[l] = {static_cast<uint32_t>(first), static_cast<uint32_t>(last)};
    for (uint64_t i = first; i < last; ++i) c.items[i].leaf = l;
    first = last;
  }

  for (uint64_t i = 0; i < num_items; ++i) {
    Item& it = c.items[i];
    const int top = TopIndex(kLeaves[it.leaf]);
    // Brands within a category are skewed: the first few are the big ones.
    const uint64_t b = std::min(rng.Below(kBrandsPerTop), rng.Below(kBrandsPerTop));
    it.brand = rng.Chance(0.04) ? 0 : static_cast<uint32_t>(1 + top * kBrandsPerTop + b);
    double price = std::exp(std::log(leaf_price[it.leaf]) + 0.7 * rng.Normal());
    price = std::clamp(price, 0.5, 20000.0);
    uint64_t cents = static_cast<uint64_t>(std::llround(price * 100));
    if (price > 5 && rng.Chance(0.5)) cents = cents / 100 * 100 + 99;  // x.99 pricing
    it.price_cents = static_cast<uint32_t>(cents);
    const double kind = rng.Uniform();
    if (kind < 0.05) {
      // Cold: never interacted with; half old stock, half added at the very end.
      it.cold = true;
      it.created = rng.Chance(0.5)
                       ? start - static_cast<int64_t>(rng.Below(365 * kSecondsPerDay))
                       : start + window - 1 -
                             static_cast<int64_t>(rng.Below(std::max<int64_t>(1, window / 5)));
    } else if (kind < 0.15) {
      // New: appears during the window; interactions only after creation.
      it.created = start + static_cast<int64_t>(rng.Below(window));
    } else {
      it.created = start - 1 - static_cast<int64_t>(rng.Below(730LL * kSecondsPerDay));
    }
    it.available = rng.Chance(it.cold ? 0.6 : 0.95);
    it.tail_offset = static_cast<uint32_t>(c.tails.size());
    c.tails += ",\"category\":\"";
    c.tails += kLeaves[it.leaf];
    c.tails += "\",\"brand\":\"";
    c.tails += c.brands[it.brand];
    c.tails += "\"}\n";
    it.tail_size = static_cast<uint32_t>(c.tails.size() - it.tail_offset);
  }

  // Popularity: a random order of the non-cold items, Zipf weights by rank.
  for (uint32_t i = 0; i < num_items; ++i) {
    if (!c.items[i].cold) c.by_rank.push_back(i);
  }
  if (c.by_rank.empty()) c.items[0].cold = false, c.by_rank.push_back(0);
  for (size_t i = c.by_rank.size(); i > 1; --i)
    std::swap(c.by_rank[i - 1], c.by_rank[rng.Below(i)]);
  // The top item exists from the start, so a session always has something to view.
  Item& top = c.items[c.by_rank[0]];
  top.created = std::min(top.created, start - 1);
  std::vector<double> weights(c.by_rank.size());
  for (size_t r = 0; r < weights.size(); ++r) {
    weights[r] = std::pow(static_cast<double>(r + 1), -kItemZipfExponent);
  }
  c.popularity = AliasTable(weights);
  c.fallback_item = c.by_rank[0];

  // Bundles: pairs and triples of popular-but-not-top items that exist from
  // the start; carting one tends to cart the others (see DayWriter).
  const uint64_t num_bundles = std::max<uint64_t>(2, num_items / 50);
  const uint64_t lo = std::min<uint64_t>(2, c.by_rank.size());
  const uint64_t hi = std::min<uint64_t>(c.by_rank.size(), lo + 8 * num_bundles);
  for (uint64_t b = 0, attempts = 0; b < num_bundles && hi > lo && attempts < 100 * num_bundles;
       ++attempts) {
    const int size = rng.Chance(0.3) ? 3 : 2;
    std::vector<uint32_t> members;
    for (int k = 0; k < 4 * size && static_cast<int>(members.size()) < size; ++k) {
      const uint32_t item = c.by_rank[lo + rng.Below(hi - lo)];
      const Item& it = c.items[item];
      if (it.bundle != kNoBundle || it.created >= start ||
          std::find(members.begin(), members.end(), item) != members.end()) {
        continue;
      }
      members.push_back(item);
    }
    if (static_cast<int>(members.size()) < size) continue;
    for (uint32_t item : members) c.items[item].bundle = static_cast<uint32_t>(b);
    c.bundles.push_back(std::move(members));
    ++b;
  }
  return c;
}

// ---------------------------------------------------------------------------
// Users: traits are hashes of (seed, user), so nothing per user is stored.

enum class Segment { kConsumer, kB2b, kVip };

struct Country {
  std::string_view code;
  double share;
};
constexpr Country kCountries[] = {{"DE", 0.22}, {"GB", 0.16}, {"FR", 0.14}, {"US", 0.12},
                                  {"PL", 0.08}, {"NL", 0.07}, {"ES", 0.07}, {"IT", 0.06},
                                  {"SE", 0.04}, {"AT", 0.04}};

// Picks users with Zipf–Mandelbrot activity (weight ∝ (rank + r0)^-0.8):
// many users visit once or twice, a few dozen power users visit daily. Uses
// the continuous inverse CDF, so it needs no table; ranks map to user ids
// through an affine permutation so heavy users are spread over the id range.
class UserPicker {
 public:
  UserPicker(uint64_t seed, uint64_t n) : n_(n) {
    offset_ = 1.0 + std::clamp(static_cast<double>(n) / 5.0, 1.0, 200.0);
    lo_ = std::pow(offset_, 1.0 - kExponent);
    hi_ = std::pow(offset_ + static_cast<double>(n), 1.0 - kExponent);
    mult_ = Hash(seed, kUserPermutation, 0) % n | 1;
    while (std::gcd(mult_, n) != 1) ++mult_;
    add_ = Hash(seed, kUserPermutation, 1) % n;
  }
  uint64_t Pick(Rng& rng) const {
    const double x = std::pow(lo_ + (hi_ - lo_) * rng.Uniform(), 1.0 / (1.0 - kExponent));
    const uint64_t rank =
        std::min<uint64_t>(n_ - 1, static_cast<uint64_t>(std::max(0.0, x - offset_)));
    return static_cast<uint64_t>((static_cast<unsigned __int128>(rank) * mult_ + add_) % n_);
  }

 private:
  static constexpr double kExponent = 0.8;
  uint64_t n_;
  double offset_, lo_, hi_;
  uint64_t mult_, add_;
};

// ---------------------------------------------------------------------------
// The plan shared by all day writers (read-only while they run).

struct Plan {
  GeneratorOptions options;
  Codec codec = Codec::kNone;
  std::string extension;  // ".jsonl", ".jsonl.gz", ".jsonl.zst"
  uint64_t users = 0, items = 0;
  int days = 0;
  int64_t first_day = 0;  // epoch day
  int user_width = 6, item_width = 5, day_width = 3, seq_width = 6;
  std::vector<uint64_t> day_events;
  double malformed_per_good = 0;  // probability of a malformed line after each good one
  double bot_session_share = 0;
  std::vector<uint32_t> bots;
  Catalog catalog;
  std::unique_ptr<UserPicker> user_picker;

  bool IsBot(uint64_t user) const {
    return UnitHash(options.seed, kUserBot, user) < options.bot_share;
  }
  Segment SegmentOf(uint64_t user) const {
    const double h = UnitHash(options.seed, kUserSegment, user);
    return h < 0.85 ? Segment::kConsumer : h < 0.95 ? Segment::kB2b : Segment::kVip;
  }
  std::string EventsPath(int day) const {
    return options.out_dir + "/events/events-" + ingest::FormatDate(first_day + day) + extension;
  }
  std::string OrdersPartPath(int day) const {
    return options.out_dir + "/orders/.part-" + ingest::FormatDate(first_day + day) + ".csv";
  }
};

// Session start times follow an intraday profile: quiet nights, an evening peak.
class DayProfile {
 public:
  DayProfile() {
    static constexpr double kHourly[24] = {0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.60,
                                           0.80, 0.90, 0.95, 1.00, 1.05, 1.00, 0.95, 0.95,
                                           1.00, 1.10, 1.35, 1.60, 1.75, 1.65, 1.25, 0.70};
    cum_[0] = 0;
    for (int h = 0; h < 24; ++h) cum_[h + 1] = cum_[h] + kHourly[h];
    for (int h = 0; h < 24; ++h) rate_[h] = kHourly[h];
  }
  // The second of the day by which a share `f` in [0, 1) of the day's traffic has arrived.
  int Second(double f) const {
    const double x = std::clamp(f, 0.0, 1.0) * cum_[24];
    int h = 0;
    while (h < 23 && cum_[h + 1] <= x) ++h;
    const double s = h * 3600.0 + (x - cum_[h]) / rate_[h] * 3600.0;
    return std::clamp(static_cast<int>(s), 0, kSecondsPerDay - 1);
  }

 private:
  double cum_[25];
  double rate_[24];
};

enum EventType : uint8_t { kView, kAddToCart, kRemoveFromCart, kPurchase };

struct Event {
  int second = 0;  // since the day's midnight; >= kSecondsPerDay means past the day
  EventType type = kView;
  uint32_t item = 0;
  uint32_t price_cents = 0;
  uint32_t quantity = 0;  // purchases
  uint64_t order = 0;     // purchases: order number within the day
};

// Kinds of malformed lines, written in rotation.
enum class Defect {
  kNone,
  kTruncated,     // the first half of a line
  kWrongType,     // "price":"abc"
  kBadTimestamp,  // "event_time":"not a time"
  kFarFuture,     // year 2999
  kMissingUser,   // no user_id key
  kMissingItem,   // no product_id key
  kBadUtf8,       // invalid UTF-8 bytes in brand
  kNulByte,       // a NUL byte inside user_id
  kOverlong,      // a 200 KB brand (at most once per file)
  kArray,         // a JSON array instead of an object
  kBlank,         // an empty line
};
constexpr int kNumDefects = static_cast<int>(Defect::kBlank);
constexpr size_t kOverlongBytes = 200 * 1024;
constexpr size_t kMaxLine = 1024;  // bound of every line but the overlong one

struct DayStats {
  uint64_t events = 0, malformed = 0, bytes = 0, orders = 0, order_lines = 0;
};

// Writes one day: its clickstream file and its part of the order lines.
class DayWriter {
 public:
  DayWriter(const Plan& plan, int day)
      : plan_(plan),
        catalog_(plan.catalog),
        day_(day),
        day_start_((plan.first_day + day) * kSecondsPerDay),
        date_(ingest::FormatDate(plan.first_day + day)),
        far_date_("2999" + date_.substr(4)),
        rng_(Hash(plan.options.seed, kDayStream, day)),
        noise_(Hash(plan.options.seed, kNoiseStream, day)),
        next_defect_(day % kNumDefects) {}

  Status Run(DayStats* stats) {
    const std::string path = plan_.EventsPath(day_);
    const std::string tmp =
        fs::path(path).replace_filename("." + fs::path(path).filename().string() + ".tmp").string();
    RETURN_IF_ERROR(events_sink_.Open(tmp, plan_.codec));
    RETURN_IF_ERROR(orders_sink_.Open(plan_.OrdersPartPath(day_), Codec::kNone));
    const uint64_t target = plan_.day_events[day_];
    std::vector<Event> session;
    while (stats_.events < target) {
      session.clear();
      // Sessions start in traffic order: the share of the day's events written
      // so far says how far into the day we are.
      const double f =
          (static_cast<double>(stats_.events) + 8 * rng_.Uniform()) / static_cast<double>(target);
      const bool bot = !plan_.bots.empty() && rng_.Chance(plan_.bot_session_share);
      if (bot) {
        user_ = plan_.bots[rng_.Below(plan_.bots.size())];
        BotSession(profile_.Second(f), &session);
      } else {
        user_ = PickHuman();
        HumanSession(profile_.Second(f), &session);
      }
      // A session cut by midnight or by the day's quota just ends (its first
      // event always fits, so every session makes progress).
      for (const Event& e : session) {
        if (stats_.events == target || e.second >= kSecondsPerDay) break;
        RETURN_IF_ERROR(Emit(e));
      }
      ++session_seq_;
    }
    RETURN_IF_ERROR(events_.Flush());
    RETURN_IF_ERROR(events_sink_.Close());
    RETURN_IF_ERROR(orders_.Flush());
    RETURN_IF_ERROR(orders_sink_.Close());
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return Status::IOError(path + ": rename failed: " + ec.message());
    stats_.bytes = events_sink_.bytes_on_disk();
    *stats = stats_;
    return Status::OK();
  }

 private:
  uint64_t PickHuman() {
    uint64_t u = 0;
    for (int i = 0; i < 64; ++i) {
      u = plan_.user_picker->Pick(rng_);
      if (!plan_.IsBot(u)) break;
    }
    return u;
  }

  bool Exists(uint32_t item, int second) const {
    return !catalog_.items[item].cold && catalog_.items[item].created <= day_start_ + second;
  }

  // A popular item that exists at `second`.
  uint32_t SampleItem(int second) {
    for (int i = 0; i < 8; ++i) {
      const uint32_t item = catalog_.by_rank[catalog_.popularity.Sample(rng_)];
      if (Exists(item, second)) return item;
    }
    return catalog_.fallback_item;
  }

  // Another item of the same leaf category, else a popular one.
  uint32_t SimilarItem(uint32_t item, int second) {
    const auto [first, last] = catalog_.leaf_range[catalog_.items[item].leaf];
    const uint32_t other = first + static_cast<uint32_t>(rng_.Below(last - first));
    return Exists(other, second) ? other : SampleItem(second);
  }

  // For availability checks: a second within the day.
  static int Clamp(double second) {
    return static_cast<int>(std::min<double>(second, kSecondsPerDay - 1));
  }

  // An event at `t` seconds after midnight (may lie past the day; see Run).
  Event Make(double t, EventType type, uint32_t item) {
    Event e;
    e.second = static_cast<int>(std::min<double>(t, 2 * kSecondsPerDay));
    e.type = type;
    e.item = item;
    e.price_cents = catalog_.items[item].price_cents;
    return e;
  }

  // A crawler: a fast walk over the catalog, views only.
  void BotSession(int start, std::vector<Event>* out) {
    const uint64_t n = 20 + rng_.Below(100);
    uint32_t item = static_cast<uint32_t>(rng_.Below(catalog_.items.size()));
    double t = start;
    for (uint64_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < catalog_.items.size() && !Exists(item, Clamp(t)); ++k) {
        item = static_cast<uint32_t>((item + 1) % catalog_.items.size());
      }
      if (!Exists(item, Clamp(t))) item = catalog_.fallback_item;
      out->push_back(Make(t, kView, item));
      t += 1 + static_cast<double>(rng_.Below(3));
      item = static_cast<uint32_t>((item + 1) % catalog_.items.size());
    }
  }

  // A shopper: views (with hops to similar items), some carts, sometimes an order.
  void HumanSession(int start, std::vector<Event>* out) {
    const Segment segment = plan_.SegmentOf(user_);
    const double cart_p = segment == Segment::kConsumer ? 0.042
                          : segment == Segment::kB2b    ? 0.07
                                                        : 0.06;
    const double buy_p = segment == Segment::kConsumer ? 0.38
                         : segment == Segment::kB2b    ? 0.5
                                                       : 0.55;
    const uint64_t views = 1 + std::min<uint64_t>(59, rng_.Geometric(4.5));
    std::vector<uint32_t>& cart = cart_;
    cart.clear();
    double t = start;
    uint32_t prev = 0;
    // Repeat buyers come back for their staple item now and then.
    const bool staple_visit =
        UnitHash(plan_.options.seed, kUserRepeat, user_) < 0.3 && rng_.Chance(0.12);
    for (uint64_t v = 0; v < views; ++v) {
      if (v > 0) t += 4 + rng_.Exponential(35);
      uint32_t item;
      if (v == 0 && staple_visit) {
        item = StapleItem(Clamp(t));
      } else if (v > 0 && rng_.Chance(0.35)) {
        item = SimilarItem(prev, Clamp(t));
      } else {
        item = SampleItem(Clamp(t));
      }
      out->push_back(Make(t, kView, item));
      prev = item;
      if (!cart.empty() && rng_.Chance(0.04)) {
        const size_t k = rng_.Below(cart.size());
        t += 2 + rng_.Exponential(10);
        out->push_back(Make(t, kRemoveFromCart, cart[k]));
        cart.erase(cart.begin() + static_cast<std::ptrdiff_t>(k));
      }
      if (rng_.Chance(v == 0 && staple_visit ? 0.5 : cart_p)) {
        t += 3 + rng_.Exponential(20);
        out->push_back(Make(t, kAddToCart, item));
        cart.push_back(item);
        const uint32_t bundle = catalog_.items[item].bundle;
        if (bundle != kNoBundle && rng_.Chance(0.8)) {
          for (uint32_t other : catalog_.bundles[bundle]) {
            if (other == item) continue;
            t += 5 + rng_.Exponential(20);
            out->push_back(Make(t, kView, other));
            t += 3 + rng_.Exponential(10);
            out->push_back(Make(t, kAddToCart, other));
            cart.push_back(other);
          }
        }
      }
    }
    if (cart.empty() || !rng_.Chance(buy_p)) return;
    // Checkout: one order, one line per distinct item (carting twice = quantity 2).
    t += 20 + rng_.Exponential(90);
    ++order_seq_;
    std::sort(cart.begin(), cart.end());
    for (size_t i = 0; i < cart.size();) {
      size_t j = i;
      while (j < cart.size() && cart[j] == cart[i]) ++j;
      Event e = Make(t, kPurchase, cart[i]);
      e.quantity = static_cast<uint32_t>(j - i) * Quantity(segment);
      if (rng_.Chance(0.1)) e.price_cents = std::max<uint32_t>(1, e.price_cents / 10 * 9);
      e.order = order_seq_;
      out->push_back(e);
      i = j;
    }
  }

  uint32_t Quantity(Segment segment) {
    switch (segment) {
      case Segment::kB2b:
        return 1 + static_cast<uint32_t>(rng_.Below(12));
      case Segment::kVip:
        return 1 + static_cast<uint32_t>(rng_.Below(3));
      case Segment::kConsumer:
        break;
    }
    const double u = rng_.Uniform();
    return u < 0.88 ? 1 : u < 0.97 ? 2 : 3;
  }

  // The user's staple: fixed per user (a hash), among the popular items.
  uint32_t StapleItem(int second) {
    Rng r(Hash(plan_.options.seed, kUserStaple, user_));
    const uint32_t item = catalog_.by_rank[catalog_.popularity.Sample(r)];
    return Exists(item, second) ? item : SampleItem(second);
  }

  std::string_view TypeName(EventType type) {
    switch (type) {
      case kView:
        return "view";
      case kAddToCart: {
        // Rare aliases exercise the project's event-type mapping.
        const double u = rng_.Uniform();
        return u < 0.004 ? "addToCart" : u < 0.008 ? "cart" : "add_to_cart";
      }
      case kRemoveFromCart:
        return rng_.Chance(0.01) ? "removeFromCart" : "remove_from_cart";
      case kPurchase:
        return "purchase";
    }
    return "view";
  }

  Status Emit(const Event& e) {
    const std::string_view type = TypeName(e.type);
    RETURN_IF_ERROR(events_.Reserve(kMaxLine));
    events_.Commit(WriteLine(events_.tail(), e, type, Defect::kNone));
    ++stats_.events;
    if (e.type == kPurchase) {
      if (e.order != last_order_) ++stats_.orders, last_order_ = e.order;
      ++stats_.order_lines;
      RETURN_IF_ERROR(orders_.Reserve(kMaxLine));
      char* p = orders_.tail();
      *p++ = 'o';
      p = PutPadded(p, day_, plan_.day_width);
      *p++ = '-';
      p = PutPadded(p, e.order, plan_.seq_width);
      p = Put(p, ",u");
      p = PutPadded(p, user_, plan_.user_width);
      p = Put(p, ",p");
      p = PutPadded(p, e.item, plan_.item_width);
      *p++ = ',';
      p = PutUint(p, e.quantity);
      *p++ = ',';
      p = PutCents(p, e.price_cents);
      *p++ = ',';
      p = Put(p, date_);
      *p++ = ' ';
      p = PutClock(p, e.second);
      *p++ = '\n';
      orders_.Commit(p);
    }
    // Malformed lines come from their own stream, so good lines do not depend
    // on malformed_share.
    if (plan_.malformed_per_good > 0 && noise_.Chance(plan_.malformed_per_good)) {
      RETURN_IF_ERROR(EmitMalformed(e, type));
    }
    return Status::OK();
  }

  Status EmitMalformed(const Event& e, std::string_view type) {
    Defect d = static_cast<Defect>(1 + next_defect_);
    if (d == Defect::kOverlong && overlong_written_) {
      next_defect_ = (next_defect_ + 1) % kNumDefects;
      d = static_cast<Defect>(1 + next_defect_);
    }
    next_defect_ = (next_defect_ + 1) % kNumDefects;
    ++stats_.malformed;
    RETURN_IF_ERROR(events_.Reserve(d == Defect::kOverlong ? kOverlongBytes + kMaxLine : kMaxLine));
    char* start = events_.tail();
    char* p = start;
    switch (d) {
      case Defect::kTruncated:
        p = start + (WriteLine(start, e, type, Defect::kNone) - start) / 2;
        *p++ = '\n';
        break;
      case Defect::kArray:
        p = Put(p, "[\"");
        p = Put(p, date_);
        *p++ = 'T';
        p = PutClock(p, e.second);
        p = Put(p, "Z\",\"");
        p = Put(p, type);
        p = Put(p, "\",\"u");
        p = PutPadded(p, user_, plan_.user_width);
        p = Put(p, "\",\"p");
        p = PutPadded(p, e.item, plan_.item_width);
        p = Put(p, "\"]\n");
        break;
      case Defect::kBlank:
        *p++ = '\n';
        break;
      case Defect::kOverlong:
        overlong_written_ = true;
        p = WriteLine(start, e, type, d);
        break;
      default:
        p = WriteLine(start, e, type, d);
        break;
    }
    events_.Commit(p);
    return Status::OK();
  }

  // One clickstream line; `d` names the defect to build in (kNone for a good line).
  // REQUIRES: room for kMaxLine bytes (plus kOverlongBytes for kOverlong) at p.
  char* WriteLine(char* p, const Event& e, std::string_view type, Defect d) const {
    p = Put(p, "{\"event_time\":\"");
    if (d == Defect::kBadTimestamp) {
      p = Put(p, "not a time");
    } else {
      p = Put(p, d == Defect::kFarFuture ? far_date_ : date_);
      *p++ = 'T';
      p = PutClock(p, e.second);
      *p++ = 'Z';
    }
    p = Put(p, "\",\"event_type\":\"");
    p = Put(p, type);
    if (d != Defect::kMissingUser) {
      p = Put(p, "\",\"user_id\":\"u");
      if (d == Defect::kNulByte) *p++ = '\0';
      p = PutPadded(p, user_, plan_.user_width);
    }
    if (d != Defect::kMissingItem) {
      p = Put(p, "\",\"product_id\":\"p");
      p = PutPadded(p, e.item, plan_.item_width);
    }
    p = Put(p, "\",\"session_id\":\"s");
    p = PutPadded(p, day_, plan_.day_width);
    *p++ = '-';
    p = PutPadded(p, session_seq_, plan_.seq_width);
    p = Put(p, "\",\"price\":");
    p = d == Defect::kWrongType ? Put(p, "\"abc\"") : PutCents(p, e.price_cents);
    if (d == Defect::kBadUtf8 || d == Defect::kOverlong) {
      const Item& it = catalog_.items[e.item];
      p = Put(p, ",\"category\":\"");
      p = Put(p, kLeaves[it.leaf]);
      p = Put(p, "\",\"brand\":\"");
      p = Put(p, catalog_.brands[it.brand]);
      if (d == Defect::kBadUtf8) {
        p = Put(p, "\xff\xfe\xc3\x28");
      } else {
        std::memset(p, 'x', kOverlongBytes);
        p += kOverlongBytes;
      }
      return Put(p, "\"}\n");
    }
    return Put(p, catalog_.tail(e.item));
  }

  const Plan& plan_;
  const Catalog& catalog_;
  const int day_;
  const int64_t day_start_;  // epoch seconds of 00:00:00
  const std::string date_;
  const std::string far_date_;
  Rng rng_;    // everything that shapes good lines
  Rng noise_;  // where malformed lines go
  DayProfile profile_;
  FileSink events_sink_, orders_sink_;
  LineBuffer events_{&events_sink_}, orders_{&orders_sink_};
  DayStats stats_;
  uint64_t user_ = 0;
  uint64_t session_seq_ = 0;
  uint64_t order_seq_ = 0;
  uint64_t last_order_ = 0;
  int next_defect_;
  bool overlong_written_ = false;
  std::vector<uint32_t> cart_;
};

// ---------------------------------------------------------------------------
// The non-clickstream files.

Status WriteProducts(const Plan& plan) {
  const Catalog& c = plan.catalog;
  CsvFile f;
  RETURN_IF_ERROR(f.Open(plan.options.out_dir + "/catalog/products.csv"));
  LineBuffer& b = f.buffer();
  RETURN_IF_ERROR(b.Append("product_id,title,category_path,brand,price,available,created_at\n"));
  for (uint32_t i = 0; i < c.items.size(); ++i) {
    const Item& it = c.items[i];
    const std::string_view leaf = kLeaves[it.leaf];
    std::string title = it.brand == 0 ? "Generic" : c.brands[it.brand];
    if (title[0] >= 'a' && title[0] <= 'z') title[0] = static_cast<char>(title[0] - 'a' + 'A');
    RETURN_IF_ERROR(b.Reserve(kMaxLine));
    char* p = b.tail();
    *p++ = 'p';
    p = PutPadded(p, i, plan.item_width);
    *p++ = ',';
    p = Put(p, title);
    *p++ = ' ';
    p = Put(p, leaf.substr(leaf.rfind('.') + 1));
    *p++ = ' ';
    *p++ = static_cast<char>('A' + Hash(plan.options.seed, kCatalogStream, i) % 26);
    p = PutPadded(p, Hash(plan.options.seed, kCatalogStream + 100, i) % 1000, 3);
    *p++ = ',';
    p = Put(p, leaf);
    *p++ = ',';
    p = Put(p, c.brands[it.brand]);
    *p++ = ',';
    p = PutCents(p, it.price_cents);
    p = Put(p, it.available ? ",yes," : ",no,");
    p = Put(p, FormatTime(it.created, 'T', true));
    *p++ = '\n';
    b.Commit(p);
  }
  return f.Close();
}

// customers.csv (everyone but the bots) and truth/bots.csv in one pass.
Status WriteUsers(const Plan& plan) {
  const uint64_t seed = plan.options.seed;
  const int64_t start = plan.first_day * kSecondsPerDay;
  CsvFile customers, bots;
  RETURN_IF_ERROR(customers.Open(plan.options.out_dir + "/customers/customers.csv"));
  RETURN_IF_ERROR(bots.Open(plan.options.out_dir + "/truth/bots.csv"));
  RETURN_IF_ERROR(customers.buffer().Append("customer_id,segment,country,created_at\n"));
  RETURN_IF_ERROR(bots.buffer().Append("user_id\n"));
  for (uint64_t u = 0; u < plan.users; ++u) {
    LineBuffer& b = plan.IsBot(u) ? bots.buffer() : customers.buffer();
    RETURN_IF_ERROR(b.Reserve(kMaxLine));
    char* p = b.tail();
    *p++ = 'u';
    p = PutPadded(p, u, plan.user_width);
    if (plan.IsBot(u)) {
      *p++ = '\n';
      b.Commit(p);
      continue;
    }
    const Segment s = plan.SegmentOf(u);
    p = Put(p, s == Segment::kConsumer ? ",consumer," : s == Segment::kB2b ? ",b2b," : ",vip,");
    double h = UnitHash(seed, kUserCountry, u);
    std::string_view country = kCountries[0].code;
    for (const Country& c : kCountries) {
      country = c.code;
      if ((h -= c.share) < 0) break;
    }
    p = Put(p, country);
    *p++ = ',';
    // Accounts opened up to three years before the window, some during it.
    const int64_t span = (3 * 365 + plan.days) * static_cast<int64_t>(kSecondsPerDay);
    const int64_t created = start - 3 * 365 * static_cast<int64_t>(kSecondsPerDay) +
                            static_cast<int64_t>(Hash(seed, kUserCreated, u) % span);
    p = Put(p, FormatTime(created, 'T', true));
    *p++ = '\n';
    b.Commit(p);
  }
  RETURN_IF_ERROR(bots.Close());
  return customers.Close();
}

Status WriteTruth(const Plan& plan) {
  const Catalog& c = plan.catalog;
  const std::string dir = plan.options.out_dir + "/truth/";
  std::string bundles = "bundle_id,item_id\n";
  for (size_t b = 0; b < c.bundles.size(); ++b) {
    for (uint32_t item : c.bundles[b]) {
      char buf[64];
      char* p = buf;
      *p++ = 'b';
      p = PutPadded(p, b, 4);
      p = Put(p, ",p");
      p = PutPadded(p, item, plan.item_width);
      *p++ = '\n';
      bundles.append(buf, p);
    }
  }
  RETURN_IF_ERROR(WriteFileAtomic(dir + "bundles.csv", bundles));
  CsvFile cold;
  RETURN_IF_ERROR(cold.Open(dir + "cold_items.csv"));
  RETURN_IF_ERROR(cold.buffer().Append("item_id\n"));
  for (uint32_t i = 0; i < c.items.size(); ++i) {
    if (!c.items[i].cold) continue;
    RETURN_IF_ERROR(cold.buffer().Reserve(kMaxLine));
    char* p = cold.buffer().tail();
    *p++ = 'p';
    p = PutPadded(p, i, plan.item_width);
    *p++ = '\n';
    cold.buffer().Commit(p);
  }
  RETURN_IF_ERROR(cold.Close());
  return WriteFileAtomic(dir + "README.txt",
                         R"(What the generator planted, for tests that need a known right answer.

bundles.csv     bundle_id,item_id. Items of one bundle are bought together: when a
                shopper carts one, the others follow into the same cart 80% of the
                time, so they share orders far more often than their popularity
                explains. A "frequently bought together" model should find them.
bots.csv        user_id. Crawlers: long sessions of views one to three seconds
                apart walking the catalog, never a cart or a purchase. They are not
                in customers/customers.csv. A bot filter should flag them.
cold_items.csv  item_id. Catalog items that no event touches (old stock, or added
                in the last days). Cold-start recommenders must still place them.

Also by construction: items of one leaf category have consecutive ids and a
session hops to a similar item (same leaf) 35% of the time; item popularity is
Zipf (exponent 1.1); every clickstream purchase has exactly one line in
orders/orders.csv (same user, item and second; session = order).
)");
}

Status WriteProject(const Plan& plan) {
  std::string toml =
      R"(# Written by `recmart generate`: a synthetic shop. Paths are relative to this file.

[project]
name = "synthetic-shop"
lake = "lake"

[etl]
memory_limit = "1GB"
threads = 0
compression = "zstd"
session_gap_minutes = 30

[matrix]
half_life_days = 0
[matrix.weights]
view = 1.0
add_to_cart = 4.0
purchase = 10.0
remove_from_cart = -1.0

[[sources]]
name = "clickstream"
kind = "events"
path = "events/*)";
  toml += plan.extension;
  toml += R"("
format = "jsonl"
compression = "auto"
on_schema_change = "log"
[sources.columns]
USER_ID = "user_id"
ITEM_ID = "product_id"
TIMESTAMP = "event_time"
EVENT_TYPE = "event_type"
EVENT_VALUE = "price"
SESSION_ID = "session_id"
[sources.timestamp]
format = "iso8601"
[sources.event_types]
cart = "add_to_cart"
addtocart = "add_to_cart"
[sources.item_columns]
CATEGORY_PATH = "category"
BRAND = "brand"
PRICE = "price"

[[sources]]
name = "products"
kind = "items"
path = "catalog/products.csv"
format = "csv"
[sources.columns]
ITEM_ID = "product_id"
TITLE = "title"
CATEGORY_PATH = "category_path"
BRAND = "brand"
PRICE = "price"
AVAILABLE = "available"
CREATION_TIMESTAMP = "created_at"

[[sources]]
name = "customers"
kind = "users"
path = "customers/customers.csv"
format = "csv"
[sources.columns]
USER_ID = "customer_id"
SEGMENT = "segment"
COUNTRY = "country"
CREATION_TIMESTAMP = "created_at"

[[sources]]
name = "orders"
kind = "transactions"
path = "orders/orders.csv"
format = "csv"
[sources.columns]
USER_ID = "customer_id"
ITEM_ID = "product_id"
TIMESTAMP = "ordered_at"
ORDER_ID = "order_id"
QUANTITY = "quantity"
UNIT_PRICE = "unit_price"
[sources.timestamp]
format = "datetime"
)";
  return WriteFileAtomic(plan.options.out_dir + "/recmart.toml", toml);
}

// orders/orders.csv = header + the day parts in day order; the parts are removed.
Status ConcatenateOrders(const Plan& plan) {
  const std::string path = plan.options.out_dir + "/orders/orders.csv";
  FileSink out;
  RETURN_IF_ERROR(out.Open(path, Codec::kNone));
  constexpr std::string_view kHeader =
      "order_id,customer_id,product_id,quantity,unit_price,ordered_at\n";
  RETURN_IF_ERROR(out.Write(kHeader.data(), kHeader.size()));
  std::vector<char> buf(1 << 20);
  for (int d = 0; d < plan.days; ++d) {
    const std::string part = plan.OrdersPartPath(d);
    FILE* in = std::fopen(part.c_str(), "rb");
    if (in == nullptr) return Status::IOError(part + ": " + std::strerror(errno));
    size_t n;
    Status s;
    while (s.ok() && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0)
      s = out.Write(buf.data(), n);
    const bool read_error = std::ferror(in) != 0;
    std::fclose(in);
    RETURN_IF_ERROR(s);
    if (read_error) return Status::IOError(part + ": read failed");
    std::error_code ec;
    fs::remove(part, ec);
  }
  return out.Close();
}

StatusOr<Plan> MakePlan(const GeneratorOptions& o) {
  Plan plan;
  plan.options = o;
  if (o.out_dir.empty()) return Status::InvalidArgument("generator: out_dir is empty");
  if (o.days < 1 || o.days > 3660) {
    return Status::InvalidArgument("generator: days must be in 1..3660, got " +
                                   std::to_string(o.days));
  }
  if (o.users < 0) return Status::InvalidArgument("generator: users must be >= 0 (0 = auto)");
  if (o.items < 0) return Status::InvalidArgument("generator: items must be >= 0 (0 = auto)");
  if (!(o.malformed_share >= 0 && o.malformed_share < 0.9)) {
    return Status::InvalidArgument("generator: malformed_share must be in [0, 0.9)");
  }
  if (!(o.bot_share >= 0 && o.bot_share <= 0.5)) {
    return Status::InvalidArgument("generator: bot_share must be in [0, 0.5]");
  }
  if (o.compression == "none") {
    plan.codec = Codec::kNone, plan.extension = ".jsonl";
  } else if (o.compression == "gzip") {
    plan.codec = Codec::kGzip, plan.extension = ".jsonl.gz";
  } else if (o.compression == "zstd") {
    plan.codec = Codec::kZstd, plan.extension = ".jsonl.zst";
  } else {
    return Status::InvalidArgument("generator: compression must be none, gzip or zstd, got '" +
                                   o.compression + "'");
  }
  ingest::TimestampSpec spec;
  spec.format = ingest::TimestampFormat::kIso8601;
  const ingest::ParsedTimestamp start = ingest::ParseTimestamp(o.start_date, spec);
  if (start.error != ingest::ValueError::kNone || o.start_date.size() != 10) {
    return Status::InvalidArgument("generator: start_date must be YYYY-MM-DD, got '" +
                                   o.start_date + "'");
  }
  plan.first_day = ingest::EpochDay(start.epoch_seconds);
  plan.days = o.days;
  plan.users = o.users > 0 ? static_cast<uint64_t>(o.users) : std::max<uint64_t>(10, o.events / 20);
  plan.items =
      o.items > 0 ? static_cast<uint64_t>(o.items) : std::max<uint64_t>(200, o.events / 200);
  // Per-item tables cost ~100 bytes an item; users cost nothing but 32-bit ids.
  if (plan.items > 10'000'000 || plan.users > (1ull << 31)) {
    return Status::InvalidArgument("generator: at most 10,000,000 items and 2^31 users");
  }
  plan.user_width = std::max(6, Digits(plan.users - 1));
  plan.item_width = std::max(5, Digits(plan.items - 1));
  plan.day_width = std::max(3, Digits(static_cast<uint64_t>(plan.days - 1)));

  // Events per day: weekends busier, each day jittered by a few percent; the
  // total is exactly o.events.
  Rng rng(Hash(o.seed, kPlanStream, 0));
  static constexpr double kWeekday[7] = {1.3, 0.95, 0.95, 1.0, 1.0, 1.05, 1.25};  // Sunday first
  std::vector<double> cum(plan.days + 1, 0.0);
  for (int d = 0; d < plan.days; ++d) {
    const int dow = static_cast<int>(((plan.first_day + d) % 7 + 11) % 7);  // 1970-01-01: Thursday
    cum[d + 1] = cum[d] + kWeekday[dow] * (0.95 + 0.1 * rng.Uniform());
  }
  uint64_t prev = 0, most = 0;
  for (int d = 0; d < plan.days; ++d) {
    const uint64_t next =
        d + 1 == plan.days
            ? o.events
            : std::min<uint64_t>(
                  o.events, static_cast<uint64_t>(static_cast<long double>(o.events) * cum[d + 1] /
                                                  cum[plan.days]));
    plan.day_events.push_back(next - std::min(prev, next));
    most = std::max(most, plan.day_events.back());
    prev = std::max(prev, next);
  }
  plan.seq_width = std::max(6, Digits(most));
  plan.malformed_per_good = o.malformed_share / (1.0 - o.malformed_share);

  for (uint64_t u = 0; u < plan.users; ++u) {
    if (plan.IsBot(u)) plan.bots.push_back(static_cast<uint32_t>(u));
  }
  // Bots make ~5x their share of events: a bot session has ~70 events, a
  // human one ~6.
  if (!plan.bots.empty()) {
    const double bot_events = std::min(0.5, 5 * o.bot_share);
    plan.bot_session_share = bot_events * 6 / (bot_events * 6 + (1 - bot_events) * 70);
  }
  plan.user_picker = std::make_unique<UserPicker>(o.seed, plan.users);
  plan.catalog = BuildCatalog(o.seed, plan.items, plan.first_day * kSecondsPerDay, plan.days);
  return plan;
}

// Refuses to mix runs: a file in events/ that this run would not write would be
// read by the project's glob next to ours.
Status CheckEventsDir(const Plan& plan) {
  std::set<std::string> ours;
  for (int d = 0; d < plan.days; ++d) ours.insert(fs::path(plan.EventsPath(d)).filename());
  std::vector<std::string> foreign;
  std::error_code ec;
  for (fs::directory_iterator it(plan.options.out_dir + "/events", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(".") && ours.count(name) == 0) foreign.push_back(name);
  }
  if (foreign.empty()) return Status::OK();
  std::sort(foreign.begin(), foreign.end());
  return Status::FailedPrecondition(
      "generator: " + plan.options.out_dir + "/events holds " + std::to_string(foreign.size()) +
      " file(s) this run would not write (first: " + foreign[0] +
      "); the project's glob would read them too: remove them or choose another output directory");
}

}  // namespace

Status Generate(const GeneratorOptions& options, GeneratorStats* stats) {
  ASSIGN_OR_RETURN(const Plan plan, MakePlan(options));
  for (const char* sub : {"events", "catalog", "customers", "orders", "truth"}) {
    std::error_code ec;
    fs::create_directories(options.out_dir + "/" + sub, ec);
    if (ec) return Status::IOError(options.out_dir + "/" + sub + ": " + ec.message());
  }
  RETURN_IF_ERROR(CheckEventsDir(plan));
  RETURN_IF_ERROR(WriteProducts(plan));
  RETURN_IF_ERROR(WriteUsers(plan));
  RETURN_IF_ERROR(WriteTruth(plan));

  // Days are independent (own random streams, own files): workers take the
  // next day until none is left.
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, plan.days);
  std::vector<DayStats> day_stats(plan.days);
  std::vector<Status> day_status(plan.days);
  std::atomic<int> next_day{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (int d; !failed.load() && (d = next_day.fetch_add(1)) < plan.days;) {
      DayWriter writer(plan, d);
      day_status[d] = writer.Run(&day_stats[d]);
      if (!day_status[d].ok()) failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const Status& s : day_status) RETURN_IF_ERROR(s);
  RETURN_IF_ERROR(ConcatenateOrders(plan));
  if (options.write_project) RETURN_IF_ERROR(WriteProject(plan));

  if (stats != nullptr) {
    *stats = GeneratorStats{};
    for (const DayStats& d : day_stats) {
      stats->events_written += d.events;
      stats->malformed_written += d.malformed;
      stats->bytes_written += d.bytes;
      stats->orders += d.orders;
      stats->order_lines += d.order_lines;
    }
    stats->items = plan.items;
    stats->users = plan.users;
    stats->files = plan.days;
  }
  return Status::OK();
}

}  // namespace recmart::gen
