#include "recmart/ingest/values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "recmart/common/testing.h"

namespace recmart::ingest {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Reference calendar, deliberately naive (counts days year by year) so it
// shares nothing with the implementation under test.

bool RefLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t RefDays(int64_t y, int m, int d) {
  static const int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t days = 0;
  for (int64_t yy = 1970; yy < y; ++yy) days += RefLeap(yy) ? 366 : 365;
  for (int64_t yy = y; yy < 1970; ++yy) days -= RefLeap(yy) ? 366 : 365;
  days += kCum[m - 1] + (m > 2 && RefLeap(y) ? 1 : 0) + d - 1;
  return days;
}

// UTC epoch seconds of a civil time.
int64_t Utc(int64_t y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return RefDays(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

constexpr int64_t k20191001 = 1569888000;  // 2019-10-01T00:00:00Z, per `date -u`

TEST(ReferenceCalendar, AgreesWithKnownValues) {
  EXPECT_EQ(Utc(2019, 10, 1), k20191001);
  EXPECT_EQ(Utc(1970, 1, 1), 0);
  EXPECT_EQ(Utc(1969, 12, 31, 23, 59, 59), -1);
  EXPECT_EQ(Utc(2024, 11, 19, 7, 6, 40), 1732000000);
}

// ---------------------------------------------------------------------------
// Format names.

TEST(ParseTimestampFormatName, AcceptsEveryDocumentedName) {
  const std::pair<const char*, TimestampFormat> cases[] = {
      {"auto", TimestampFormat::kAuto},
      {"epoch_s", TimestampFormat::kEpochSeconds},
      {"epoch_ms", TimestampFormat::kEpochMillis},
      {"iso8601", TimestampFormat::kIso8601},
      {"utc_suffix", TimestampFormat::kUtcSuffix},
      {"datetime", TimestampFormat::kDateTime},
      {"day_first", TimestampFormat::kDayFirst},
      {"month_first", TimestampFormat::kMonthFirst},
      {"ISO8601", TimestampFormat::kIso8601},  // names are case-insensitive
      {"%Y-%m-%d", TimestampFormat::kPattern},
      {"%d/%m/%Y %H:%M:%S.%f %p %z %y %b 100%%", TimestampFormat::kPattern},
  };
  for (const auto& [name, want] : cases) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(TimestampFormat got, ParseTimestampFormatName(name));
    EXPECT_EQ(got, want);
  }
}

TEST(ParseTimestampFormatName, RejectsUnknownNamesListingTheAcceptedOnes) {
  for (const char* name : {"", "iso", "epoch", "day-first", " auto"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ParseTimestampFormatName(name),
                StatusIs(StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("auto"), HasSubstr("epoch_ms"),
                                          HasSubstr("month_first"), HasSubstr("pattern"))));
  }
}

TEST(ParseTimestampFormatName, RejectsBadPatterns) {
  EXPECT_THAT(ParseTimestampFormatName("%Y-%m-%d %Q"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown directive %Q")));
  EXPECT_THAT(ParseTimestampFormatName("%Y-%m-%d %"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("lone '%'")));
}

TEST(ValueErrorName, NamesEveryError) {
  EXPECT_EQ(ValueErrorName(ValueError::kEmpty), "empty");
  EXPECT_EQ(ValueErrorName(ValueError::kUnparseable), "unparseable");
  EXPECT_EQ(ValueErrorName(ValueError::kOutOfRange), "out_of_range");
  EXPECT_EQ(ValueErrorName(ValueError::kNone), "none");
}

// ---------------------------------------------------------------------------
// Timestamps, table-driven. `want` is an epoch when `error` is kNone.

constexpr auto kOk = ValueError::kNone;
constexpr auto kEmpty = ValueError::kEmpty;
constexpr auto kBad = ValueError::kUnparseable;
constexpr auto kRange = ValueError::kOutOfRange;

struct TsCase {
  TimestampFormat format;
  const char* pattern;  // for kPattern, else ""
  std::string text;
  ValueError error;
  int64_t want = 0;
  int utc_offset_minutes = 0;
  bool wide_range = false;  // accept any epoch, to test values before 1990
};

void PrintTo(const TsCase& c, std::ostream* os) {
  *os << "format=" << static_cast<int>(c.format) << " pattern='" << c.pattern << "' text='"
      << c.text << "' offset=" << c.utc_offset_minutes << (c.wide_range ? " wide" : "");
}

class TimestampTest : public ::testing::TestWithParam<TsCase> {};

TEST_P(TimestampTest, Parses) {
  const TsCase& c = GetParam();
  TimestampSpec spec;
  spec.format = c.format;
  spec.pattern = c.pattern;
  spec.utc_offset_minutes = c.utc_offset_minutes;
  if (c.wide_range) {
    spec.min_epoch = std::numeric_limits<int64_t>::min();
    spec.max_epoch = std::numeric_limits<int64_t>::max();
  }
  const ParsedTimestamp got = ParseTimestamp(c.text, spec);
  EXPECT_EQ(ValueErrorName(got.error), ValueErrorName(c.error));
  EXPECT_EQ(got.epoch_seconds, c.error == kOk ? c.want : 0);
}

using F = TimestampFormat;
const int64_t kDec1 = Utc(2010, 12, 1);              // 2010-12-01
const int64_t kDec1_0826 = Utc(2010, 12, 1, 8, 26);  // UCI Online Retail's first invoice
const int64_t kDec1_2026 = Utc(2010, 12, 1, 20, 26);
const int64_t kJan12 = Utc(2010, 1, 12);

INSTANTIATE_TEST_SUITE_P(
    Iso8601, TimestampTest,
    ::testing::Values(
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01 00:00:00Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01t00:00:00z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T02:00:00+02:00", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T02:00:00+0200", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T02:00:00+02", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T05:30:00+05:30", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-09-30T16:00:00-08:00", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00-00:00", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00.123Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00.999999999Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00." + std::string(200, '9') + "Z", kOk,
               k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00,5Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00Z", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T13:14Z", kOk, k20191001 + 13 * 3600 + 14 * 60},
        TsCase{F::kIso8601, "", "2019-10-01", kOk, k20191001},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00", kOk, k20191001},
        TsCase{F::kIso8601, "", " \t2019-10-01T00:00:00Z \r\n", kOk, k20191001},
        TsCase{F::kIso8601, "", "2020-02-29T23:59:59Z", kOk, Utc(2020, 2, 29, 23, 59, 59)},
        TsCase{F::kIso8601, "", "2019-12-31T23:59:59Z", kOk, Utc(2019, 12, 31, 23, 59, 59)},
        // A leap second counts as the first second of the next minute.
        TsCase{F::kIso8601, "", "2016-12-31T23:59:60Z", kOk, Utc(2017, 1, 1)},
        // Range limits are inclusive.
        TsCase{F::kIso8601, "", "1990-01-01T00:00:00Z", kOk, 631152000},
        TsCase{F::kIso8601, "", "2100-01-01T00:00:00Z", kOk, 4102444800},
        TsCase{F::kIso8601, "", "1989-12-31T23:59:59Z", kRange},
        TsCase{F::kIso8601, "", "2100-01-01T00:00:01Z", kRange},
        TsCase{F::kIso8601, "", "9999-12-31T23:59:59Z", kRange},
        // Impossible values.
        TsCase{F::kIso8601, "", "2019-02-29", kRange},
        TsCase{F::kIso8601, "", "2019-04-31", kRange},
        TsCase{F::kIso8601, "", "2019-13-01", kRange},
        TsCase{F::kIso8601, "", "2019-00-10", kRange},
        TsCase{F::kIso8601, "", "2019-10-00", kRange},
        TsCase{F::kIso8601, "", "2019-10-32", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T25:00:00Z", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T24:00:00Z", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T23:60:00Z", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T23:59:61Z", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00+19:00", kRange},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00+05:60", kRange},
        // Shapes that are not ISO-8601.
        TsCase{F::kIso8601, "", "", kEmpty}, TsCase{F::kIso8601, "", "   ", kEmpty},
        TsCase{F::kIso8601, "", "\t\r\n", kEmpty}, TsCase{F::kIso8601, "", "garbage", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00Z garbage", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00ZZ", kBad},
        TsCase{F::kIso8601, "", "2019-10-01 00:00:00 UTC", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00 +02:00", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00.Z", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00+5:30", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00+05:3", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00+", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T0:00:00Z", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:0:00Z", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T", kBad}, TsCase{F::kIso8601, "", "2019-10-1", kBad},
        TsCase{F::kIso8601, "", "2019-1-01", kBad}, TsCase{F::kIso8601, "", "19-10-01", kBad},
        TsCase{F::kIso8601, "", "20191001", kBad}, TsCase{F::kIso8601, "", "2019/10/01", kBad},
        TsCase{F::kIso8601, "", "1569888000", kBad},
        TsCase{F::kIso8601, "", "99999999999999999999999", kBad},
        TsCase{F::kIso8601, "", "2019-10-01T00:00:00Z\x01", kBad},
        TsCase{F::kIso8601, "", std::string("2019-10-01\0", 11), kBad}));

INSTANTIATE_TEST_SUITE_P(
    UtcSuffix, TimestampTest,
    ::testing::Values(
        // REES46 e-commerce events.
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 UTC", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 utc", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 GMT", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00  UTC", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01T00:00:00 UTC", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00.123 UTC", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00 UTC", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 02:00:00 +0200", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 02:00:00 +02:00", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 Z", kOk, k20191001},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00+00:00", kOk, k20191001},
        // The zone is explicit, so the configured offset does not apply.
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 UTC", kOk, k20191001, 120},
        TsCase{F::kUtcSuffix, "", "2019-02-30 00:00:00 UTC", kRange},
        TsCase{F::kUtcSuffix, "", "2019-10-01 24:00:00 UTC", kRange},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 UTCX", kBad},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 UTC UTC", kBad},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00 CET", kBad},
        TsCase{F::kUtcSuffix, "", "2019-10-01 00:00:00", kBad},  // zone required
        TsCase{F::kUtcSuffix, "", "2019-10-01 UTC", kBad},
        TsCase{F::kUtcSuffix, "", "2019-10-01", kBad}, TsCase{F::kUtcSuffix, "", "UTC", kBad},
        TsCase{F::kUtcSuffix, "", " ", kEmpty}));

