#include "recmart/abtest/abtest.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::abtest {
namespace {

using ::recmart::testing::StatusIs;
using ::recmart::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---------------------------------------------------------------- statistics
//
// Expected values were computed independently (Python) from the closed form
// of the Wilson bounds, (2s + z^2 ± z sqrt(z^2 + 4s(n-s)/n)) / (2(n + z^2)),
// and for the z-test with the normal tail integrated numerically.

TEST(WilsonIntervalTest, TextbookEightOfTen) {
  Interval ci = WilsonInterval(8, 10);
  EXPECT_NEAR(ci.low, 0.490162, 1e-6);
  EXPECT_NEAR(ci.high, 0.943318, 1e-6);
}

TEST(WilsonIntervalTest, LargeSample) {
  Interval ci = WilsonInterval(500, 10000);
  EXPECT_NEAR(ci.low, 0.045898, 1e-6);
  EXPECT_NEAR(ci.high, 0.054447, 1e-6);
}

TEST(WilsonIntervalTest, BehavesAtTheEdges) {
  // 0 of n: the interval starts at 0 and has width, unlike the normal approximation.
  Interval none = WilsonInterval(0, 10);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.277533, 1e-6);
  Interval all = WilsonInterval(10, 10);
  EXPECT_NEAR(all.low, 0.722467, 1e-6);
  EXPECT_EQ(all.high, 1.0);
  Interval one = WilsonInterval(1, 1);
  EXPECT_NEAR(one.low, 0.206549, 1e-6);
  EXPECT_EQ(one.high, 1.0);
}

TEST(WilsonIntervalTest, ZeroTrialsIsTheWholeRange) {
  Interval ci = WilsonInterval(0, 0);
  EXPECT_EQ(ci.low, 0.0);
  EXPECT_EQ(ci.high, 1.0);
  // More successes than trials is clamped, never NaN.
  Interval clamped = WilsonInterval(12, 10);
  EXPECT_EQ(clamped.low, WilsonInterval(10, 10).low);
  EXPECT_EQ(clamped.high, 1.0);
}

TEST(TwoProportionZTest, KnownValues) {
  // 20% vs 25% of 1000 each: pooled 0.225, z = 2.677398, p = 0.007420.
  ZTest t = TwoProportionZTest(200, 1000, 250, 1000);
  EXPECT_NEAR(t.z, 2.677398, 1e-6);
  EXPECT_NEAR(t.p_value, 0.007420, 1e-6);
  // Swapping the samples flips the sign only.
  ZTest swapped = TwoProportionZTest(250, 1000, 200, 1000);
  EXPECT_NEAR(swapped.z, -2.677398, 1e-6);
  EXPECT_NEAR(swapped.p_value, t.p_value, 1e-12);
  ZTest small = TwoProportionZTest(10, 100, 12, 100);
  EXPECT_NEAR(small.z, 0.451985, 1e-6);
  EXPECT_NEAR(small.p_value, 0.651280, 1e-6);
  ZTest unequal = TwoProportionZTest(3, 4, 1, 6);
  EXPECT_NEAR(unequal.z, -1.844662, 1e-6);
  EXPECT_NEAR(unequal.p_value, 0.065087, 1e-6);
}

TEST(TwoProportionZTest, UndefinedCasesMeanNoEvidence) {
  for (ZTest t :
       {TwoProportionZTest(0, 0, 5, 10), TwoProportionZTest(5, 10, 0, 0),
        TwoProportionZTest(0, 0, 0, 0), TwoProportionZTest(0, 10, 0, 20),  // pooled rate 0
        TwoProportionZTest(10, 10, 20, 20)}) {                             // pooled rate 1
    EXPECT_EQ(t.z, 0.0);
    EXPECT_EQ(t.p_value, 1.0);
  }
  ZTest same = TwoProportionZTest(5, 10, 10, 20);
  EXPECT_EQ(same.z, 0.0);
  EXPECT_NEAR(same.p_value, 1.0, 1e-12);
}

// ---------------------------------------------------------------- campaigns

