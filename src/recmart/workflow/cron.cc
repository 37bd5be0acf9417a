#include "recmart/workflow/cron.h"

#include <array>
#include <charconv>
#include <ctime>
#include <vector>

namespace recmart::workflow {
namespace {

struct FieldSpec {
  const char* name;
  int lo, hi;
  std::vector<std::string_view> names;  // index 0 = value lo (months: jan = 1)
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

bool ParseValue(std::string_view s, const FieldSpec& f, int* out) {
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (s.size() == 3 && std::tolower(s[0]) == f.names[i][0] &&
        std::tolower(s[1]) == f.names[i][1] && std::tolower(s[2]) == f.names[i][2]) {
      *out = f.lo + static_cast<int>(i);
      return true;
    }
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// Sets the bits of one field; `any` tells whether it was "*" (for the
// day-of-month / day-of-week rule).
Status ParseField(std::string_view text, const FieldSpec& f, std::vector<bool>* bits, bool* any) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(std::string(f.name) + " field '" + std::string(text) +
                                   "': " + std::string(why));
  };
  *any = text == "*";
  for (std::string_view part : Split(text, ',')) {
    if (part.empty()) return bad("empty list element");
    int step = 1;
    if (size_t slash = part.find('/'); slash != std::string_view::npos) {
      if (!ParseValue(part.substr(slash + 1), {f.name, 1, 0, {}}, &step) || step < 1 || step > f.hi)
        return bad("expected a step from 1 to " + std::to_string(f.hi));
      part = part.substr(0, slash);
    }
    int lo = f.lo, hi = f.hi;
    if (part != "*") {
      size_t dash = part.find('-');
      if (!ParseValue(part.substr(0, dash), f, &lo)) return bad("expected a number or a name");
      hi = lo;
      if (dash != std::string_view::npos && !ParseValue(part.substr(dash + 1), f, &hi))
        return bad("expected a range a-b");
      if (dash == std::string_view::npos && step > 1) hi = f.hi;  // "5/15" = 5-max/15
    }
    if (lo < f.lo || hi > f.hi || lo > hi)
      return bad("expected values from " + std::to_string(f.lo) + " to " + std::to_string(f.hi));
    for (int v = lo; v <= hi; v += step) (*bits)[v] = true;
  }
  return Status::OK();
}

template <size_t N>
void Copy(const std::vector<bool>& from, std::bitset<N>* to) {
  for (size_t i = 0; i < N && i < from.size(); ++i) (*to)[i] = from[i];
}

}  // namespace

StatusOr<CronSchedule> CronSchedule::Parse(std::string_view expr) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < expr.size()) {
    while (i < expr.size() && (expr[i] == ' ' || expr[i] == '\t')) ++i;
    size_t start = i;
    while (i < expr.size() && expr[i] != ' ' && expr[i] != '\t') ++i;
    if (i > start) fields.push_back(expr.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("cron '" + std::string(expr) +
                                   "': expected 5 fields (minute hour day month weekday), got " +
                                   std::to_string(fields.size()));
  }
  static const FieldSpec kSpecs[5] = {
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day-of-month", 1, 31, {}},
      {"month",
       1,
       12,
       {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {"day-of-week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}};
  CronSchedule c;
  c.text_ = std::string(expr);
  std::array<std::vector<bool>, 5> bits;
  std::array<bool, 5> any{};
  for (int f = 0; f < 5; ++f) {
    bits[f].assign(kSpecs[f].hi + 1, false);
    Status s = ParseField(fields[f], kSpecs[f], &bits[f], &any[f]);
    if (!s.ok()) return s.WithContext("cron '" + std::string(expr) + "'");
  }
  if (bits[4][7]) bits[4][0] = true;
  Copy(bits[0], &c.minutes_);
  Copy(bits[1], &c.hours_);
  Copy(bits[2], &c.days_);
  Copy(bits[3], &c.months_);
  Copy(bits[4], &c.weekdays_);
  c.days_any_ = any[2];
  c.weekdays_any_ = any[4];
  return c;
}

bool CronSchedule::Matches(int64_t epoch_seconds) const {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (!minutes_[tm.tm_min] || !hours_[tm.tm_hour] || !months_[tm.tm_mon + 1]) return false;
  bool dom = days_[tm.tm_mday], dow = weekdays_[tm.tm_wday];
  if (days_any_ || weekdays_any_) return dom && dow;
  return dom || dow;
}

int64_t CronSchedule::Next(int64_t epoch_seconds) const {
  int64_t t = (epoch_seconds / 60 + 1) * 60;
  const int64_t limit = t + int64_t{4} * 366 * 24 * 3600;
  for (; t < limit; t += 60) {
    if (Matches(t)) return t;
  }
  return -1;
}

}  // namespace recmart::workflow