INSTANTIATE_TEST_SUITE_P(
    DateTime, TimestampTest,
    ::testing::Values(
        TsCase{F::kDateTime, "", "2010-12-01 08:26:00", kOk, kDec1_0826},
        TsCase{F::kDateTime, "", "2010-12-01 08:26", kOk, kDec1_0826},
        TsCase{F::kDateTime, "", "2010-12-01T08:26", kOk, kDec1_0826},
        TsCase{F::kDateTime, "", "2010-12-1 8:26", kOk, kDec1_0826},
        TsCase{F::kDateTime, "", "2010-12-01 08:26:00.5", kOk, kDec1_0826},
        TsCase{F::kDateTime, "", "2010-12-01", kOk, kDec1},
        // Naive times are at utc_offset_minutes east of UTC.
        TsCase{F::kDateTime, "", "2010-12-01 08:26", kOk, kDec1_0826 - 3600, 60},
        TsCase{F::kDateTime, "", "2010-12-01 08:26", kOk, kDec1_0826 + 8 * 3600, -480},
        TsCase{F::kDateTime, "", "2010-12-01 08:26", kOk, kDec1_0826 - 5 * 3600 - 30 * 60, 330},
        // The offset is applied before the range check.
        TsCase{F::kDateTime, "", "2100-01-01 00:00", kOk, 4102444800 - 3600, 60},
        TsCase{F::kDateTime, "", "2100-01-01 00:00", kRange, 0, -60},
        TsCase{F::kDateTime, "", "2010-11-31 08:26", kRange},
        TsCase{F::kDateTime, "", "2010-12-01 08:26:00Z", kBad},
        TsCase{F::kDateTime, "", "2010-12-01 08:26:00 UTC", kBad},
        TsCase{F::kDateTime, "", "2010-12-01 08", kBad},
        TsCase{F::kDateTime, "", "2010-12-01 08:6", kBad},
        TsCase{F::kDateTime, "", "2010-12-01 08:26:00 x", kBad},
        TsCase{F::kDateTime, "", "12/1/2010 8:26", kBad}, TsCase{F::kDateTime, "", "", kEmpty}));

