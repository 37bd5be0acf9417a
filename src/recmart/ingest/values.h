// Parsing and normalising the values real exports contain: timestamps in many
// formats, numbers, identifiers and event-type names. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "recmart/common/status.h"

namespace recmart::ingest {

enum class TimestampFormat {
  kAuto,  // tries, in order: epoch s/ms (by magnitude), ISO-8601, '... UTC', YYYY-MM-DD HH:MM[:SS]
  kEpochSeconds,  // 1732000000 (may have a fraction: 1732000000.25)
  kEpochMillis,   // 1732000000123
  kIso8601,       // 2019-10-01T00:00:00Z, 2019-10-01T02:00:00+02:00, 2019-10-01T00:00:00.123Z,
                  // 2019-10-01
  kUtcSuffix,     // 2019-10-01 00:00:00 UTC
  kDateTime,      // 2010-12-01 08:26:00 or 2010-12-01 08:26 (seconds optional)
  kDayFirst,      // 01/12/2010 08:26[:SS] or 1.12.2010 or 01-12-2010 (time optional)
  kMonthFirst,    // 12/1/2010 8:26[:SS] [AM|PM] (time optional)
  kPattern,       // strftime-like `pattern`: %Y %m %d %H %M %S %y %b %p %z %f %% and literals
};

// Parses a format name from the project file: "auto", "epoch_s", "epoch_ms",
// "iso8601", "utc_suffix", "datetime", "day_first", "month_first", or any
// string containing '%' (a pattern). InvalidArgument lists the accepted names.
StatusOr<TimestampFormat> ParseTimestampFormatName(std::string_view name);

struct TimestampSpec {
  TimestampFormat format = TimestampFormat::kAuto;
  std::string pattern;  // for kPattern
  // Offset applied to timestamps that carry no zone (naive local times), in
  // minutes east of UTC: a shop in CET exporting naive times uses 60.
  int utc_offset_minutes = 0;
  // Accepted range, epoch seconds, inclusive: outside it → kOutOfRange.
  // Defaults: 1990-01-01 .. 2100-01-01.
  int64_t min_epoch = 631152000;
  int64_t max_epoch = 4102444800;
};

enum class ValueError {
  kNone,
  kEmpty,        // "" or only whitespace
  kUnparseable,  // text does not fit the format
  kOutOfRange,   // parsed, but outside the accepted range (or an impossible date like Feb 30)
};
std::string_view ValueErrorName(ValueError e);  // "empty", "unparseable", "out_of_range"

struct ParsedTimestamp {
  int64_t epoch_seconds = 0;  // UTC, fractions truncated toward negative infinity
  ValueError error = ValueError::kNone;
};

// Leading/trailing whitespace is ignored.
ParsedTimestamp ParseTimestamp(std::string_view text, const TimestampSpec& spec);

// Days since 1970-01-01 → "YYYY-MM-DD", and epoch seconds → day number.
int64_t EpochDay(int64_t epoch_seconds);
std::string FormatDate(int64_t epoch_day);

struct ParsedNumber {
  double value = 0;
  ValueError error = ValueError::kNone;
};
// Decimal number: optional sign, digits, '.', exponent; surrounding whitespace
// ignored. NaN/inf → kUnparseable. Also accepts a thousands-free decimal comma
// when `decimal_comma` ("19,99").
ParsedNumber ParseNumber(std::string_view text, bool decimal_comma = false);

// Identifier clean-up: trims whitespace; an integral float text ("17850.0")
// becomes "17850". Returns the empty string for empty/whitespace-only input.
std::string NormalizeId(std::string_view text);

// Event-type clean-up before mapping: trimmed, lower case, camelCase split
// ("addToCart" → "add_to_cart"), spaces and '-' → '_', repeated '_' squeezed.
std::string NormalizeEventType(std::string_view text);

// True when `s` is valid UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace recmart::ingest
