#include "recmart/ingest/values.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace recmart::ingest {

namespace {

// ---------------------------------------------------------------------------
// Character helpers (ASCII only, locale independent).

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// Floor division for a positive divisor (C++ `/` truncates toward zero).
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

// ---------------------------------------------------------------------------
// Calendar arithmetic: Howard Hinnant's algorithms for the proleptic Gregorian
// calendar (http://howardhinnant.github.io/date_algorithms.html). Exact for
// every year, no tables, no libc time zone state (timegm/mktime are slow and
// depend on the process environment).

constexpr bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int DaysInMonth(int64_t y, int m) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of y-m-d (m in 1..12, d in 1..31).
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}
static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(DaysFromCivil(1969, 12, 31) == -1);

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Inverse of DaysFromCivil, defined for every int64_t day number: the era is
// split off before shifting the epoch to 0000-03-01, so nothing can overflow.
constexpr CivilDate CivilFromDays(int64_t days) {
  int64_t era = FloorDiv(days, 146097);
  int64_t rem = days % 146097;  // not days - era * 146097: that overflows near INT64_MIN
  if (rem < 0) rem += 146097;
  const int64_t z = rem + 719468;  // [719468, 865564]
  era += z / 146097;
  const int64_t doe = z % 146097;                                             // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);               // [1, 31]
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);                  // [1, 12]
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}
static_assert(CivilFromDays(0).year == 1970 && CivilFromDays(0).month == 1);
static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).day == 31);
static_assert(CivilFromDays(11016).month == 2 && CivilFromDays(11016).day == 29);

// ---------------------------------------------------------------------------
// Parsing primitives.

// A read position in the (trimmed) text. Parsers advance it and report shape
// mismatches by returning false; a failed parser's position is meaningless.
struct Cursor {
  const char* p;
  const char* end;

  explicit Cursor(std::string_view s) : p(s.data()), end(s.data() + s.size()) {}