INSTANTIATE_TEST_SUITE_P(
    DayFirst, TimestampTest,
    ::testing::Values(TsCase{F::kDayFirst, "", "01/12/2010 08:26", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "1/12/2010 8:26", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "01.12.2010 08:26:00", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "01-12-2010 08:26:00.25", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "1.12.2010", kOk, kDec1},
                      TsCase{F::kDayFirst, "", "01-12-2010", kOk, kDec1},
                      TsCase{F::kDayFirst, "", "01/12/10 08:26", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "01/12/2010  08:26", kOk, kDec1_0826},
                      TsCase{F::kDayFirst, "", "01/12/2010 08:26 PM", kOk, kDec1_2026},
                      TsCase{F::kDayFirst, "", "31/12/2010", kOk, Utc(2010, 12, 31)},
                      TsCase{F::kDayFirst, "", "29/02/2020", kOk, Utc(2020, 2, 29)},
                      TsCase{F::kDayFirst, "", "29/02/2019", kRange},
                      TsCase{F::kDayFirst, "", "12/31/2010", kRange},
                      TsCase{F::kDayFirst, "", "01/12/2010 25:00", kRange},
                      TsCase{F::kDayFirst, "", "01/12.2010", kBad},  // mixed separators
                      TsCase{F::kDayFirst, "", "01/12/201", kBad},
                      TsCase{F::kDayFirst, "", "001/12/2010", kBad},
                      TsCase{F::kDayFirst, "", "01/12/20100", kBad},
                      TsCase{F::kDayFirst, "", "01/12", kBad},
                      TsCase{F::kDayFirst, "", "01/12/2010 08", kBad},
                      TsCase{F::kDayFirst, "", "01/12/2010T08:26", kBad},
                      TsCase{F::kDayFirst, "", "2010-12-01", kBad}));

INSTANTIATE_TEST_SUITE_P(
    MonthFirst, TimestampTest,
    ::testing::Values(TsCase{F::kMonthFirst, "", "12/1/2010 8:26", kOk, kDec1_0826},
                      TsCase{F::kMonthFirst, "", "12/01/2010 08:26:00", kOk, kDec1_0826},
                      TsCase{F::kMonthFirst, "", "12/9/2011 12:50", kOk, Utc(2011, 12, 9, 12, 50)},
                      TsCase{F::kMonthFirst, "", "12/1/2010", kOk, kDec1},
                      TsCase{F::kMonthFirst, "", "12/1/10 8:26", kOk, kDec1_0826},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26 PM", kOk, kDec1_2026},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26 pm", kOk, kDec1_2026},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26PM", kOk, kDec1_2026},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26:00 AM", kOk, kDec1_0826},
                      TsCase{F::kMonthFirst, "", "12/1/2010 12:26 AM", kOk, kDec1 + 26 * 60},
                      TsCase{F::kMonthFirst, "", "12/1/2010 12:26 PM", kOk,
                             kDec1 + 12 * 3600 + 26 * 60},
                      TsCase{F::kMonthFirst, "", "2/29/2020", kOk, Utc(2020, 2, 29)},
                      TsCase{F::kMonthFirst, "", "2/29/2019", kRange},
                      TsCase{F::kMonthFirst, "", "12/1/2010 0:26 AM", kRange},
                      TsCase{F::kMonthFirst, "", "12/1/2010 13:26 PM", kRange},
                      TsCase{F::kMonthFirst, "", "13/1/2010", kRange},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26 XM", kBad},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26 PM!", kBad},
                      TsCase{F::kMonthFirst, "", "12/1/2010 AM", kBad},
                      TsCase{F::kMonthFirst, "", "12/1/2010 8:26 PM PM", kBad},
                      TsCase{F::kMonthFirst, "", "Dec 1 2010", kBad}));

