#include "recmart/filter/bitmap_cache.h"

#include <cassert>

namespace recmart::filter {

BitmapCache::BitmapCache(size_t capacity) : capacity_(capacity) { assert(capacity >= 1); }

std::shared_ptr<const ItemBitmap> BitmapCache::Lookup(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

std::shared_ptr<const ItemBitmap> BitmapCache::Insert(std::string key,
                                                      std::shared_ptr<const ItemBitmap> bitmap) {
  std::lock_guard<std::mutex> lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  if (lru_.size() >= capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(std::move(key), std::move(bitmap));
  index_.emplace(lru_.front().first, lru_.begin());
  return lru_.front().second;
}

size_t BitmapCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

uint64_t BitmapCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t BitmapCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace recmart::filter