  bool AtEnd() const { return p == end; }
  char Peek() const { return p < end ? *p : '\0'; }
  bool Consume(char c) {
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  // Greedily reads up to `max_digits` (<= 4, so `int` cannot overflow) and
  // requires at least `min_digits`. Does not look past `max_digits`, which is
  // what compact patterns like "%Y%m%d" need.
  bool Digits(int min_digits, int max_digits, int* out, int* count = nullptr) {
    int n = 0;
    int v = 0;
    while (n < max_digits && p < end && IsDigit(*p)) {
      v = v * 10 + (*p - '0');
      ++p;
      ++n;
    }
    if (count != nullptr) *count = n;
    if (n < min_digits) return false;
    *out = v;
    return true;
  }
  // One or more digits whose value is not needed (fractions of a second:
  // results are truncated toward negative infinity, and a non-negative
  // fraction added to a whole second never changes the floor).
  bool SkipDigits() {
    const char* start = p;
    while (p < end && IsDigit(*p)) ++p;
    return p != start;
  }
  // One or more blanks.
  bool Blanks() {
    const char* start = p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    return p != start;
  }
  // `word` (lower case), case-insensitively.
  bool ConsumeWord(std::string_view word) {
    if (static_cast<size_t>(end - p) < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (ToLower(p[i]) != word[i]) return false;
    }
    p += word.size();
    return true;
  }
};

// Broken-down time as read from the text; validated only by ToEpoch, so that
// shape errors (kUnparseable) and impossible values (kOutOfRange) differ.
struct Civil {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  enum Meridiem { kNone, kAm, kPm } meridiem = kNone;
  bool has_zone = false;
  int zone_sign = 1;  // zone = sign * (zone_hours:zone_minutes) east of UTC
  int zone_hours = 0;
  int zone_minutes = 0;
};

// 'Z' or ±HH:MM, ±HHMM, ±HH.
bool ParseZone(Cursor& c, Civil* t) {
  if (c.Consume('Z') || c.Consume('z')) {
    t->has_zone = true;
    t->zone_sign = 1;
    t->zone_hours = t->zone_minutes = 0;
    return true;
  }
  const char sign = c.Peek();
  if (sign != '+' && sign != '-') return false;
  ++c.p;
  if (!c.Digits(2, 2, &t->zone_hours)) return false;
  t->zone_minutes = 0;
  // Minutes follow as ":MM" or directly as "MM".
  if (c.Consume(':') || IsDigit(c.Peek())) {
    if (!c.Digits(2, 2, &t->zone_minutes)) return false;
  }
  t->has_zone = true;
  t->zone_sign = sign == '-' ? -1 : 1;
  return true;
}

// "AM"/"PM", any case.
bool ParseMeridiem(Cursor& c, Civil* t) {
  if (c.ConsumeWord("am")) {
    t->meridiem = Civil::kAm;
    return true;
  }
  if (c.ConsumeWord("pm")) {
    t->meridiem = Civil::kPm;
    return true;
  }
  return false;
}

// HH:MM[:SS[(.|,)fraction]]; `strict` demands two hour digits.
bool ParseTime(Cursor& c, bool strict, Civil* t) {
  if (!c.Digits(strict ? 2 : 1, 2, &t->hour)) return false;
  if (!c.Consume(':') || !c.Digits(2, 2, &t->minute)) return false;
  if (!c.Consume(':')) return true;
  if (!c.Digits(2, 2, &t->second)) return false;
  if (c.Consume('.') || c.Consume(',')) return c.SkipDigits();
  return true;
}

// Zone handling for the YYYY-MM-DD family, as bit flags.
enum ZoneMode : unsigned {
  kZoneNone = 0,
  kZoneAttached = 1,  // 'Z' or an offset right after the time (ISO-8601)
  kZoneSuffix = 2,    // blanks, then 'UTC', 'GMT', 'Z' or an offset
  kZoneRequired = 4,
};

struct YmdOptions {
  bool strict_widths;  // two-digit month/day/hour (ISO-8601) rather than 1-2
  unsigned zone;       // ZoneMode bits
  bool date_only;      // a bare date (midnight) is accepted
};

// YYYY-MM-DD[(T|blanks)HH:MM[:SS[.fff]]][zone].
bool ParseYmd(Cursor& c, const YmdOptions& o, Civil* t) {
  const int w = o.strict_widths ? 2 : 1;
  if (!c.Digits(4, 4, &t->year) || !c.Consume('-') || !c.Digits(w, 2, &t->month) ||
      !c.Consume('-') || !c.Digits(w, 2, &t->day)) {
    return false;
  }
  if (c.AtEnd()) return o.date_only && !(o.zone & kZoneRequired);
  if (!c.Consume('T') && !c.Consume('t') && !c.Blanks()) return false;
  if (!ParseTime(c, o.strict_widths, t)) return false;
  if (!c.AtEnd()) {
    const char next = c.Peek();
    if ((o.zone & kZoneAttached) && (next == 'Z' || next == 'z' || next == '+' || next == '-')) {
      if (!ParseZone(c, t)) return false;
    } else if ((o.zone & kZoneSuffix) && c.Blanks()) {
      if (c.ConsumeWord("utc") || c.ConsumeWord("gmt")) {
        t->has_zone = true;
      } else if (!ParseZone(c, t)) {
        return false;
      }
    } else {
      return false;
    }
  }
  if ((o.zone & kZoneRequired) && !t->has_zone) return false;
  return c.AtEnd();
}

// A(sep)B(sep)YEAR[ blanks H:MM[:SS[.fff]][ blanks][AM|PM]] with sep one of
// '/', '.', '-' (the same twice), A and B of 1-2 digits and a 4-digit or a
// 2-digit year (pivot as %y). Which of A and B is the day is up to the caller.
bool ParseSlashDate(Cursor& c, int* a, int* b, char* sep_out, Civil* t) {
  if (!c.Digits(1, 2, a)) return false;
  const char sep = c.Peek();
  if (sep != '/' && sep != '.' && sep != '-') return false;
  ++c.p;
  if (!c.Digits(1, 2, b) || !c.Consume(sep)) return false;
  int year_digits = 0;
  if (!c.Digits(2, 4, &t->year, &year_digits) || year_digits == 3) return false;
  if (year_digits == 2) t->year += t->year < 69 ? 2000 : 1900;
  *sep_out = sep;
  if (c.AtEnd()) return true;
  if (!c.Blanks() || !ParseTime(c, /*strict=*/false, t)) return false;
  if (c.AtEnd()) return true;
  c.Blanks();
  return ParseMeridiem(c, t) && c.AtEnd();
}

constexpr std::array<std::string_view, 12> kMonthNames = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

// %b: a three-letter English month abbreviation, any case. The rest of the
// full name is consumed too when present ("Oct" and "October" both work).
bool ParseMonthName(Cursor& c, int* month) {
  for (int i = 0; i < 12; ++i) {
    const std::string_view name = kMonthNames[i];
    if (c.ConsumeWord(name.substr(0, 3))) {
      c.ConsumeWord(name.substr(3));
      *month = i + 1;
      return true;
    }
  }
  return false;
}

constexpr std::string_view kPatternDirectives = "YmdHMSybpzf%";

// Matches `text` against a strftime-like pattern (see TimestampFormat::kPattern).
// A blank in the pattern matches one or more blanks; other characters match
// themselves. Unknown directives never match.
bool ParsePattern(Cursor& c, std::string_view pattern, Civil* t) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char pc = pattern[i];
    if (pc == ' ') {
      if (!c.Blanks()) return false;
      continue;
    }
    if (pc != '%') {
      if (!c.Consume(pc)) return false;
      continue;
    }
    if (++i == pattern.size()) return false;  // dangling '%'
    bool ok = false;
    switch (pattern[i]) {
      case 'Y':
        ok = c.Digits(4, 4, &t->year);
        break;
      case 'm':
        ok = c.Digits(1, 2, &t->month);
        break;
      case 'd':
        ok = c.Digits(1, 2, &t->day);
        break;
      case 'H':
        ok = c.Digits(1, 2, &t->hour);
        break;
      case 'M':
        ok = c.Digits(1, 2, &t->minute);
        break;
      case 'S':
        ok = c.Digits(1, 2, &t->second);
        break;
      case 'y':
        ok = c.Digits(2, 2, &t->year);
        t->year += t->year < 69 ? 2000 : 1900;
        break;
      case 'b':
        ok = ParseMonthName(c, &t->month);
        break;
      case 'p':
        ok = ParseMeridiem(c, t);
        break;
      case 'z':
        ok = ParseZone(c, t);
        break;
      case 'f':
        ok = c.SkipDigits();
        break;
      case '%':
        ok = c.Consume('%');
        break;
      default:
        ok = false;
        break;
    }
    if (!ok) return false;
  }
  return c.AtEnd();
}

