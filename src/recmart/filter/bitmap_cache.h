// A bounded, thread-safe LRU of item bitmaps, shared by the request threads
// of a server so that a filter's item-metadata part is computed once per
// (bound filter, catalog version) rather than once per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace recmart::filter {

// Bit i of word i / 64 (bit i % 64) is set when item i passes.
using ItemBitmap = std::vector<uint64_t>;

// Keys are opaque strings (Evaluate uses the canonical text of a bound item
// filter plus the catalog's version and size). One cache serves one item
// catalog: two catalogs that report the same version() must not share a cache.
//
// Memory: at most `capacity` bitmaps of ceil(items / 64) * 8 bytes each,
// plus their keys; 256 bitmaps over 100,000 items take 3.2 MB.
//
// Thread safety: every method may be called concurrently. Returned bitmaps
// are immutable and stay valid while held, even after eviction.
class BitmapCache {
 public:
  // REQUIRES: capacity >= 1.
  explicit BitmapCache(size_t capacity = 256);

  BitmapCache(const BitmapCache&) = delete;
  BitmapCache& operator=(const BitmapCache&) = delete;

  // The bitmap stored under `key`, now the most recently used; null when
  // absent. Counts a hit or a miss.
  std::shared_ptr<const ItemBitmap> Lookup(std::string_view key);

  // Stores `bitmap` under `key`, evicting the least recently used entry when
  // full, and returns it. If `key` is already present (another thread built
  // the same bitmap meanwhile) keeps and returns the stored one, so every
  // caller ends up sharing one copy.
  std::shared_ptr<const ItemBitmap> Insert(std::string key,
                                           std::shared_ptr<const ItemBitmap> bitmap);

  size_t capacity() const { return capacity_; }
  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const ItemBitmap>>;

  const size_t capacity_;
  mutable std::mutex mu_;
  // Most recently used first. Guarded by mu_, like every member below.
  std::list<Entry> lru_;
  // Views of the keys stored in lru_, whose nodes never move.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace recmart::filter