INSTANTIATE_TEST_SUITE_P(
    EpochSeconds, TimestampTest,
    ::testing::Values(
        TsCase{F::kEpochSeconds, "", "1732000000", kOk, 1732000000},
        TsCase{F::kEpochSeconds, "", "+1732000000", kOk, 1732000000},
        TsCase{F::kEpochSeconds, "", " 1732000000 ", kOk, 1732000000},
        TsCase{F::kEpochSeconds, "", "01732000000", kOk, 1732000000},
        TsCase{F::kEpochSeconds, "", "1732000000.25", kOk, 1732000000},
        TsCase{F::kEpochSeconds, "", "1732000000.999999", kOk, 1732000000},
        // Not converted: epochs are UTC whatever the configured offset.
        TsCase{F::kEpochSeconds, "", "1732000000", kOk, 1732000000, 60},
        // Fractions truncate toward negative infinity.
        TsCase{F::kEpochSeconds, "", "-1", kOk, -1, 0, true},
        TsCase{F::kEpochSeconds, "", "-1.0", kOk, -1, 0, true},
        TsCase{F::kEpochSeconds, "", "-1.5", kOk, -2, 0, true},
        TsCase{F::kEpochSeconds, "", "-0.001", kOk, -1, 0, true},
        TsCase{F::kEpochSeconds, "", "9223372036854775807", kOk, INT64_MAX, 0, true},
        TsCase{F::kEpochSeconds, "", "-9223372036854775807.5", kOk, INT64_MIN, 0, true},
        TsCase{F::kEpochSeconds, "", "-1", kRange},
        TsCase{F::kEpochSeconds, "", "4102444801", kRange},
        TsCase{F::kEpochSeconds, "", "9223372036854775808", kRange, 0, 0, true},
        TsCase{F::kEpochSeconds, "", "-9223372036854775808", kRange, 0, 0, true},
        TsCase{F::kEpochSeconds, "", "99999999999999999999999", kRange},
        TsCase{F::kEpochSeconds, "", std::string(1000, '9'), kRange},
        TsCase{F::kEpochSeconds, "", std::string(1000, '9') + "x", kBad},
        TsCase{F::kEpochSeconds, "", "1732000000.", kBad}, TsCase{F::kEpochSeconds, "", ".5", kBad},
        TsCase{F::kEpochSeconds, "", "1.732e9", kBad},
        TsCase{F::kEpochSeconds, "", "17320000OO", kBad},
        TsCase{F::kEpochSeconds, "", "1732000000 1", kBad},
        TsCase{F::kEpochSeconds, "", "--1", kBad}, TsCase{F::kEpochSeconds, "", "+-1", kBad},
        TsCase{F::kEpochSeconds, "", "-", kBad}, TsCase{F::kEpochSeconds, "", "2019-10-01", kBad},
        TsCase{F::kEpochSeconds, "", "", kEmpty}));

INSTANTIATE_TEST_SUITE_P(
    EpochMillis, TimestampTest,
    ::testing::Values(TsCase{F::kEpochMillis, "", "1732000000123", kOk, 1732000000},
                      TsCase{F::kEpochMillis, "", "1732000000999", kOk, 1732000000},
                      TsCase{F::kEpochMillis, "", "1732000001000", kOk, 1732000001},
                      TsCase{F::kEpochMillis, "", "1732000000123.5", kOk, 1732000000},
                      // RetailRocket events.
                      TsCase{F::kEpochMillis, "", "1433221332117", kOk, 1433221332},
                      TsCase{F::kEpochMillis, "", "-1000", kOk, -1, 0, true},
                      TsCase{F::kEpochMillis, "", "-1001", kOk, -2, 0, true},
                      TsCase{F::kEpochMillis, "", "-1500", kOk, -2, 0, true},
                      TsCase{F::kEpochMillis, "", "-0.5", kOk, -1, 0, true},
                      TsCase{F::kEpochMillis, "", "-1000", kRange},
                      TsCase{F::kEpochMillis, "", "1732000000", kRange},  // 1970-01-21
                      TsCase{F::kEpochMillis, "", "99999999999999999999999", kRange},
                      TsCase{F::kEpochMillis, "", "1732000000123ms", kBad},
                      TsCase{F::kEpochMillis, "", "abc", kBad},
                      TsCase{F::kEpochMillis, "", "  ", kEmpty}));

