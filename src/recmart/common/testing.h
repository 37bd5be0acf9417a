// Test helpers shared by every module's tests: matchers that check the
// specific error, never just "not OK", and a scratch directory.
#pragma once

#include <gmock/gmock.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "recmart/common/status.h"

namespace recmart::testing {

// EXPECT_THAT(status, StatusIs(StatusCode::kNotFound, HasSubstr("user")))
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const Status s = [&] {
    if constexpr (std::is_same_v<std::decay_t<arg_type>, Status>)
      return arg;
    else
      return arg.status();
  }();
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

MATCHER(IsOk, "") {
  const Status s = [&] {
    if constexpr (std::is_same_v<std::decay_t<arg_type>, Status>)
      return arg;
    else
      return arg.status();
  }();
  *result_listener << "status is " << s.ToString();
  return s.ok();
}

// A fresh directory under the test temp dir, removed (even when read-only
// parts remain) when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "recmart_test_XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = std::filesystem::path(p).lexically_normal().string();
  }
  ~TempDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

}  // namespace recmart::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::recmart::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::recmart::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)               \
  auto RECMART_CONCAT_(statusor_, __LINE__) = (expr); \
  ASSERT_OK(RECMART_CONCAT_(statusor_, __LINE__));    \
  lhs = std::move(RECMART_CONCAT_(statusor_, __LINE__)).value()