Campaign TwoWay(double a = 1, double b = 1) {
  return {"homepage-2024", {{"A", "v1", a}, {"B", "v2", b}}};
}

TEST(ValidateCampaignTest, AcceptsAValidCampaign) {
  EXPECT_OK(ValidateCampaign(TwoWay()));
  EXPECT_OK(ValidateCampaign({"c", {{"A", "v1", 0.5}, {"B", "v2", 0.25}, {"C", "", 0.25}}}));
}

TEST(ValidateCampaignTest, NamesTheProblem) {
  EXPECT_THAT(ValidateCampaign({"", TwoWay().variants}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("name is empty")));
  EXPECT_THAT(ValidateCampaign({"c", {{"A", "v1", 1}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'c': needs at least 2 variants")));
  EXPECT_THAT(ValidateCampaign({"c", {{"A", "v1", 1}, {"", "v2", 1}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("variant 1 has no name")));
  EXPECT_THAT(ValidateCampaign({"c", {{"A", "v1", 1}, {"A", "v2", 1}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("variant 'A' appears twice")));
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    EXPECT_THAT(ValidateCampaign(TwoWay(1, bad)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("'B': weight must be")));
  }
}

// Golden values: XXH64 recomputed by an independent implementation (Python,
// checked against the reference test vectors). They must never change: a
// change would silently move live users between variants.
TEST(AssignVariantTest, GoldenAssignments) {
  EXPECT_DOUBLE_EQ(AssignmentPosition("homepage-2024", "u1"), 0.6528755892454612);
  EXPECT_DOUBLE_EQ(AssignmentPosition("homepage-2024", "u2"), 0.799144577970928);
  EXPECT_DOUBLE_EQ(AssignmentPosition("homepage-2024", "customer-12347"), 0.05731697642942846);
  EXPECT_DOUBLE_EQ(AssignmentPosition("homepage-2024", ""), 0.372528356065033);
  EXPECT_DOUBLE_EQ(AssignmentPosition("other", "u1"), 0.8198341048144535);
  EXPECT_DOUBLE_EQ(
      AssignmentPosition("homepage-2024", "a-much-longer-user-identifier-0123456789abcdef"),
      0.00386509783488187);

  const Campaign even = TwoWay();
  EXPECT_EQ(AssignVariant(even, "u1"), 1u);
  EXPECT_EQ(AssignVariant(even, "u3"), 0u);
  EXPECT_EQ(AssignVariant(even, "customer-12347"), 0u);
  EXPECT_EQ(AssignVariant(even, "u8"), 1u);
  const Campaign three = {"homepage-2024", {{"A", "v1", 50}, {"B", "v2", 30}, {"C", "v3", 20}}};
  EXPECT_EQ(AssignVariant(three, "u6"), 0u);  // 0.245
  EXPECT_EQ(AssignVariant(three, "u2"), 1u);  // 0.799, just under the 0.8 boundary
  const Campaign other = {"other", three.variants};
  EXPECT_EQ(AssignVariant(other, "u1"), 2u);  // 0.820
}

TEST(AssignVariantTest, SeparatorKeepsCampaignAndUserApart) {
  // "ab" + "c" and "a" + "bc" must not hash alike.
  EXPECT_NE(AssignmentPosition("ab", "c"), AssignmentPosition("a", "bc"));
}

TEST(AssignVariantTest, FollowsTheWeights) {
  const Campaign c = {"weights", {{"A", "v1", 50}, {"B", "v2", 30}, {"C", "v3", 20}}};
  constexpr int kUsers = 100000;
  std::vector<int> counts(3);
  for (int i = 0; i < kUsers; ++i) ++counts[AssignVariant(c, "user-" + std::to_string(i))];
  // One standard deviation is at most 0.0016 here; 0.01 is over six.
  EXPECT_NEAR(counts[0] / double(kUsers), 0.5, 0.01);
  EXPECT_NEAR(counts[1] / double(kUsers), 0.3, 0.01);
  EXPECT_NEAR(counts[2] / double(kUsers), 0.2, 0.01);
}

TEST(AssignVariantTest, ChangingWeightsMovesOnlyUsersAtTheBoundary) {
  // 50/50 → 60/40: the boundary moves from 0.5 to 0.6. Users of A stay in A;
  // the only users who move are those of B whose position is in [0.5, 0.6).
  const Campaign before = TwoWay(50, 50), after = TwoWay(60, 40);
  constexpr int kUsers = 100000;
  int moved = 0;
  for (int i = 0; i < kUsers; ++i) {
    const std::string user = "user-" + std::to_string(i);
    const size_t was = AssignVariant(before, user), is = AssignVariant(after, user);
    if (was == is) continue;
    ++moved;
    ASSERT_EQ(was, 1u) << user;
    ASSERT_EQ(is, 0u) << user;
    const double position = AssignmentPosition(before.name, user);
    ASSERT_GE(position, 0.5) << user;
    ASSERT_LT(position, 0.6) << user;
  }
  EXPECT_NEAR(moved / double(kUsers), 0.10, 0.01);
}

TEST(AssignVariantTest, PositionIsInTheUnitInterval) {
  for (int i = 0; i < 10000; ++i) {
    const double p = AssignmentPosition("c", std::to_string(i));
    ASSERT_GE(p, 0.0);
    ASSERT_LT(p, 1.0);
  }
}

// ---------------------------------------------------------------- log formats

TEST(FormatImpressionLineTest, MatchesTheDocumentedFormat) {
  Impression imp{"r-1", 1732000000123, "recommendations", "u1", "c1", "A", "v3", {"i1", "i2"}};
  EXPECT_EQ(FormatImpressionLine(imp),
            "{\"recommendationId\":\"r-1\",\"ts\":1732000000123,\"endpoint\":\"recommendations\","
            "\"userId\":\"u1\",\"campaign\":\"c1\",\"variant\":\"A\",\"modelVersion\":\"v3\","
            "\"items\":[\"i1\",\"i2\"]}\n");
  imp.items.clear();
  EXPECT_THAT(FormatImpressionLine(imp), HasSubstr("\"items\":[]}\n"));
}

TEST(FormatImpressionLineTest, EscapingRoundTrips) {
  const std::string nasty = std::string("q\"b\\s/n\nr\rt\tb\bf\f") + '\x01' + '\x1f' + '\x7f' +
                            "é€😀" + std::string(1, '\0') + "end";
  Impression imp{nasty, -5, "similar-items", "user \"x\"", "", "", "v\\1", {nasty, "", "i\n2"}};
  const std::string line = FormatImpressionLine(imp);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["recommendationId"], nasty);
  EXPECT_EQ(j["ts"], -5);
  EXPECT_EQ(j["endpoint"], "similar-items");
  EXPECT_EQ(j["userId"], "user \"x\"");
  EXPECT_EQ(j["campaign"], "");
  EXPECT_EQ(j["variant"], "");
  EXPECT_EQ(j["modelVersion"], "v\\1");
  EXPECT_EQ(j["items"], nlohmann::json({nasty, "", "i\n2"}));
}

TEST(FormatImpressionLineTest, InvalidUtf8BecomesReplacementCharacter) {
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  Impression imp;
  imp.user_id = std::string(
      "a\x80"
      "b\xe2\x82"
      "c\xc0\xaf"
      "d\xed\xa0\x80"
      "e");
  imp.items = {"\xff"};
  const std::string line = FormatImpressionLine(imp);
  nlohmann::json j = nlohmann::json::parse(line);  // would throw on invalid UTF-8
  const std::string r = "\xef\xbf\xbd";            // U+FFFD
  EXPECT_EQ(j["userId"], "a" + r + "b" + r + r + "c" + r + r + "d" + r + r + r + "e");
  EXPECT_EQ(j["items"][0], r);
}

TEST(FormatEventLineTest, RoundTripsWithNullsAndValues) {
  LoggedEvent e;
  e.event_id = "e-1";
  e.received_at_ms = 1732000000456;
  e.session_id = "s1";
  e.user_id = "u\"1";
  e.event_type = "purchase";
  e.item_id = "i9";
  e.sent_at = 1732000000;
  e.event_value = 19.99;
  e.recommendation_id = "r-1";
  e.properties_json = R"({"coupon":"X","n":[1,2]})";
  const std::string line = FormatEventLine(e);
  EXPECT_THAT(line, HasSubstr("\"sentAt\":1732000000,\"eventValue\":19.99,"));
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["eventId"], "e-1");
  EXPECT_EQ(j["receivedAt"], 1732000000456);
  EXPECT_EQ(j["sessionId"], "s1");
  EXPECT_EQ(j["userId"], "u\"1");
  EXPECT_EQ(j["eventType"], "purchase");
  EXPECT_EQ(j["itemId"], "i9");
  EXPECT_EQ(j["sentAt"].get<double>(), 1732000000.0);
  EXPECT_EQ(j["eventValue"].get<double>(), 19.99);
  EXPECT_EQ(j["recommendationId"], "r-1");
  EXPECT_EQ(j["properties"], nlohmann::json::parse(e.properties_json));

  e.event_value.reset();
  e.recommendation_id.reset();
  e.properties_json.clear();
  e.sent_at = 1732000000.25;
  j = nlohmann::json::parse(FormatEventLine(e));
  EXPECT_TRUE(j["eventValue"].is_null());
  EXPECT_TRUE(j["recommendationId"].is_null());
  EXPECT_EQ(j["properties"], nlohmann::json::object());
  EXPECT_EQ(j["sentAt"].get<double>(), 1732000000.25);
  e.event_value = NAN;
  EXPECT_TRUE(nlohmann::json::parse(FormatEventLine(e))["eventValue"].is_null());
}

// ---------------------------------------------------------------- report

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

Impression Imp(std::string rid, int64_t ts, std::string campaign, std::string variant,
               std::string model, std::vector<std::string> items) {
  return {std::move(rid),      ts,
          "recommendations",   "u1",
          std::move(campaign), std::move(variant),
          std::move(model),    std::move(items)};
}

LoggedEvent Ev(std::string id, std::optional<std::string> rid, std::string type, std::string item,
               std::optional<double> value = std::nullopt) {
  LoggedEvent e;
  e.event_id = std::move(id);
  e.received_at_ms = 1732000000000;
  e.session_id = "s1";
  e.user_id = "u1";
  e.event_type = std::move(type);
  e.item_id = std::move(item);
  e.sent_at = 1732000000;
  e.event_value = value;
  e.recommendation_id = std::move(rid);
  return e;
}

// Campaign c1 with variants A (r1, r2) and B (r3, r4, r6: v2, then v3 after a
// promotion), one impression outside any campaign (r5), and events covering
// every attribution rule. Expected counts are derived in the comments.
class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string imp_dir = dir_ / kImpressionsDir, ev_dir = dir_ / kEventsDir;
    std::string sealed;
    sealed += FormatImpressionLine(Imp("r1", 1000, "c1", "A", "v1", {"i1", "i2"}));
    sealed += FormatImpressionLine(Imp("r2", 2000, "c1", "A", "v1", {"i3"}));
    sealed += FormatImpressionLine(Imp("r3", 3000, "c1", "B", "v2", {"i1", "i4"}));
    sealed += "this line is not JSON\n";  // skipped
    sealed += FormatImpressionLine(Imp("r4", 4000, "c1", "B", "v2", {"i5"}));
    sealed += FormatImpressionLine(Imp("r5", 5000, "", "", "v1", {"i1"}));
    sealed += FormatImpressionLine(Imp("r1", 1000, "c1", "A", "v1", {"i1", "i2"}));  // duplicate
    WriteFile(imp_dir + "/2024-11-19T10.jsonl", sealed);
    // The segment being written: its last line is cut mid-object.
    WriteFile(imp_dir + "/2024-11-19T11.jsonl.open",
              FormatImpressionLine(Imp("r6", 6000, "c1", "B", "v3", {"i6"})) +
                  R"({"recommendationId":"r7","ts":7000,"camp)");
    WriteFile(imp_dir + "/notes.txt", "not a segment\n");

    std::string events;
    events += FormatEventLine(Ev("e1", "r1", "click", "i1"));           // r1 clicked
    events += FormatEventLine(Ev("e2", "r1", "purchase", "i2", 10.0));  // r1 converted, 10
    events += FormatEventLine(Ev("e2", "r1", "purchase", "i2", 10.0));  // duplicate eventId
    events += FormatEventLine(Ev("e3", "r1", "view", "i9"));            // i9 not shown: other
    events += "{\"eventId\": broken\n";                                 // skipped
    events += FormatEventLine(Ev("e4", "r2", "detail_view", "i3"));     // r2 clicked
    events += FormatEventLine(Ev("e5", "r3", "purchase", "i4", 5.5));   // r3 converted, 5.5
    events += FormatEventLine(Ev("e6", "r3", "PURCHASE", "i1", 2.0));   // case-insensitive, +2
    events += FormatEventLine(Ev("e7", "r99", "click", "i1"));          // unknown id
    WriteFile(ev_dir + "/a.jsonl", events);
    events.clear();
    // Optional fields absent altogether: an event without a recommendation.
    events += R"({"eventId":"e8","receivedAt":1,"eventType":"view","itemId":"i1"})"
              "\n";
    events += FormatEventLine(Ev("e9", std::nullopt, "purchase", "i1"));  // without, null value
    events += FormatEventLine(Ev("e10", "r4", "add_to_cart", "i5"));      // attributed, no rate
    events += FormatEventLine(Ev("e11", "r5", "click", "i1"));            // (none)/v1 clicked
    events += FormatEventLine(Ev("e12", "r6", "purchase", "i6"));         // converted, no value
    events += R"({"eventId":"e13","receivedAt":2,"eventType":"cli)";      // partial
    WriteFile(ev_dir + "/b.jsonl.open", events);
  }

  static const VariantReport& Find(const CampaignReport& c, const std::string& name) {
    for (const VariantReport& v : c.variants) {
      if (v.name == name) return v;
    }
    ADD_FAILURE() << "no variant " << name;
    static VariantReport none;
    return none;
  }

  TempDir dir_;
};

TEST_F(ReportTest, CountsEveryAttributionRule) {
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir_.path(), {}));
  const LogStats& s = r.logs;
  EXPECT_EQ(s.impression_files, 2u);
  EXPECT_EQ(s.event_files, 2u);
  EXPECT_EQ(s.impression_lines, 7u);  // r1..r6 + the duplicate of r1
  EXPECT_EQ(s.duplicate_impression_lines, 1u);
  EXPECT_EQ(s.skipped_impression_lines, 2u);  // not JSON + partial
  EXPECT_EQ(s.event_lines, 13u);              // e1..e12 + the duplicate of e2
  EXPECT_EQ(s.duplicate_event_lines, 1u);
  EXPECT_EQ(s.skipped_event_lines, 2u);  // broken + partial
  EXPECT_EQ(s.events, 12u);
  EXPECT_EQ(s.events_without_recommendation, 2u);  // e8, e9
  EXPECT_EQ(s.events_unknown_recommendation, 1u);  // e7

  ASSERT_EQ(r.campaigns.size(), 2u);
  const CampaignReport& c1 = r.campaigns[0];
  EXPECT_EQ(c1.name, "c1");
  EXPECT_EQ(c1.control, "A");  // alphabetically first: no definition given
  ASSERT_EQ(c1.variants.size(), 2u);

  const VariantReport& a = c1.variants[0];
  EXPECT_EQ(a.name, "A");
  EXPECT_TRUE(a.control);
  EXPECT_THAT(a.model_versions, ElementsAre("v1"));
  EXPECT_EQ(a.impressions, 2u);              // r1, r2
  EXPECT_EQ(a.clicks, 2u);                   // r1 (click e1), r2 (detail_view e4)
  EXPECT_EQ(a.conversions, 1u);              // r1 (e2)
  EXPECT_EQ(a.attributed_events, 3u);        // e1, e2, e4
  EXPECT_EQ(a.other_attributed_events, 1u);  // e3
  EXPECT_DOUBLE_EQ(a.revenue, 10.0);
  EXPECT_DOUBLE_EQ(a.click_through.value, 1.0);
  EXPECT_DOUBLE_EQ(a.conversion.value, 0.5);
  EXPECT_FALSE(a.click_through_vs_control);
  EXPECT_FALSE(a.conversion_vs_control);

  const VariantReport& b = c1.variants[1];
  EXPECT_EQ(b.name, "B");
  EXPECT_FALSE(b.control);
  EXPECT_THAT(b.model_versions, ElementsAre("v2", "v3"));
  EXPECT_EQ(b.impressions, 3u);  // r3, r4, r6
  EXPECT_EQ(b.clicks, 0u);
  EXPECT_EQ(b.conversions, 2u);        // r3 (e5, e6), r6 (e12)
  EXPECT_EQ(b.attributed_events, 4u);  // e5, e6, e10, e12
  EXPECT_EQ(b.other_attributed_events, 0u);
  EXPECT_DOUBLE_EQ(b.revenue, 7.5);
  ASSERT_TRUE(b.click_through_vs_control);
  EXPECT_DOUBLE_EQ(b.click_through_vs_control->absolute_lift, -1.0);
  EXPECT_DOUBLE_EQ(*b.click_through_vs_control->relative_lift, -1.0);
  ZTest ct = TwoProportionZTest(2, 2, 0, 3);
  EXPECT_DOUBLE_EQ(b.click_through_vs_control->p_value, ct.p_value);
  EXPECT_EQ(b.click_through_vs_control->significant, ct.p_value < 0.05);
  ASSERT_TRUE(b.conversion_vs_control);
  EXPECT_NEAR(b.conversion_vs_control->absolute_lift, 2.0 / 3 - 0.5, 1e-12);
  EXPECT_NEAR(*b.conversion_vs_control->relative_lift, (2.0 / 3 - 0.5) / 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(b.conversion.ci95.low, WilsonInterval(2, 3).low);
  EXPECT_DOUBLE_EQ(b.conversion.ci95.high, WilsonInterval(2, 3).high);

  const CampaignReport& none = r.campaigns[1];
  EXPECT_EQ(none.name, kNoCampaign);
  ASSERT_EQ(none.variants.size(), 1u);
  EXPECT_EQ(none.variants[0].name, "v1");  // reported by model version
  EXPECT_EQ(none.variants[0].impressions, 1u);
  EXPECT_EQ(none.variants[0].clicks, 1u);
  EXPECT_EQ(none.variants[0].attributed_events, 1u);
}

TEST_F(ReportTest, TimeWindowSelectsImpressions) {
  ReportOptions options;
  options.since_ms = 2000;
  options.until_ms = 4000;  // r2 and r3; until is exclusive (r4 is at 4000)
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir_.path(), options));
  ASSERT_EQ(r.campaigns.size(), 1u);
  const VariantReport& a = Find(r.campaigns[0], "A");
  EXPECT_EQ(a.impressions, 1u);
  EXPECT_EQ(a.clicks, 1u);
  EXPECT_EQ(a.conversions, 0u);
  const VariantReport& b = Find(r.campaigns[0], "B");
  EXPECT_EQ(b.impressions, 1u);
  EXPECT_EQ(b.conversions, 1u);
  EXPECT_DOUBLE_EQ(b.revenue, 7.5);
  // The whole logs are still accounted for.
  EXPECT_EQ(r.logs.events, 12u);
  EXPECT_EQ(r.logs.events_unknown_recommendation, 1u);
}