// Validates the fields and converts to epoch seconds (before the range check).
// Zone-less times are taken to be at `utc_offset_minutes` east of UTC.
ValueError ToEpoch(const Civil& t, int utc_offset_minutes, int64_t* out) {
  int hour = t.hour;
  if (t.meridiem != Civil::kNone) {
    if (hour < 1 || hour > 12) return ValueError::kOutOfRange;
    hour %= 12;
    if (t.meridiem == Civil::kPm) hour += 12;
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > DaysInMonth(t.year, t.month) ||
      hour > 23 || t.minute > 59 || t.second > 60) {
    return ValueError::kOutOfRange;
  }
  int64_t offset_minutes = utc_offset_minutes;
  if (t.has_zone) {
    // ±18:00 is the widest offset ISO-8601 tools accept (real zones: ±14:00).
    if (t.zone_hours > 18 || t.zone_minutes > 59) return ValueError::kOutOfRange;
    offset_minutes = t.zone_sign * (t.zone_hours * 60 + t.zone_minutes);
  }
  // A leap second (:60) is accepted and simply counted, i.e. it lands on the
  // first second of the next minute, as POSIX time does.
  *out = DaysFromCivil(t.year, t.month, t.day) * 86400 + hour * 3600 + t.minute * 60 + t.second -
         offset_minutes * 60;
  return ValueError::kNone;
}

