// Test helpers shared by every module's tests: matchers that check the
// specific error, never just "not OK".
#pragma once

#include <gmock/gmock.h>

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

}  // namespace recmart::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::recmart::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::recmart::testing::IsOk())
#define ASSERT_OK_AND_ASSIGN(lhs, expr)               \
  auto RECMART_CONCAT_(statusor_, __LINE__) = (expr); \
  ASSERT_OK(RECMART_CONCAT_(statusor_, __LINE__));    \
  lhs = std::move(RECMART_CONCAT_(statusor_, __LINE__)).value()