TEST_F(ReportTest, CampaignFilter) {
  ReportOptions options;
  options.campaign = kNoCampaign;
  ASSERT_OK_AND_ASSIGN(Report none, BuildReport(dir_.path(), options));
  ASSERT_EQ(none.campaigns.size(), 1u);
  EXPECT_EQ(none.campaigns[0].name, kNoCampaign);
  options.campaign = "nope";
  ASSERT_OK_AND_ASSIGN(Report nope, BuildReport(dir_.path(), options));
  EXPECT_THAT(nope.campaigns, IsEmpty());
}

TEST_F(ReportTest, DefinitionSetsControlOrderAndListsEmptyVariants) {
  ReportOptions options;
  options.campaign = "c1";
  options.campaigns = {{"c1", {{"B", "v2", 1}, {"A", "v1", 1}, {"C", "v9", 1}}},
                       {"c2", {{"X", "v1", 1}, {"Y", "v2", 1}}}};
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir_.path(), options));
  ASSERT_EQ(r.campaigns.size(), 1u);  // c2 is filtered out
  const CampaignReport& c1 = r.campaigns[0];
  EXPECT_EQ(c1.control, "B");
  ASSERT_EQ(c1.variants.size(), 3u);
  EXPECT_EQ(c1.variants[0].name, "B");
  EXPECT_TRUE(c1.variants[0].control);
  EXPECT_EQ(c1.variants[1].name, "A");
  // A against B: CTR 2/2 vs 0/3, control rate 0 → no relative lift.
  ASSERT_TRUE(c1.variants[1].click_through_vs_control);
  EXPECT_DOUBLE_EQ(c1.variants[1].click_through_vs_control->absolute_lift, 1.0);
  EXPECT_FALSE(c1.variants[1].click_through_vs_control->relative_lift);
  const VariantReport& c = c1.variants[2];
  EXPECT_EQ(c.name, "C");
  EXPECT_EQ(c.impressions, 0u);
  EXPECT_THAT(c.model_versions, ElementsAre("v9"));  // from the definition
  EXPECT_EQ(c.click_through.ci95.low, 0.0);
  EXPECT_EQ(c.click_through.ci95.high, 1.0);
  ASSERT_TRUE(c.conversion_vs_control);
  EXPECT_EQ(c.conversion_vs_control->p_value, 1.0);
  EXPECT_FALSE(c.conversion_vs_control->significant);

  options.campaign.clear();
  ASSERT_OK_AND_ASSIGN(Report all, BuildReport(dir_.path(), options));
  ASSERT_EQ(all.campaigns.size(), 3u);  // c1, c2 (defined, no impressions), (none)
  EXPECT_EQ(all.campaigns[1].name, "c2");
  EXPECT_EQ(all.campaigns[1].variants.size(), 2u);
  EXPECT_EQ(all.campaigns[2].name, kNoCampaign);
}

