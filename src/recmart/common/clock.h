// The wall clock as Unix time, for records that outlive the process (run
// records, manifests, logs). Durations use std::chrono::steady_clock instead.
#pragma once

#include <chrono>
#include <cstdint>

namespace recmart {

// Seconds since 1970-01-01 UTC.
inline int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds since 1970-01-01 UTC.
inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace recmart
