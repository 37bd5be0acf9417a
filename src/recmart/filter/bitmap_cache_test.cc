#include "recmart/filter/bitmap_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace recmart::filter {
namespace {

std::shared_ptr<const ItemBitmap> Bits(uint64_t word) {
  return std::make_shared<const ItemBitmap>(ItemBitmap{word});
}

TEST(BitmapCacheTest, LookupFindsInsertedAndCounts) {
  BitmapCache cache(4);
  EXPECT_EQ(cache.Lookup("a"), nullptr);
  const auto a = Bits(1);
  EXPECT_EQ(cache.Insert("a", a), a);
  EXPECT_EQ(cache.Lookup("a"), a);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(BitmapCacheTest, FirstInsertWins) {
  BitmapCache cache(4);
  const auto first = Bits(1);
  cache.Insert("k", first);
  EXPECT_EQ(cache.Insert("k", Bits(2)), first);
  EXPECT_EQ(cache.Lookup("k"), first);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(BitmapCacheTest, EvictsLeastRecentlyUsed) {
  BitmapCache cache(2);
  cache.Insert("a", Bits(1));
  cache.Insert("b", Bits(2));
  ASSERT_NE(cache.Lookup("a"), nullptr);  // "b" is now the least recently used
  cache.Insert("c", Bits(3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Lookup("a"), nullptr);
  EXPECT_EQ(cache.Lookup("b"), nullptr);
  EXPECT_NE(cache.Lookup("c"), nullptr);
}

TEST(BitmapCacheTest, EvictedBitmapStaysValidWhileHeld) {
  BitmapCache cache(1);
  const std::shared_ptr<const ItemBitmap> held = cache.Insert("a", Bits(7));
  cache.Insert("b", Bits(8));
  EXPECT_EQ(cache.Lookup("a"), nullptr);
  EXPECT_EQ((*held)[0], 7u);
}

TEST(BitmapCacheTest, ConcurrentUseKeepsItsBound) {
  BitmapCache cache(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string((i * 7 + t) % 20);
        if (auto hit = cache.Lookup(key)) {
          EXPECT_EQ((*hit)[0], static_cast<uint64_t>(std::stoi(key)));
        } else {
          cache.Insert(key, Bits(std::stoi(key)));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache.size(), 8u);
  EXPECT_EQ(cache.hits() + cache.misses(), 8000u);
}

}  // namespace
}  // namespace recmart::filter
