// The candidate-list file: round trip, and every kind of damage refused.
// (Building the lists and answering from them: recommend_test.cc.)
#include "recmart/engine/candidate_lists.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "recmart/common/fs.h"
#include "recmart/common/testing.h"

namespace recmart::engine {
namespace {

using models::ItemIndex;
using models::kUnknownIndex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::StatusIs;

// 3 users x 3 items; user 1 has a short list, user 2 none.
CandidateLists Sample() {
  return CandidateLists(
      3, {7, 2, 5, 4, kUnknownIndex, kUnknownIndex, kUnknownIndex, kUnknownIndex, kUnknownIndex});
}

TEST(CandidateListsTest, RowsWithoutPadding) {
  CandidateLists l = Sample();
  EXPECT_EQ(l.users(), 3u);
  EXPECT_EQ(l.per_user(), 3u);
  EXPECT_THAT(l.For(0), ElementsAre(7, 2, 5));
  EXPECT_THAT(l.For(1), ElementsAre(4));
  EXPECT_TRUE(l.For(2).empty());
  EXPECT_TRUE(l.For(3).empty());
  EXPECT_TRUE(l.For(kUnknownIndex).empty());
}

TEST(CandidateListsTest, SaveLoadRoundTrip) {
  testing::TempDir dir;
  const std::string path = dir / "lists.bin";
  ASSERT_OK(Sample().Save(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<CandidateLists> l, CandidateLists::Load(path, 3, 3, 8));
  EXPECT_THAT(l->For(0), ElementsAre(7, 2, 5));
  EXPECT_THAT(l->For(1), ElementsAre(4));
  EXPECT_TRUE(l->For(2).empty());
}

TEST(CandidateListsTest, DamagedOrMismatchedFilesAreRefused) {
  testing::TempDir dir;
  const std::string path = dir / "lists.bin";
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  ASSERT_OK(Sample().Save(path));
  // Another shape, or a model with fewer items than the indices need.
  EXPECT_THAT(CandidateLists::Load(path, 4, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("another model")));
  EXPECT_THAT(CandidateLists::Load(path, 3, 2, 8).status(),
              StatusIs(StatusCode::kDataLoss, ::testing::_));
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 7).status(),
              StatusIs(StatusCode::kDataLoss, ::testing::_));

  ASSERT_OK_AND_ASSIGN(std::string bytes, ReadFileToString(path));
  auto write = [&](const std::string& b) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << b;
  };
  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x10;  // inside the payload
  write(flipped);
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("checksum")));
  write(bytes.substr(0, bytes.size() - 4));
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("truncated")));
  write(bytes + "x");
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, ::testing::_));
  write("RMCL0002" + bytes.substr(8));
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("not a candidate-list file")));
  write("");
  EXPECT_THAT(CandidateLists::Load(path, 3, 3, 8).status(),
              StatusIs(StatusCode::kDataLoss, ::testing::_));
  write(bytes);
  EXPECT_OK(CandidateLists::Load(path, 3, 3, 8).status());
}

}  // namespace
}  // namespace recmart::engine
