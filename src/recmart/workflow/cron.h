// Five-field cron expressions (minute hour day-of-month month day-of-week),
// evaluated in UTC, for the scheduler's time trigger.
//
// Each field: "*", a number, a range "a-b", a list "a,b,c", and steps "*/n"
// or "a-b/n". Months 1-12, days of week 0-7 (0 and 7 are Sunday); the names
// jan..dec and sun..sat are accepted too. As in Vixie cron, when both
// day-of-month and day-of-week are restricted, a day matching either counts.
//
// Hand-written: Debian ships no C++ cron library, and the grammar is small.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "recmart/common/status.h"

namespace recmart::workflow {

class CronSchedule {
 public:
  // InvalidArgument naming the field and what was expected.
  static StatusOr<CronSchedule> Parse(std::string_view expr);

  // True when the minute that starts at `epoch_seconds` (UTC) matches.
  bool Matches(int64_t epoch_seconds) const;
  // The first matching minute strictly after `epoch_seconds`, within 4 years;
  // -1 when there is none (e.g. "0 0 30 2 *").
  int64_t Next(int64_t epoch_seconds) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<8> weekdays_;  // 0..6 (7 folded into 0)
  bool days_any_ = true;
  bool weekdays_any_ = true;
};

}  // namespace recmart::workflow