INSTANTIATE_TEST_SUITE_P(
    Auto, TimestampTest,
    ::testing::Values(
        // Plain numbers: the unit follows from the magnitude.
        TsCase{F::kAuto, "", "1732000000", kOk, 1732000000},
        TsCase{F::kAuto, "", "1732000000.5", kOk, 1732000000},
        TsCase{F::kAuto, "", "1732000000123", kOk, 1732000000},
        TsCase{F::kAuto, "", "1732000000123456", kOk, 1732000000},
        TsCase{F::kAuto, "", "1732000000123456789", kOk, 1732000000},
        TsCase{F::kAuto, "", "99999999999", kOk, 99999999999, 0, true},       // s
        TsCase{F::kAuto, "", "100000000000", kOk, 100000000, 0, true},        // ms
        TsCase{F::kAuto, "", "99999999999999", kOk, 99999999999, 0, true},    // ms
        TsCase{F::kAuto, "", "100000000000000", kOk, 100000000, 0, true},     // µs
        TsCase{F::kAuto, "", "100000000000000000", kOk, 100000000, 0, true},  // ns
        TsCase{F::kAuto, "", "-1732000000123", kOk, -1732000001, 0, true},
        TsCase{F::kAuto, "", "99999999999", kRange}, TsCase{F::kAuto, "", "2019", kRange},
        TsCase{F::kAuto, "", "99999999999999999999999", kRange},
        // The YYYY-MM-DD family, zoned or naive.
        TsCase{F::kAuto, "", "2019-10-01T00:00:00Z", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01T00:00:00.123456Z", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01T02:00:00+02:00", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-09-30T16:00:00-0800", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00 UTC", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00 UTC", kOk, k20191001, 60},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00", kOk, k20191001 - 3600, 60},
        TsCase{F::kAuto, "", "2019-10-01 0:00", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-1", kOk, k20191001},
        TsCase{F::kAuto, "", "2019-10-01", kOk, k20191001},
        // Slash dates: day-first only when the first field cannot be a month.
        TsCase{F::kAuto, "", "12/1/2010 8:26", kOk, kDec1_0826},
        TsCase{F::kAuto, "", "12/1/2010 8:26 PM", kOk, kDec1_2026},
        TsCase{F::kAuto, "", "1/12/2010", kOk, kJan12},
        TsCase{F::kAuto, "", "01-12-2010", kOk, kJan12},
        TsCase{F::kAuto, "", "13/12/2010", kOk, Utc(2010, 12, 13)},
        TsCase{F::kAuto, "", "31-12-2010 23:59:59", kOk, Utc(2010, 12, 31, 23, 59, 59)},
        TsCase{F::kAuto, "", "1.12.2010", kOk, kDec1},  // dots: always day-first
        TsCase{F::kAuto, "", "13/13/2010", kRange}, TsCase{F::kAuto, "", "2/30/2010", kRange},
        TsCase{F::kAuto, "", "2019-10-01T25:00:00Z", kRange},
        TsCase{F::kAuto, "", "2019-02-29 00:00:00 UTC", kRange},
        TsCase{F::kAuto, "", "2020-02-29 00:00:00 UTC", kOk, Utc(2020, 2, 29)},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00 UTCX", kBad},
        TsCase{F::kAuto, "", "2019-10-01 00:00:00 garbage", kBad},
        TsCase{F::kAuto, "", "October 1, 2019", kBad}, TsCase{F::kAuto, "", "1.2.3", kBad},
        TsCase{F::kAuto, "", "1732000000.", kBad}, TsCase{F::kAuto, "", "-", kBad},
        TsCase{F::kAuto, "", "+", kBad}, TsCase{F::kAuto, "", ".", kBad},
        TsCase{F::kAuto, "", "", kEmpty}, TsCase{F::kAuto, "", " \t ", kEmpty}));

INSTANTIATE_TEST_SUITE_P(
    Pattern, TimestampTest,
    ::testing::Values(
        TsCase{F::kPattern, "%d/%m/%Y %H:%M:%S", "01/12/2010 08:26:00", kOk, kDec1_0826},
        TsCase{F::kPattern, "%Y%m%d%H%M%S", "20101201082600", kOk, kDec1_0826},
        TsCase{F::kPattern, "%Y%m%d", "20101201", kOk, kDec1},
        TsCase{F::kPattern, "%d %b %Y %H:%M", "01 Dec 2010 08:26", kOk, kDec1_0826},
        TsCase{F::kPattern, "%d %b %Y", "1 DEC 2010", kOk, kDec1},
        TsCase{F::kPattern, "%d %b %Y", "01 december 2010", kOk, kDec1},
        TsCase{F::kPattern, "%b %d, %Y", "Jan 12, 2010", kOk, kJan12},
        TsCase{F::kPattern, "%d-%b-%y", "01-Dec-10", kOk, kDec1},
        TsCase{F::kPattern, "%d-%b-%y", "01-Dec-68", kOk, Utc(2068, 12, 1)},
        TsCase{F::kPattern, "%d-%b-%y", "01-Dec-69", kOk, Utc(1969, 12, 1), 0, true},
        TsCase{F::kPattern, "%d-%b-%y", "01-Dec-99", kOk, Utc(1999, 12, 1)},
        TsCase{F::kPattern, "%m/%d/%Y %H:%M %p", "12/01/2010 08:26 PM", kOk, kDec1_2026},
        TsCase{F::kPattern, "%m/%d/%Y %H:%M%p", "12/01/2010 12:26am", kOk, kDec1 + 26 * 60},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T02:00:00+0200", kOk, k20191001},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T02:00:00+02:00", kOk, k20191001},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-09-30T16:00:00-08:00", kOk, k20191001},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T00:00:00Z", kOk, k20191001},
        // %z wins over the configured offset; without it the offset applies.
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T00:00:00Z", kOk, k20191001, 60},
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S", "2019-10-01 00:00:00", kOk, k20191001 - 3600, 60},
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S.%f", "2019-10-01 00:00:00.123456", kOk, k20191001},
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S", "2019-10-01 \t  00:00:00", kOk, k20191001},
        TsCase{F::kPattern, "100%% %Y-%m-%d", "100% 2019-10-01", kOk, k20191001},
        TsCase{F::kPattern, "%H:%M %d.%m.%Y", "08:26 01.12.2010", kOk, kDec1_0826},
        TsCase{F::kPattern, "%Y-%m", "2019-10", kOk, k20191001},  // day defaults to 1
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S UTC", "2019-10-01 00:00:00 UTC", kOk, k20191001},
        TsCase{F::kPattern, "%Y-%m-%d", "2019-02-29", kRange},
        TsCase{F::kPattern, "%Y-%m-%d %H", "2019-10-01 24", kRange},
        TsCase{F::kPattern, "%m/%d/%Y %H:%M %p", "12/01/2010 13:26 PM", kRange},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T00:00:00+99:00", kRange},
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S", "2019-10-0100:00:00", kBad},
        TsCase{F::kPattern, "%Y-%m-%d", "2019-10-01x", kBad},
        TsCase{F::kPattern, "%Y-%m-%d", "2019-10", kBad},
        TsCase{F::kPattern, "%Y-%m-%d", "19-10-01", kBad},
        TsCase{F::kPattern, "%Y-%m-%d %Q", "2019-10-01 x", kBad},  // unknown directive
        TsCase{F::kPattern, "%Y-%m-%d %", "2019-10-01 %", kBad},   // dangling '%'
        TsCase{F::kPattern, "%d %b %Y", "01 Dex 2010", kBad},
        TsCase{F::kPattern, "%d %b %Y", "01 Decembre 2010", kBad},
        TsCase{F::kPattern, "%H:%M %p", "08:26 XM", kBad},
        TsCase{F::kPattern, "%Y-%m-%d %H:%M:%S.%f", "2019-10-01 00:00:00.", kBad},
        TsCase{F::kPattern, "%Y-%m-%dT%H:%M:%S%z", "2019-10-01T00:00:00", kBad},
        TsCase{F::kPattern, "%Y-%m-%d", "", kEmpty}));

