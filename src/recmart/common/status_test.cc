#include "recmart/common/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart {
namespace {

using ::recmart::testing::IsOk;
using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// Status

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::OK().ok());
  EXPECT_EQ(Status::OK().ToString(), "OK");
}

TEST(Status, OkCodeWithMessageIsStillOkAndDropsTheMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, EveryFactorySetsItsCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
  };
  const std::vector<Case> cases = {
      {Status::InvalidArgument("m1"), StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
      {Status::NotFound("m2"), StatusCode::kNotFound, "NOT_FOUND"},
      {Status::AlreadyExists("m3"), StatusCode::kAlreadyExists, "ALREADY_EXISTS"},
      {Status::FailedPrecondition("m4"), StatusCode::kFailedPrecondition, "FAILED_PRECONDITION"},
      {Status::DataLoss("m5"), StatusCode::kDataLoss, "DATA_LOSS"},
      {Status::IOError("m6"), StatusCode::kIOError, "IO_ERROR"},
      {Status::Internal("m7"), StatusCode::kInternal, "INTERNAL"},
      {Status::Unavailable("m8"), StatusCode::kUnavailable, "UNAVAILABLE"},
      {Status::Cancelled("m9"), StatusCode::kCancelled, "CANCELLED"},
  };
  int i = 1;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string msg = "m" + std::to_string(i++);
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), msg);
    EXPECT_EQ(c.status.ToString(), std::string(c.name) + ": " + msg);
    EXPECT_EQ(StatusCodeName(c.code), c.name);
    EXPECT_THAT(c.status, StatusIs(c.code, msg));
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
}

TEST(Status, UnknownCodeValueHasAName) {
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(999)), "UNKNOWN");
}

TEST(Status, ConstructorWithCode) {
  Status s(StatusCode::kDataLoss, "row count mismatch");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "row count mismatch");
}

TEST(Status, EmptyMessageErrorIsStillAnError) {
  Status s = Status::Internal("");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "INTERNAL: ");
}

TEST(Status, CopiesAndMovesKeepCodeAndMessage) {
  Status a = Status::NotFound("user 7");
  Status b = a;  // NOLINT: copy on purpose
  EXPECT_EQ(b.code(), StatusCode::kNotFound);
  EXPECT_EQ(b.message(), "user 7");
  EXPECT_EQ(a.message(), "user 7");  // the source is untouched

  Status c = std::move(b);
  EXPECT_EQ(c.code(), StatusCode::kNotFound);
  EXPECT_EQ(c.message(), "user 7");

  Status d;
  d = a;
  EXPECT_EQ(d.ToString(), "NOT_FOUND: user 7");
  d = Status::OK();
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(a.ToString(), "NOT_FOUND: user 7");  // reassigning a copy leaves the original
}

TEST(Status, StreamsAsToString) {
  std::ostringstream os;
  os << Status::IOError("disk full") << " | " << Status::OK();
  EXPECT_EQ(os.str(), "IO_ERROR: disk full | OK");
}

TEST(Status, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status base = Status::IOError("permission denied");
  Status s = base.WithContext("writing lake/x.parquet");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "writing lake/x.parquet: permission denied");
  EXPECT_EQ(base.message(), "permission denied");  // the original is unchanged

  Status twice = s.WithContext("run 3");
  EXPECT_EQ(twice.message(), "run 3: writing lake/x.parquet: permission denied");
  EXPECT_EQ(twice.ToString(), "IO_ERROR: run 3: writing lake/x.parquet: permission denied");
}

TEST(Status, WithContextOnOkStaysOk) {
  Status s = Status::OK().WithContext("anything");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, WithContextEmptyPrefix) {
  EXPECT_EQ(Status::Internal("x").WithContext("").message(), ": x");
}

// ---------------------------------------------------------------------------
// StatusOr

TEST(StatusOr, HoldsAValue) {
  StatusOr<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  EXPECT_EQ(v.value(), 42);
  EXPECT_EQ(*v, 42);
  *v = 7;
  EXPECT_EQ(v.value(), 7);
  EXPECT_THAT(v, IsOk());
}

