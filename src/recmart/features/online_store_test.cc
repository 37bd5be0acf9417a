#include "recmart/features/online_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "recmart/common/testing.h"

namespace recmart::features {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using testing::StatusIs;

TEST(OnlineStoreTest, ReplaceGroupSwapsOneGroupOnly) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/fs.lmdb";
  EXPECT_THAT(OnlineStore::Open(path, /*read_only=*/true),
              StatusIs(StatusCode::kNotFound, HasSubstr("features not materialized")));
  auto store = OnlineStore::Open(path, /*read_only=*/false, 16);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->ReplaceGroup("user", {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE((*store)->ReplaceGroup("user_item", {{std::string("a\0x", 3), "3"}}).ok());
  ASSERT_TRUE((*store)->ReplaceGroup("item", {{"a", "item-a"}}).ok());
  EXPECT_THAT(*(*store)->Get("user", "a"), Optional(std::string("1")));
  // The next snapshot drops "a": it must not linger.
  size_t skipped = 9;
  ASSERT_TRUE((*store)
                  ->ReplaceGroup("user", {{"b", "22"}, {std::string(600, 'x'), "long"}}, &skipped)
                  .ok());
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(*(*store)->Get("user", "a"), std::nullopt);
  EXPECT_THAT(*(*store)->Get("user", "b"), Optional(std::string("22")));
  EXPECT_EQ(*(*store)->Count("user"), 1u);
  // Other groups (one whose name starts like "user") are untouched.
  EXPECT_THAT(*(*store)->Get("user_item", std::string("a\0x", 3)), Optional(std::string("3")));
  EXPECT_THAT(*(*store)->Get("item", "a"), Optional(std::string("item-a")));

  // Read-only, it sees the committed state. (LMDB wants one environment per
  // file per process: close the writer first.)
  store->reset();
  auto reader = OnlineStore::Open(path, /*read_only=*/true, 16);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT(*(*reader)->Get("user", "b"), Optional(std::string("22")));
  EXPECT_THAT((*reader)->ReplaceGroup("user", {}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
}

}  // namespace
}  // namespace recmart::features