TEST_F(ReportTest, ConfigurableEventTypes) {
  ReportOptions options;
  options.campaign = "c1";
  options.click_event_types = {"ADD_TO_CART"};
  options.conversion_event_types = {};
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir_.path(), options));
  EXPECT_EQ(Find(r.campaigns[0], "A").clicks, 0u);
  EXPECT_EQ(Find(r.campaigns[0], "B").clicks, 1u);  // r4 (e10)
  EXPECT_EQ(Find(r.campaigns[0], "B").conversions, 0u);
  EXPECT_EQ(Find(r.campaigns[0], "B").revenue, 0.0);
}

TEST_F(ReportTest, JsonShape) {
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir_.path(), {}));
  nlohmann::json j = nlohmann::json::parse(ReportToJson(r));
  const nlohmann::json& b = j["campaigns"][0]["variants"][1];
  EXPECT_EQ(b["name"], "B");
  EXPECT_EQ(b["model_versions"], nlohmann::json({"v2", "v3"}));
  EXPECT_EQ(b["conversions"], 2);
  EXPECT_EQ(b["revenue"], 7.5);
  EXPECT_TRUE(b["conversion"]["low"].is_number());
  EXPECT_TRUE(b["conversion_vs_control"]["p_value"].is_number());
  EXPECT_TRUE(j["campaigns"][0]["variants"][0]["conversion_vs_control"].is_null());
  EXPECT_EQ(j["logs"]["events_unknown_recommendation"], 1);
}