TEST(StatusOr, HoldsAnError) {
  StatusOr<int> v = Status::NotFound("no such user");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(), "no such user");
  EXPECT_THAT(v, StatusIs(StatusCode::kNotFound, HasSubstr("user")));
  EXPECT_THAT(v, Not(IsOk()));

  const Status err = Status::DataLoss("bad");
  StatusOr<std::string> w(err);  // from an lvalue Status
  EXPECT_THAT(w, StatusIs(StatusCode::kDataLoss, "bad"));
}

TEST(StatusOr, ConvertsFromCompatibleValueTypes) {
  StatusOr<std::string> s = "literal";  // const char* -> std::string
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "literal");
  EXPECT_EQ(s->size(), 7u);

  std::string lvalue = "copied";
  StatusOr<std::string> c = lvalue;
  EXPECT_EQ(*c, "copied");
  EXPECT_EQ(lvalue, "copied");

  StatusOr<int64_t> wide = 5;  // int -> int64_t
  EXPECT_EQ(*wide, 5);
}

TEST(StatusOr, MoveOnlyValue) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(9);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(**p, 9);
  std::unique_ptr<int> taken = std::move(p).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 9);

  StatusOr<std::unique_ptr<int>> q = std::make_unique<int>(3);
  std::unique_ptr<int> via_star = *std::move(q);
  EXPECT_EQ(*via_star, 3);
}

TEST(StatusOr, ArrowAndConstAccess) {
  const StatusOr<std::vector<int>> v = std::vector<int>{1, 2, 3};
  EXPECT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[1], 2);
  EXPECT_EQ(v.value().back(), 3);
}

TEST(StatusOr, CopyKeepsBothAlternatives) {
  StatusOr<std::string> a = std::string("x");
  StatusOr<std::string> b = a;
  EXPECT_EQ(*b, "x");
  StatusOr<std::string> e = Status::Cancelled("stop");
  StatusOr<std::string> f = e;
  EXPECT_THAT(f, StatusIs(StatusCode::kCancelled, "stop"));
}

#ifndef NDEBUG
TEST(StatusOrDeathTest, OkStatusIsRejectedInDebugBuilds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        StatusOr<int> v = Status::OK();
        (void)v;
      },
      "");
}

TEST(StatusOrDeathTest, ValueOfAnErrorIsRejectedInDebugBuilds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        StatusOr<int> v = Status::Internal("x");
        int i = v.value();
        (void)i;
      },
      "");
}
#endif

// ---------------------------------------------------------------------------
// RETURN_IF_ERROR

Status Step(int* calls, Status result) {
  ++*calls;
  return result;
}

Status TwoSteps(int* calls, Status first, Status second, bool* reached_end) {
  RETURN_IF_ERROR(Step(calls, first));
  RETURN_IF_ERROR(Step(calls, second));
  *reached_end = true;
  return Status::OK();
}

TEST(ReturnIfError, ContinuesOnOk) {
  int calls = 0;
  bool end = false;
  EXPECT_OK(TwoSteps(&calls, Status::OK(), Status::OK(), &end));
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(end);
}

TEST(ReturnIfError, ReturnsTheFirstErrorAndEvaluatesOnce) {
  int calls = 0;
  bool end = false;
  Status s = TwoSteps(&calls, Status::NotFound("first"), Status::Internal("second"), &end);
  EXPECT_THAT(s, StatusIs(StatusCode::kNotFound, "first"));
  EXPECT_EQ(calls, 1);  // the failing expression ran once; the next never ran
  EXPECT_FALSE(end);

  calls = 0;
  s = TwoSteps(&calls, Status::OK(), Status::Internal("second"), &end);
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, "second"));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(end);
}

// The do/while(0) wrapper makes the macro one statement: it must behave in an
// unbraced if/else.
Status InIfElse(bool fail_first, bool* took_else) {
  if (fail_first)
    RETURN_IF_ERROR(Status::Unavailable("down"));
  else
    *took_else = true;
  return Status::OK();
}

TEST(ReturnIfError, IsASingleStatement) {
  bool took_else = false;
  EXPECT_THAT(InIfElse(true, &took_else), StatusIs(StatusCode::kUnavailable, "down"));
  EXPECT_FALSE(took_else);
  EXPECT_OK(InIfElse(false, &took_else));
  EXPECT_TRUE(took_else);
}