// [+-]digits[.digits] → floor of its value. `magnitude` is the integer part's
// absolute value. Digit strings beyond int64 are kOutOfRange, never UB.
ValueError ParseEpochNumber(std::string_view s, int64_t* floor_value, uint64_t* magnitude) {
  Cursor c(s);
  const bool negative = c.Consume('-');
  if (!negative) c.Consume('+');
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  uint64_t v = 0;
  bool overflow = false;
  const char* digits_start = c.p;
  while (!c.AtEnd() && IsDigit(c.Peek())) {
    const uint64_t d = static_cast<uint64_t>(*c.p++ - '0');
    if (overflow || v > (kMax - d) / 10) {
      overflow = true;
    } else {
      v = v * 10 + d;
    }
  }
  if (c.p == digits_start) return ValueError::kUnparseable;
  bool fraction_nonzero = false;
  if (c.Consume('.')) {
    const char* frac_start = c.p;
    while (!c.AtEnd() && IsDigit(c.Peek())) fraction_nonzero |= *c.p++ != '0';
    if (c.p == frac_start) return ValueError::kUnparseable;
  }
  if (!c.AtEnd()) return ValueError::kUnparseable;
  if (overflow) return ValueError::kOutOfRange;
  *magnitude = v;
  // v <= INT64_MAX, so -v - 1 >= INT64_MIN.
  *floor_value =
      negative ? -static_cast<int64_t>(v) - (fraction_nonzero ? 1 : 0) : static_cast<int64_t>(v);
  return ValueError::kNone;
}

ValueError ParseEpoch(std::string_view s, int64_t units_per_second, bool by_magnitude,
                      int64_t* out) {
  int64_t value = 0;
  uint64_t magnitude = 0;
  const ValueError e = ParseEpochNumber(s, &value, &magnitude);
  if (e != ValueError::kNone) return e;
  if (by_magnitude) {
    // Current times are ~1.7e9 s, 1.7e12 ms, 1.7e15 µs, 1.7e18 ns; each
    // threshold is year 5138 in the smaller unit.
    units_per_second = magnitude < 100'000'000'000ULL           ? 1
                       : magnitude < 100'000'000'000'000ULL     ? 1'000
                       : magnitude < 100'000'000'000'000'000ULL ? 1'000'000
                                                                : 1'000'000'000;
  }
  *out = FloorDiv(value, units_per_second);
  return ValueError::kNone;
}

// Dispatch for every format but the epoch ones; fills `t` from the text.
ValueError ParseCivil(std::string_view s, const TimestampSpec& spec, Civil* t) {
  Cursor c(s);
  int a = 0;
  int b = 0;
  char sep = 0;
  bool ok = false;
  switch (spec.format) {
    case TimestampFormat::kIso8601:
      ok = ParseYmd(c, {true, kZoneAttached, true}, t);
      break;
    case TimestampFormat::kUtcSuffix:
      ok = ParseYmd(c, {true, kZoneAttached | kZoneSuffix | kZoneRequired, false}, t);
      break;
    case TimestampFormat::kDateTime:
      ok = ParseYmd(c, {false, kZoneNone, true}, t);
      break;
    case TimestampFormat::kDayFirst:
    case TimestampFormat::kMonthFirst:
      ok = ParseSlashDate(c, &a, &b, &sep, t);
      if (ok) {
        const bool day_first = spec.format == TimestampFormat::kDayFirst;
        t->day = day_first ? a : b;
        t->month = day_first ? b : a;
      }
      break;
    case TimestampFormat::kPattern:
      ok = ParsePattern(c, spec.pattern, t);
      break;
    case TimestampFormat::kAuto:
      // One lenient pass covers ISO-8601, '... UTC' and YYYY-MM-DD HH:MM[:SS].
      ok = ParseYmd(c, {false, kZoneAttached | kZoneSuffix, true}, t);
      if (!ok) {
        *t = Civil();
        c = Cursor(s);
        ok = ParseSlashDate(c, &a, &b, &sep, t);
        if (ok) {
          // Which field is the day: '.' dates are day-first everywhere they
          // are used (1.12.2010). For '/' and '-' the first field is the day
          // only when it cannot be a month (> 12); otherwise we read the date
          // month-first, as US exports (Excel, the UCI Online Retail set) do.
          // Sources with day-first dates should say format = "day_first".
          const bool day_first = sep == '.' || a > 12;
          t->day = day_first ? a : b;
          t->month = day_first ? b : a;
        }
      }
      break;
    case TimestampFormat::kEpochSeconds:
    case TimestampFormat::kEpochMillis:
      break;  // handled by the caller
  }
  return ok ? ValueError::kNone : ValueError::kUnparseable;
}

}  // namespace