TEST(ParseTimestamp, RangeIsConfigurable) {
  TimestampSpec spec;
  spec.format = TimestampFormat::kIso8601;
  spec.min_epoch = k20191001;
  spec.max_epoch = k20191001 + 86400;
  EXPECT_EQ(ParseTimestamp("2019-10-01", spec).error, ValueError::kNone);
  EXPECT_EQ(ParseTimestamp("2019-10-02", spec).error, ValueError::kNone);
  EXPECT_EQ(ParseTimestamp("2019-09-30T23:59:59Z", spec).error, ValueError::kOutOfRange);
  EXPECT_EQ(ParseTimestamp("2019-10-02T00:00:01Z", spec).error, ValueError::kOutOfRange);
}

TEST(ParseTimestamp, LeapYearRulesOverCenturies) {
  TimestampSpec spec;
  spec.format = TimestampFormat::kIso8601;
  spec.min_epoch = std::numeric_limits<int64_t>::min();
  spec.max_epoch = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ParseTimestamp("2000-02-29", spec).epoch_seconds, Utc(2000, 2, 29));
  EXPECT_EQ(ParseTimestamp("1600-02-29", spec).epoch_seconds, Utc(1600, 2, 29));
  EXPECT_EQ(ParseTimestamp("1900-02-29", spec).error, ValueError::kOutOfRange);
  EXPECT_EQ(ParseTimestamp("2100-02-29", spec).error, ValueError::kOutOfRange);
  EXPECT_EQ(ParseTimestamp("0000-01-01", spec).epoch_seconds, Utc(0, 1, 1));
  EXPECT_EQ(ParseTimestamp("9999-12-31T23:59:59Z", spec).epoch_seconds,
            Utc(9999, 12, 31, 23, 59, 59));
}

// Every day of 1900..2100 through FormatDate and back through the parser, and
// a sparser walk across years 0000..9999, all against the naive reference.
TEST(ParseTimestamp, RoundTripsEveryDayThroughFormatDate) {
  TimestampSpec spec;
  spec.format = TimestampFormat::kIso8601;
  spec.min_epoch = std::numeric_limits<int64_t>::min();
  spec.max_epoch = std::numeric_limits<int64_t>::max();
  auto check = [&](int64_t day) {
    const std::string date = FormatDate(day);
    const ParsedTimestamp p = ParseTimestamp(date, spec);
    ASSERT_EQ(p.error, ValueError::kNone) << date;
    ASSERT_EQ(p.epoch_seconds, day * 86400) << date;
  };
  const int64_t y1900 = RefDays(1900, 1, 1), y2100 = RefDays(2100, 12, 31);
  const int64_t y0 = RefDays(0, 1, 1), y9999 = RefDays(9999, 12, 31);
  for (int64_t d = y1900; d <= y2100; ++d) check(d);
  for (int64_t d = y0; d <= y9999; d += 37) check(d);
  EXPECT_EQ(FormatDate(RefDays(2020, 2, 29)), "2020-02-29");
}

// Random and mutated inputs must never crash or trip the sanitizers, and a
// parse either fails with epoch 0 or lands inside the accepted range.
TEST(ParseTimestamp, SurvivesRandomInput) {
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789-/.:+ TZzUTCGMAPamp%,\t\x80\xff";
  const std::string seeds[] = {"2019-10-01T00:00:00.123+02:00", "12/1/2010 8:26 PM",
                               "2019-10-01 00:00:00 UTC", "1732000000123.5",
                               "99999999999999999999999"};
  const TimestampFormat formats[] = {F::kAuto,     F::kEpochSeconds, F::kEpochMillis,
                                     F::kIso8601,  F::kUtcSuffix,    F::kDateTime,
                                     F::kDayFirst, F::kMonthFirst,   F::kPattern};
  TimestampSpec spec;
  spec.pattern = "%Y-%m-%dT%H:%M:%S.%f%z %p %b %y%%";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = seeds[rng() % std::size(seeds)];
    const int edits = static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(pos, 1);
          break;
        default:
          s.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
    }
    for (TimestampFormat f : formats) {
      spec.format = f;
      const ParsedTimestamp p = ParseTimestamp(s, spec);
      if (p.error == ValueError::kNone) {
        EXPECT_GE(p.epoch_seconds, spec.min_epoch) << s;
        EXPECT_LE(p.epoch_seconds, spec.max_epoch) << s;
      } else {
        EXPECT_EQ(p.epoch_seconds, 0) << s;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Golden cases from testdata/timestamps/golden.tsv: samples shaped like the
// public datasets recmart ingests, expected values computed independently
// (Python's datetime). Columns: format name or %-pattern, input, expected
// epoch seconds or an error name; '#' starts a comment line.

TEST(ParseTimestamp, GoldenFile) {
  const std::string path =
      std::string(RECMART_SOURCE_DIR) + "/src/recmart/ingest/testdata/timestamps/golden.tsv";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::string line;
  int line_no = 0;
  int cases = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, '\t');) cols.push_back(col);
    ASSERT_EQ(cols.size(), 3u) << path << ":" << line_no << ": want 3 tab-separated columns";
    SCOPED_TRACE(path + ":" + std::to_string(line_no) + ": " + line);
    TimestampSpec spec;
    ASSERT_OK_AND_ASSIGN(spec.format, ParseTimestampFormatName(cols[0]));
    spec.pattern = cols[0];
    const ParsedTimestamp got = ParseTimestamp(cols[1], spec);
    const std::string& want = cols[2];
    if (!want.empty() && (std::isdigit(static_cast<unsigned char>(want[0])) || want[0] == '-')) {
      EXPECT_EQ(ValueErrorName(got.error), "none");
      EXPECT_EQ(got.epoch_seconds, std::stoll(want));
    } else {
      EXPECT_EQ(ValueErrorName(got.error), want);
    }
    ++cases;
  }
  EXPECT_GE(cases, 20);
}