TEST(ReturnIfError, WorksInAFunctionReturningStatusOr) {
  auto f = [](bool fail) -> StatusOr<int> {
    RETURN_IF_ERROR(fail ? Status::IOError("io") : Status::OK());
    return 1;
  };
  EXPECT_THAT(f(true), StatusIs(StatusCode::kIOError, "io"));
  ASSERT_OK_AND_ASSIGN(int v, f(false));
  EXPECT_EQ(v, 1);
}

TEST(ReturnIfError, KeepsContextAddedInline) {
  auto f = []() -> Status {
    RETURN_IF_ERROR(Status::IOError("eof").WithContext("reading a.csv"));
    return Status::OK();
  };
  EXPECT_THAT(f(), StatusIs(StatusCode::kIOError, "reading a.csv: eof"));
}

// ---------------------------------------------------------------------------
// ASSIGN_OR_RETURN

StatusOr<int> Produce(int* calls, StatusOr<int> r) {
  ++*calls;
  return r;
}

StatusOr<int> SumOfTwo(int* calls, StatusOr<int> a, StatusOr<int> b) {
  ASSIGN_OR_RETURN(int x, Produce(calls, std::move(a)));
  int y = 0;
  ASSIGN_OR_RETURN(y, Produce(calls, std::move(b)));  // into an existing variable
  return x + y;
}

TEST(AssignOrReturn, AssignsValues) {
  int calls = 0;
  StatusOr<int> r = SumOfTwo(&calls, 2, 40);
  ASSERT_OK(r);
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 2);
}

TEST(AssignOrReturn, PropagatesTheErrorAndEvaluatesOnce) {
  int calls = 0;
  StatusOr<int> r = SumOfTwo(&calls, Status::InvalidArgument("bad a"), 1);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "bad a"));
  EXPECT_EQ(calls, 1);

  calls = 0;
  r = SumOfTwo(&calls, 1, Status::DataLoss("bad b"));
  EXPECT_THAT(r, StatusIs(StatusCode::kDataLoss, "bad b"));
  EXPECT_EQ(calls, 2);
}

StatusOr<std::unique_ptr<std::string>> MakeBox(bool fail) {
  if (fail) return Status::NotFound("box");
  return std::make_unique<std::string>("boxed");
}

Status UnboxInto(bool fail, std::string* out) {
  ASSIGN_OR_RETURN(std::unique_ptr<std::string> box, MakeBox(fail));
  *out = *box;
  return Status::OK();
}

TEST(AssignOrReturn, MovesMoveOnlyValuesAndWorksInStatusFunctions) {
  std::string out;
  EXPECT_OK(UnboxInto(false, &out));
  EXPECT_EQ(out, "boxed");
  out.clear();
  EXPECT_THAT(UnboxInto(true, &out), StatusIs(StatusCode::kNotFound, "box"));
  EXPECT_EQ(out, "");
}

TEST(AssignOrReturn, AssignsIntoAStructMember) {
  struct Holder {
    std::string name;
  } h;
  auto f = [&](StatusOr<std::string> v) -> Status {
    ASSIGN_OR_RETURN(h.name, std::move(v));
    return Status::OK();
  };
  EXPECT_OK(f(std::string("alice")));
  EXPECT_EQ(h.name, "alice");
  EXPECT_THAT(f(Status::Internal("nope")), StatusIs(StatusCode::kInternal, "nope"));
  EXPECT_EQ(h.name, "alice");  // untouched on error
}

// ---------------------------------------------------------------------------
// The shared test matchers (recmart/common/testing.h) must be able to fail.

TEST(TestingMatchers, StatusIsRejectsWrongCodeOrMessage) {
  Status s = Status::NotFound("user 7");
  EXPECT_THAT(s, StatusIs(StatusCode::kNotFound, HasSubstr("user")));
  EXPECT_THAT(s, Not(StatusIs(StatusCode::kInternal, HasSubstr("user"))));
  EXPECT_THAT(s, Not(StatusIs(StatusCode::kNotFound, HasSubstr("item"))));
  EXPECT_THAT(Status::OK(), Not(StatusIs(StatusCode::kNotFound, ::testing::_)));
  EXPECT_THAT(Status::OK(), StatusIs(StatusCode::kOk, ""));
}

}  // namespace
}  // namespace recmart
