// Value parsing (ingest/values.h): timestamps in every TimestampFormat, with
// the zone offset and accepted range the project file allows, plus numbers,
// ids, event types and the UTF-8 check.
//
// Input: byte 0 picks the format (and, bit 7, the widest accepted range);
// byte 1 the naive-time offset; then, for kPattern, the pattern up to the
// first '\n'; the rest is the value text. The pattern must pass
// ParseTimestampFormatName, as the project file requires.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "recmart/ingest/values.h"

namespace ingest = recmart::ingest;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_timestamp: invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr int kFormats = static_cast<int>(ingest::TimestampFormat::kPattern) + 1;
  ingest::TimestampSpec spec;
  spec.format = static_cast<ingest::TimestampFormat>((data[0] & 0x7f) % kFormats);
  if (data[0] & 0x80) {
    spec.min_epoch = INT64_MIN / 2;  // the widest range the project file accepts
    spec.max_epoch = INT64_MAX / 2;
  }
  spec.utc_offset_minutes = (static_cast<int>(data[1]) - 128) * 7;  // within +-14 h
  in.remove_prefix(2);
  if (spec.format == ingest::TimestampFormat::kPattern) {
    const size_t nl = in.find('\n');
    if (nl == std::string_view::npos) return 0;
    spec.pattern = std::string(in.substr(0, nl));
    in.remove_prefix(nl + 1);
    auto f = ingest::ParseTimestampFormatName(spec.pattern);
    if (!f.ok() || *f != ingest::TimestampFormat::kPattern) return 0;
  }

  const ingest::ParsedTimestamp t = ingest::ParseTimestamp(in, spec);
  if (t.error == ingest::ValueError::kNone) {
    Check(t.epoch_seconds >= spec.min_epoch && t.epoch_seconds <= spec.max_epoch,
          "timestamp within the accepted range");
    const std::string date = ingest::FormatDate(ingest::EpochDay(t.epoch_seconds));
    Check(!date.empty(), "a date for every accepted timestamp");
  } else {
    Check(t.epoch_seconds == 0, "no value with an error");
  }
  (void)ingest::ValueErrorName(t.error);
  (void)ingest::ParseTimestampFormatName(in);

  const ingest::ParsedNumber n = ingest::ParseNumber(in, (data[1] & 1) != 0);
  if (n.error == ingest::ValueError::kNone) Check(std::isfinite(n.value), "finite numbers");
  const std::string id = ingest::NormalizeId(in);
  Check(id.size() <= in.size(), "ids do not grow");
  Check(ingest::NormalizeId(id) == id, "NormalizeId is idempotent");
  const std::string type = ingest::NormalizeEventType(in);
  (void)ingest::IsValidUtf8(in);
  return 0;
}