// ---------------------------------------------------------------------------
// Days.

TEST(EpochDay, FloorsTowardNegativeInfinity) {
  EXPECT_EQ(EpochDay(0), 0);
  EXPECT_EQ(EpochDay(86399), 0);
  EXPECT_EQ(EpochDay(86400), 1);
  EXPECT_EQ(EpochDay(-1), -1);
  EXPECT_EQ(EpochDay(-86400), -1);
  EXPECT_EQ(EpochDay(-86401), -2);
  EXPECT_EQ(EpochDay(k20191001), 18170);
  EXPECT_EQ(EpochDay(k20191001 + 86399), 18170);
  EXPECT_EQ(EpochDay(std::numeric_limits<int64_t>::min()),
            std::numeric_limits<int64_t>::min() / 86400 - 1);
  EXPECT_EQ(EpochDay(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max() / 86400);
}

TEST(FormatDate, FormatsDays) {
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(18170), "2019-10-01");
  EXPECT_EQ(FormatDate(EpochDay(-1)), "1969-12-31");
  EXPECT_EQ(FormatDate(RefDays(2000, 2, 29)), "2000-02-29");
  EXPECT_EQ(FormatDate(RefDays(2000, 3, 1)), "2000-03-01");
  EXPECT_EQ(FormatDate(RefDays(1900, 3, 1)), "1900-03-01");
  EXPECT_EQ(FormatDate(RefDays(9999, 12, 31)), "9999-12-31");
  EXPECT_EQ(FormatDate(RefDays(10000, 1, 1)), "10000-01-01");
  EXPECT_EQ(FormatDate(RefDays(5, 6, 7)), "0005-06-07");
  EXPECT_EQ(FormatDate(RefDays(0, 1, 1)), "0000-01-01");
  EXPECT_EQ(FormatDate(RefDays(0, 1, 1) - 1), "-0001-12-31");
}

TEST(FormatDate, ExtremeDaysDoNotOverflow) {
  // Only absence of UB matters here (run under UBSan); spot-check the shape.
  for (int64_t d :
       {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
        std::numeric_limits<int64_t>::min() + 1, std::numeric_limits<int64_t>::max() - 719468}) {
    const std::string s = FormatDate(d);
    EXPECT_THAT(s, ::testing::MatchesRegex("-?[0-9]+-[0-9][0-9]-[0-9][0-9]")) << d;
  }
}

// ---------------------------------------------------------------------------
// Numbers.

struct NumCase {
  const char* text;
  bool decimal_comma;
  ValueError error;
  double want = 0;
};

TEST(ParseNumber, Table) {
  const NumCase cases[] = {
      {"0", false, kOk, 0},
      {"42", false, kOk, 42},
      {"-42", false, kOk, -42},
      {"+42", false, kOk, 42},
      {"19.99", false, kOk, 19.99},
      {" \t19.99\n", false, kOk, 19.99},
      {"1e3", false, kOk, 1000},
      {"1.5E-2", false, kOk, 0.015},
      {"-2.5e+2", false, kOk, -250},
      {".5", false, kOk, 0.5},
      {"+.5", false, kOk, 0.5},
      {"5.", false, kOk, 5},
      {"000123", false, kOk, 123},
      {"17850.0", false, kOk, 17850},
      {"1.7976931348623157e308", false, kOk, 1.7976931348623157e308},
      {"19,99", true, kOk, 19.99},
      {"-19,99", true, kOk, -19.99},
      {"+0,5", true, kOk, 0.5},
      {"19", true, kOk, 19},        // no comma at all is fine
      {"19.99", true, kOk, 19.99},  // nor is a plain point
      {"", false, kEmpty},
      {"   ", false, kEmpty},
      {"", true, kEmpty},
      {"1e999", false, kRange},
      {"-1e999", false, kRange},
      {"1e-400", false, kRange},  // underflow, as from_chars reports it
      {"nan", false, kBad},
      {"NaN", false, kBad},
      {"-nan", false, kBad},
      {"inf", false, kBad},
      {"-inf", false, kBad},
      {"Infinity", false, kBad},
      {"abc", false, kBad},
      {"12abc", false, kBad},
      {"1 000", false, kBad},
      {"1,000", false, kBad},  // thousands separators are not numbers
      {"19,99", false, kBad},
      {"1,000.5", true, kBad},  // comma and point
      {"1,000,5", true, kBad},  // two commas
      {",", true, kBad},
      {"+", false, kBad},
      {"-", false, kBad},
      {"++1", false, kBad},
      {"+-1", false, kBad},
      {"--1", false, kBad},
      {"0x10", false, kBad},
      {"1e", false, kBad},
      {".", false, kBad},
      {"$5", false, kBad},
  };
  for (const NumCase& c : cases) {
    SCOPED_TRACE(std::string("'") + c.text + "' decimal_comma=" + (c.decimal_comma ? "1" : "0"));
    const ParsedNumber got = ParseNumber(c.text, c.decimal_comma);
    EXPECT_EQ(ValueErrorName(got.error), ValueErrorName(c.error));
    if (c.error == kOk) {
      EXPECT_DOUBLE_EQ(got.value, c.want);
    }
  }
}

TEST(ParseNumber, LongInputs) {
  const std::string long_number = "1." + std::string(500, '0') + "1";
  EXPECT_EQ(ParseNumber(long_number).error, ValueError::kNone);
  EXPECT_DOUBLE_EQ(ParseNumber(long_number).value, 1.0);
  const std::string huge = std::string(400, '9');
  EXPECT_EQ(ParseNumber(huge).error, ValueError::kOutOfRange);
  // A decimal-comma number too long for the stack buffer is rejected, not
  // truncated.
  EXPECT_EQ(ParseNumber("1," + std::string(500, '0'), true).error, ValueError::kUnparseable);
}

