// The request parsers on their own, no server: shapes, the field each error
// names, and the inputs fuzzing (fuzz/fuzz_api.cc) showed need care.
#include "recmart/serve/requests.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "recmart/common/testing.h"

namespace recmart::serve {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr size_t kMax = 4096;

TEST(ParseEventsRequest, ReadsEveryField) {
  auto b = ParseEventsRequest(
      R"({"sessionId":"s1","userId":"u1","eventList":[{"eventType":"addToCart","itemId":"i1",)"
      R"("sentAt":1732000000,"eventValue":2.5,"recommendationId":"r-1","eventId":"e1",)"
      R"("properties":{"a":1}}]})",
      kMax);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->session_id, "s1");
  EXPECT_EQ(b->user_id, "u1");
  ASSERT_EQ(b->events.size(), 1u);
  const abtest::LoggedEvent& e = b->events[0];
  EXPECT_EQ(e.event_type, "addtocart");
  EXPECT_EQ(e.item_id, "i1");
  EXPECT_EQ(e.sent_at, 1732000000);
  EXPECT_EQ(e.event_value, 2.5);
  EXPECT_EQ(e.recommendation_id, "r-1");
  EXPECT_EQ(e.event_id, "e1");
  EXPECT_EQ(e.properties_json, R"({"a":1})");
}

TEST(ParseEventsRequest, ErrorsNameTheField) {
  EXPECT_THAT(ParseEventsRequest("", kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("body")));
  EXPECT_THAT(ParseEventsRequest("{\"sessionId\":", kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed JSON")));
  EXPECT_THAT(ParseEventsRequest(R"({"sessionId":"s","eventList":[]})", kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("eventList")));
  EXPECT_THAT(
      ParseEventsRequest(R"({"sessionId":"s","eventList":[{"eventType":"v","itemId":"i"}]})", kMax),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("eventList[0].sentAt: required")));
  EXPECT_THAT(
      ParseEventsRequest(
          R"({"sessionId":"s","eventList":[{"eventType":"v","itemId":"i","sentAt":1e12}]})", kMax),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("eventList[0].sentAt")));
  EXPECT_THAT(ParseEventsRequest(R"({"sessionId":"s","eventList":[1]})", kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("eventList[0]")));
  EXPECT_THAT(ParseEventsRequest(R"({"sessionId":"0123456789abcdefX","eventList":[]})", 16),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("sessionId: longer than 16")));
}

TEST(ParseRecommendRequest, GetQueryDecodesLikeTheBody) {
  auto r = ParseRecommendRequest(
      "GET", "", "userId=u%201&numResults=5&exclude=i1,,i2&filterValues=%7B%22A%22%3A%221%22%7D",
      kMax);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->user_id, "u 1");
  EXPECT_EQ(r->num_results, 5u);
  EXPECT_THAT(r->exclude, ElementsAre("i1", "i2"));
  EXPECT_EQ(r->filter_values.at("A"), "1");
}

// Found by reading the code behind fuzz_api: std::from_chars takes a sign, so
// "%-1" decoded to the byte 0xff and "%-0" to a NUL.
TEST(ParseRecommendRequest, PercentNeedsTwoHexDigits) {
  auto r = ParseRecommendRequest("GET", "", "userId=%-1%-0%4%zz%", kMax);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->user_id, "%-1%-0%4%zz%");
}

TEST(ParseRecordsRequest, TypesEachField) {
  auto r = ParseRecordsRequest(
      R"({"items":[{"itemId":"i1","properties":{"price":5,"available":true,"BRAND":null}}]})",
      /*items=*/true, kMax);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].first, "i1");
  EXPECT_THAT(ParseRecordsRequest(R"({"users":[{"userId":"u","properties":{"AGE":1}}]})",
                                  /*items=*/false, kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("users[0].properties.AGE")));
}

// AVAILABLE takes what filters and the ETL both understand: yes or no.
TEST(ParseRecordsRequest, AvailableIsYesOrNo) {
  auto r = ParseRecordsRequest(
      R"({"items":[{"itemId":"i1","properties":{"AVAILABLE":"No"}},
                   {"itemId":"i2","properties":{"AVAILABLE":true}}]})",
      /*items=*/true, kMax);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const int f = FieldIndex(kItemFieldDefs, "AVAILABLE");
  EXPECT_EQ((*r)[0].second.strings[static_cast<size_t>(f)], "no");
  EXPECT_EQ((*r)[1].second.strings[static_cast<size_t>(f)], "yes");
  EXPECT_THAT(
      ParseRecordsRequest(R"({"items":[{"itemId":"i1","properties":{"AVAILABLE":"soon"}}]})",
                          /*items=*/true, kMax),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("items[0].properties.AVAILABLE: expected")));
}

}  // namespace
}  // namespace recmart::serve