// ---------------------------------------------------------------------------

StatusOr<TimestampFormat> ParseTimestampFormatName(std::string_view name) {
  static constexpr std::pair<std::string_view, TimestampFormat> kNames[] = {
      {"auto", TimestampFormat::kAuto},
      {"epoch_s", TimestampFormat::kEpochSeconds},
      {"epoch_ms", TimestampFormat::kEpochMillis},
      {"iso8601", TimestampFormat::kIso8601},
      {"utc_suffix", TimestampFormat::kUtcSuffix},
      {"datetime", TimestampFormat::kDateTime},
      {"day_first", TimestampFormat::kDayFirst},
      {"month_first", TimestampFormat::kMonthFirst},
  };
  if (name.find('%') != std::string_view::npos) {
    // Validate the directives now so a typo fails at config time rather than
    // as every row being unparseable.
    for (size_t i = 0; i < name.size(); ++i) {
      if (name[i] != '%') continue;
      if (i + 1 == name.size()) {
        return Status::InvalidArgument("timestamp pattern \"" + std::string(name) +
                                       "\": ends with a lone '%' (write %% for a literal '%')");
      }
      const char d = name[++i];
      if (kPatternDirectives.find(d) == std::string_view::npos) {
        return Status::InvalidArgument("timestamp pattern \"" + std::string(name) +
                                       "\": unknown directive %" + std::string(1, d) +
                                       " (supported: %Y %m %d %H %M %S %y %b %p %z %f %%)");
      }
    }
    return TimestampFormat::kPattern;
  }
  for (const auto& [n, format] : kNames) {
    if (EqualsIgnoreCase(name, n)) return format;
  }
  return Status::InvalidArgument(
      "unknown timestamp format \"" + std::string(name) +
      "\": expected one of auto, epoch_s, epoch_ms, iso8601, utc_suffix, datetime, day_first, "
      "month_first, or a %-pattern such as \"%d/%m/%Y %H:%M\"");
}