TEST(BuildReportTest, NoLogsIsAnEmptyReport) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Report r, BuildReport(dir.path(), {}));
  EXPECT_THAT(r.campaigns, IsEmpty());
  EXPECT_EQ(r.logs.impression_files, 0u);
  EXPECT_EQ(r.logs.events, 0u);
  EXPECT_EQ(ReportToJson(r).substr(0, 16), "{\"campaigns\":[],");
  // Directories without segments, and events without impressions.
  WriteFile(dir / "live/impressions/.keep", "");
  WriteFile(dir / "live/events/x.jsonl", FormatEventLine(Ev("e1", "r1", "click", "i1")));
  ASSERT_OK_AND_ASSIGN(Report events_only, BuildReport(dir.path(), {}));
  EXPECT_THAT(events_only.campaigns, IsEmpty());
  EXPECT_EQ(events_only.logs.events, 1u);
  EXPECT_EQ(events_only.logs.events_unknown_recommendation, 1u);
}

// The server appends to the open segment (a line may be half-written when
// read) and seals it by renaming while reports run: every report succeeds,
// sees every line completed before it started, and none twice.
TEST(BuildReportTest, ReadsWhileTheServerAppendsAndSeals) {
  TempDir dir;
  const std::string imp_dir = dir / kImpressionsDir;
  std::filesystem::create_directories(imp_dir);
  std::atomic<int> written{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    for (int segment = 0; !stop; ++segment) {
      const std::string name = imp_dir + "/seg-" + std::to_string(1000 + segment);
      const int fd = ::open((name + kOpenSuffix).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0) {
        writer_failed = true;
        return;
      }
      for (int i = 0; i < 20 && !stop; ++i) {
        const std::string line = FormatImpressionLine(
            Imp("r" + std::to_string(written.load()), 1000, "c1", "A", "v1", {"i1"}));
        const size_t half = line.size() / 2;  // two writes: readers may see half a line
        bool ok = ::write(fd, line.data(), half) == static_cast<ssize_t>(half);
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ok &= ::write(fd, line.data() + half, line.size() - half) ==
              static_cast<ssize_t>(line.size() - half);
        if (!ok) writer_failed = true;
        ++written;
      }
      ::close(fd);
      std::filesystem::rename(name + kOpenSuffix, name + kSealedSuffix);
    }
  });
  // Stops the writer however the test ends.
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{stop, writer};
  auto impressions = [](const Report& r) -> int {
    return r.campaigns.empty() ? 0 : static_cast<int>(r.campaigns[0].variants[0].impressions);
  };
  for (int i = 0; i < 8; ++i) {
    const int before = written.load();
    StatusOr<Report> r = BuildReport(dir.path(), {});
    const int after = written.load();
    ASSERT_OK(r);
    EXPECT_GE(impressions(*r), before);
    EXPECT_LE(impressions(*r), after);
    EXPECT_EQ(r->logs.duplicate_impression_lines, 0u);
  }
  stop = true;
  writer.join();
  ASSERT_FALSE(writer_failed);
  ASSERT_OK_AND_ASSIGN(Report final_report, BuildReport(dir.path(), {}));
  EXPECT_EQ(impressions(final_report), written.load());
  EXPECT_EQ(final_report.logs.skipped_impression_lines, 0u);
}

TEST(BuildReportTest, RejectsBadOptions) {
  TempDir dir;
  ReportOptions window;
  window.since_ms = 5;
  window.until_ms = 5;
  EXPECT_THAT(BuildReport(dir.path(), window),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("since (5) must be before until")));
  ReportOptions bad_campaign;
  bad_campaign.campaigns = {{"c", {{"A", "v1", 1}}}};
  EXPECT_THAT(BuildReport(dir.path(), bad_campaign),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("needs at least 2 variants")));
  ReportOptions twice;
  twice.campaigns = {TwoWay(), TwoWay()};
  EXPECT_THAT(BuildReport(dir.path(), twice),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("defined twice")));
}

}  // namespace
}  // namespace recmart::abtest
