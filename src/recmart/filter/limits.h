// Bounds on what a filter may contain, so one request cannot make the server
// spend unbounded time or stack on parsing.
#pragma once

#include <cstddef>

namespace recmart::filter {

// Longest filter text accepted, in bytes.
inline constexpr size_t kMaxFilterBytes = 4096;
// Most values in one IN list, and in one filterValues entry.
inline constexpr size_t kMaxListValues = 1000;
// Deepest nesting of parentheses around conditions.
inline constexpr int kMaxNesting = 32;

}  // namespace recmart::filter