std::string_view ValueErrorName(ValueError e) {
  switch (e) {
    case ValueError::kNone:
      return "none";
    case ValueError::kEmpty:
      return "empty";
    case ValueError::kUnparseable:
      return "unparseable";
    case ValueError::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

ParsedTimestamp ParseTimestamp(std::string_view text, const TimestampSpec& spec) {
  const std::string_view s = Trim(text);
  if (s.empty()) return {0, ValueError::kEmpty};

  int64_t epoch = 0;
  ValueError error = ValueError::kNone;
  switch (spec.format) {
    case TimestampFormat::kEpochSeconds:
      error = ParseEpoch(s, 1, /*by_magnitude=*/false, &epoch);
      break;
    case TimestampFormat::kEpochMillis:
      error = ParseEpoch(s, 1000, /*by_magnitude=*/false, &epoch);
      break;
    default: {
      // kAuto reads a plain number ([+-]digits[.digits]) as an epoch in the
      // unit its magnitude suggests (see ParseEpoch); anything else ("1.12.2010")
      // goes on to the calendar formats.
      if (spec.format == TimestampFormat::kAuto) {
        error = ParseEpoch(s, 1, /*by_magnitude=*/true, &epoch);
        if (error != ValueError::kUnparseable) break;
      }
      Civil t;
      error = ParseCivil(s, spec, &t);
      if (error == ValueError::kNone) error = ToEpoch(t, spec.utc_offset_minutes, &epoch);
      break;
    }
  }
  if (error != ValueError::kNone) return {0, error};
  if (epoch < spec.min_epoch || epoch > spec.max_epoch) return {0, ValueError::kOutOfRange};
  return {epoch, ValueError::kNone};
}

int64_t EpochDay(int64_t epoch_seconds) { return FloorDiv(epoch_seconds, 86400); }

std::string FormatDate(int64_t epoch_day) {
  const CivilDate d = CivilFromDays(epoch_day);
  // "-YYYY..." for years before 0, more than four digits after 9999.
  char buf[32];
  char* p = buf;
  char* const end = buf + sizeof(buf);
  int64_t year = d.year;
  if (year < 0) {
    *p++ = '-';
    year = -year;  // |year| < 2^56: no overflow
  }
  if (year < 1000) *p++ = '0';
  if (year < 100) *p++ = '0';
  if (year < 10) *p++ = '0';
  p = std::to_chars(p, end, year).ptr;
  *p++ = '-';
  *p++ = static_cast<char>('0' + d.month / 10);
  *p++ = static_cast<char>('0' + d.month % 10);
  *p++ = '-';
  *p++ = static_cast<char>('0' + d.day / 10);
  *p++ = static_cast<char>('0' + d.day % 10);
  return std::string(buf, p);
}

ParsedNumber ParseNumber(std::string_view text, bool decimal_comma) {
  std::string_view s = Trim(text);
  if (s.empty()) return {0, ValueError::kEmpty};

  // A '+' is allowed where from_chars (like JSON) does not take one; "+-1"
  // stays an error because the '-' is then left for from_chars to reject.
  if (s.front() == '+' && s.size() > 1 && s[1] != '-' && s[1] != '+') s.remove_prefix(1);

  // Decimal comma: exactly one ',' and no '.', rewritten into a stack buffer
  // (numbers long enough to overflow it are not plausible data).
  char buf[128];
  if (decimal_comma) {
    const size_t comma = s.find(',');
    if (comma != std::string_view::npos) {
      if (s.find(',', comma + 1) != std::string_view::npos ||
          s.find('.') != std::string_view::npos || s.size() > sizeof(buf)) {
        return {0, ValueError::kUnparseable};
      }
      std::memcpy(buf, s.data(), s.size());
      buf[comma] = '.';
      s = std::string_view(buf, s.size());
    }
  }

  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::invalid_argument || ptr != s.data() + s.size()) {
    return {0, ValueError::kUnparseable};
  }
  // Beyond double's range: overflow ("1e999"), or underflow below the smallest
  // subnormal ("1e-400"), which from_chars reports the same way.
  if (ec == std::errc::result_out_of_range) return {0, ValueError::kOutOfRange};
  if (!std::isfinite(value)) return {0, ValueError::kUnparseable};  // "nan", "inf"
  return {value, ValueError::kNone};
}

std::string NormalizeId(std::string_view text) {
  const std::string_view s = Trim(text);
  // An integral number written as a float ("17850.0", "-3.00"), as pandas and
  // spreadsheets do for integer columns with missing values: drop the ".0…".
  // Leading zeros are kept: "0012" and "12" are different identifiers.
  const size_t dot = s.find('.');
  if (dot != std::string_view::npos && dot + 1 < s.size()) {
    size_t i = s.front() == '-' ? 1 : 0;
    bool integral = i < dot;
    for (; integral && i < dot; ++i) integral = IsDigit(s[i]);
    for (i = dot + 1; integral && i < s.size(); ++i) integral = s[i] == '0';
    if (integral) return std::string(s.substr(0, dot));
  }
  return std::string(s);
}

std::string NormalizeEventType(std::string_view text) {
  const std::string_view s = Trim(text);
  std::string out;
  out.reserve(s.size() + 4);
  auto put_underscore = [&out] {  // squeezes runs: "add - to" → "add_to"
    if (out.empty() || out.back() != '_') out.push_back('_');
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_' || c == '-' || IsSpace(c)) {
      put_underscore();
    } else if (IsUpper(c)) {
      // camelCase boundary: an upper-case letter after a lower-case letter or
      // a digit ("addToCart", "step2Checkout"). Runs of capitals are one word
      // ("VIEW", "ADD_TO_CART").
      if (i > 0 && (IsLower(s[i - 1]) || IsDigit(s[i - 1]))) put_underscore();
      out.push_back(ToLower(c));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = p + s.size();
  while (p < end) {
    // ASCII fast path: eight bytes at a time while none has the high bit.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // Well-formed sequences per the Unicode Standard, table 3-7: the ranges
    // allowed for the second byte exclude overlongs (C0, C1, E0 80..9F,
    // F0 80..8F), surrogates (ED A0..BF) and code points > U+10FFFF (F4 90..).
    int len;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;  // continuation byte, C0/C1 or F5..FF as a lead byte
    }
    if (end - p < len) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int k = 2; k < len; ++k) {
      if (p[k] < 0x80 || p[k] > 0xBF) return false;
    }
    p += len;
  }
  return true;
}

}  // namespace recmart::ingest