// ---------------------------------------------------------------------------
// Identifiers and event types.

TEST(NormalizeId, Table) {
  const std::pair<const char*, const char*> cases[] = {
      {"17850", "17850"},
      {"17850.0", "17850"},
      {"17850.000", "17850"},
      {" 17850.0 ", "17850"},
      {"-3.0", "-3"},
      {"0012", "0012"},  // zero padding is part of the id
      {"0012.0", "0012"},
      {"1.5", "1.5"},
      {"1.50", "1.50"},
      {"17850.", "17850."},
      {".0", ".0"},
      {"-.0", "-.0"},
      {"1.0.0", "1.0.0"},
      {"1e3", "1e3"},
      {"85123A", "85123A"},
      {"  abc def  ", "abc def"},
      {"user-7.0", "user-7.0"},
      {"", ""},
      {"   ", ""},
      {"\t\n", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(NormalizeId(in), want) << "'" << in << "'";
}

TEST(NormalizeEventType, Table) {
  const std::pair<const char*, const char*> cases[] = {
      {"view", "view"},
      {" VIEW ", "view"},
      {"addToCart", "add_to_cart"},
      {"AddToCart", "add_to_cart"},
      {"Add To Cart", "add_to_cart"},
      {"add-to-cart", "add_to_cart"},
      {"add_to_cart", "add_to_cart"},
      {"ADD_TO_CART", "add_to_cart"},
      {"add  to--cart", "add_to_cart"},
      {"add - to _ cart", "add_to_cart"},
      {"add\tto cart", "add_to_cart"},
      {"addtocart", "addtocart"},
      {"removeFromCart", "remove_from_cart"},
      {"transaction", "transaction"},
      {"step2Checkout", "step2_checkout"},
      {"add_ToCart", "add_to_cart"},
      {"", ""},
      {"   ", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(NormalizeEventType(in), want) << "'" << in << "'";
}

// ---------------------------------------------------------------------------
// UTF-8.

TEST(IsValidUtf8, Table) {
  const std::pair<std::string, bool> cases[] = {
      {"", true},
      {"plain ascii", true},
      {"caf\xC3\xA9", true},       // é
      {"\xE2\x82\xAC", true},      // €
      {"\xF0\x9F\x9B\x92", true},  // 🛒
      {"\xEF\xBB\xBF"
       "bom",
       true},                                  // byte-order mark
      {"\xED\x9F\xBF", true},                  // U+D7FF, just below the surrogates
      {"\xEE\x80\x80", true},                  // U+E000, just above them
      {"\xF4\x8F\xBF\xBF", true},              // U+10FFFF
      {std::string("nul\0inside", 10), true},  // NUL is a valid character
      {"\xC3", false},                         // truncated 2-byte sequence
      {"\xE2\x82", false},                     // truncated 3-byte sequence
      {"\xF0\x9F\x9B", false},                 // truncated 4-byte sequence
      {"caf\xC3", false},
      {"\xC3\x28", false},  // bad continuation byte
      {"\xE2\x28\xA1", false},
      {"\xE2\x82\x28", false},
      {"\xF0\x9F\x9B\x28", false},
      {"\x80", false},  // lone continuation byte
      {"\xBF", false},
      {"\xC0\x80", false},      // overlong NUL
      {"\xC1\xBF", false},      // overlong
      {"\xE0\x80\x80", false},  // overlong 3-byte
      {"\xE0\x9F\xBF", false},
      {"\xF0\x80\x80\x80", false},  // overlong 4-byte
      {"\xF0\x8F\xBF\xBF", false},
      {"\xED\xA0\x80", false},      // U+D800, a surrogate
      {"\xED\xBF\xBF", false},      // U+DFFF
      {"\xF4\x90\x80\x80", false},  // U+110000
      {"\xF5\x80\x80\x80", false},
      {"\xF8\x88\x80\x80\x80", false},  // 5-byte form
      {"\xFE", false},
      {"\xFF", false},
  };
  for (const auto& [s, want] : cases) {
    SCOPED_TRACE(::testing::PrintToString(s));
    EXPECT_EQ(IsValidUtf8(s), want);
    // The same inside long ASCII runs, at every alignment of the 8-byte path.
    for (size_t pad = 0; pad < 9; ++pad) {
      EXPECT_EQ(IsValidUtf8(std::string(pad, 'a') + s + std::string(17, 'b')), want) << pad;
    }
  }
}

// Every scalar value encodes to valid UTF-8; its overlong encodings and the
// surrogates do not. Checked against a straightforward encoder.
TEST(IsValidUtf8, EveryCodePoint) {
  auto encode = [](uint32_t cp, int len) {
    std::string s;
    if (len == 1) {
      s += static_cast<char>(cp);
    } else if (len == 2) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (len == 3) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
  };
  auto shortest = [](uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; };
  int failures = 0;
  for (uint32_t cp = 0; cp <= 0x10FFFF && failures < 10; ++cp) {
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    const int n = shortest(cp);
    if (IsValidUtf8(encode(cp, n)) != !surrogate) {
      ADD_FAILURE() << "U+" << std::hex << cp;
      ++failures;
    }
    for (int len = n + 1; len <= 4; ++len) {  // overlong forms
      if (IsValidUtf8(encode(cp, len))) {
        ADD_FAILURE() << "overlong U+" << std::hex << cp << " in " << len << " bytes";
        ++failures;
      }
    }
  }
  EXPECT_FALSE(IsValidUtf8(encode(0x110000, 4)));
  EXPECT_FALSE(IsValidUtf8(encode(0x1FFFFF, 4)));
}

}  // namespace
}  // namespace recmart::ingest
