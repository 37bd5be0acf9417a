#include "recmart/eval/split.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "recmart/eval/random.h"

namespace recmart::eval {

using models::Dataset;
using models::ItemIndex;

size_t Split::num_test_pairs() const {
  size_t n = 0;
  for (const auto& items : test) n += items.size();
  return n;
}

size_t Split::num_test_users() const {
  return static_cast<size_t>(
      std::count_if(test.begin(), test.end(), [](const auto& items) { return !items.empty(); }));
}

namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

// Builds the split from a per-entry mark: held[e] = 1 sends matrix entry e to
// test, 2 drops it from both sides, 0 keeps it in train. Training keeps
// nothing at or after `before`: later events are dropped and last_ts is
// clamped below it (kNoLimit: no time limit).
Split Assemble(const Dataset& data, const std::vector<uint8_t>& held, int64_t before) {
  const models::CsrMatrix& m = data.matrix;
  Split s;
  Dataset& t = s.train;
  t.users = data.users;
  t.items = data.items;
  t.attributes = data.attributes;
  s.test.resize(data.users.size());

  std::vector<int64_t> indptr(size_t{m.rows} + 1, 0);
  std::vector<uint32_t> indices;
  std::vector<float> values;
  const size_t kept = static_cast<size_t>(std::count(held.begin(), held.end(), uint8_t{0}));
  indices.reserve(kept);
  values.reserve(kept);
  t.first_ts.reserve(kept);
  t.last_ts.reserve(kept);
  // The matrix's event kinds are all-time: kept only when nothing is cut by time.
  const bool kinds = before == kNoLimit && data.kinds.size() == m.nnz();
  if (kinds) t.kinds.reserve(kept);
  for (uint32_t u = 0; u < m.rows; ++u) {
    for (int64_t e = m.indptr[u]; e < m.indptr[u + 1]; ++e) {
      if (held[e] == 1) s.test[u].push_back(m.indices[e]);
      if (held[e] != 0) continue;
      indices.push_back(m.indices[e]);
      values.push_back(m.values[e]);
      t.first_ts.push_back(data.first_ts[e]);
      t.last_ts.push_back(before == kNoLimit ? data.last_ts[e]
                                             : std::min(data.last_ts[e], before - 1));
      if (kinds) t.kinds.push_back(data.kinds[e]);
    }
    indptr[u + 1] = static_cast<int64_t>(indices.size());
  }
  t.matrix.rows = m.rows;
  t.matrix.cols = m.cols;
  t.matrix.indptr = models::Array<int64_t>(std::move(indptr));
  t.matrix.indices = models::Array<uint32_t>(std::move(indices));
  t.matrix.values = models::Array<float>(std::move(values));

  // A pair is held out when its item is in the user's (sorted) test list or
  // its entry was dropped; events of such pairs would leak the answer.
  auto dropped = [&](const models::Event& ev) {
    if (ev.ts >= before) return true;
    if (ev.user >= m.rows) return false;
    auto row = m.RowIndices(ev.user);
    auto it = std::lower_bound(row.begin(), row.end(), ev.item);
    return it != row.end() && *it == ev.item && held[m.indptr[ev.user] + (it - row.begin())] != 0;
  };
  t.events.reserve(data.events.size());
  for (const models::Event& ev : data.events) {
    if (!dropped(ev)) t.events.push_back(ev);
  }

  int64_t now = 0;
  for (int64_t ts : t.last_ts) now = std::max(now, ts);
  for (const models::Event& ev : t.events) now = std::max(now, ev.ts);
  t.now = now;
  return s;
}

}  // namespace

StatusOr<Split> RandomSplit(const Dataset& data, double ratio, uint64_t seed) {
  if (!(ratio > 0.0 && ratio < 1.0)) {
    return Status::InvalidArgument("random split: expected a ratio in (0, 1), got " +
                                   nlohmann::json(ratio).dump());
  }
  const models::CsrMatrix& m = data.matrix;
  std::vector<uint8_t> held(m.nnz(), 0);
  std::vector<size_t> order;
  for (uint32_t u = 0; u < m.rows; ++u) {
    const size_t n = m.RowSize(u);
    if (n < 2) continue;
    const size_t h = std::clamp<size_t>(static_cast<size_t>(std::llround(ratio * n)), 1, n - 1);
    // Partial Fisher-Yates: the first h positions are a uniform h-subset.
    order.resize(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::mt19937_64 rng(SeedFor(seed, u));
    for (size_t i = 0; i < h; ++i) std::swap(order[i], order[i + UniformBelow(rng, n - i)]);
    for (size_t i = 0; i < h; ++i) held[m.indptr[u] + order[i]] = 1;
  }
  return Assemble(data, held, kNoLimit);
}

StatusOr<Split> TimeSplit(const Dataset& data, int64_t cutoff) {
  const models::CsrMatrix& m = data.matrix;
  std::vector<uint8_t> held(m.nnz(), 0);
  for (uint32_t u = 0; u < m.rows; ++u) {
    const int64_t begin = m.indptr[u], end = m.indptr[u + 1];
    bool has_history = false;
    for (int64_t e = begin; e < end; ++e) {
      held[e] = data.first_ts[e] >= cutoff ? 1 : 0;
      has_history |= held[e] == 0;
    }
    if (!has_history) std::fill(held.begin() + begin, held.begin() + end, uint8_t{2});
  }
  return Assemble(data, held, cutoff);
}

int64_t CutoffLastDays(const Dataset& data, int days) { return data.now - int64_t{days} * 86400; }

StatusOr<Split> LeaveLastNSplit(const Dataset& data, int n) {
  if (n < 1) {
    return Status::InvalidArgument("leave-last-n split: expected n >= 1, got " + std::to_string(n));
  }
  const models::CsrMatrix& m = data.matrix;
  std::vector<uint8_t> held(m.nnz(), 0);
  std::vector<int64_t> order;
  for (uint32_t u = 0; u < m.rows; ++u) {
    const size_t size = m.RowSize(u);
    if (size <= static_cast<size_t>(n)) continue;
    order.resize(size);
    std::iota(order.begin(), order.end(), m.indptr[u]);
    // Entries are in item order, so comparing entry positions breaks ties
    // between equal times by item index.
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return data.last_ts[a] != data.last_ts[b] ? data.last_ts[a] < data.last_ts[b] : a < b;
    });
    for (size_t i = size - n; i < size; ++i) held[order[i]] = 1;
  }
  return Assemble(data, held, kNoLimit);
}

namespace {

constexpr std::string_view kSpecForms = "random:RATIO, time:YYYY-MM-DD, time:Nd or last:N";

template <typename T>
bool ParseWhole(std::string_view s, T& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// "YYYY-MM-DD" -> epoch seconds of that day's midnight, UTC.
bool ParseDate(std::string_view s, int64_t& out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int y = 0;
  unsigned mo = 0, d = 0;
  if (!ParseWhole(s.substr(0, 4), y) || !ParseWhole(s.substr(5, 2), mo) ||
      !ParseWhole(s.substr(8, 2), d)) {
    return false;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                        std::chrono::day{d}};
  if (!ymd.ok()) return false;
  out = int64_t{std::chrono::sys_days(ymd).time_since_epoch().count()} * 86400;
  return true;
}

}  // namespace

StatusOr<SplitSpec> ParseSplitSpec(std::string_view spec) {
  const std::string quoted = "split \"" + std::string(spec) + "\": ";
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument(quoted + "expected " + std::string(kSpecForms));
  }
  const std::string_view kind = spec.substr(0, colon), arg = spec.substr(colon + 1);
  SplitSpec out;
  if (kind == "random") {
    out.kind = SplitSpec::Kind::kRandom;
    if (!ParseWhole(arg, out.ratio) || !(out.ratio > 0.0 && out.ratio < 1.0)) {
      return Status::InvalidArgument(quoted + "expected random:RATIO with RATIO in (0, 1), e.g. " +
                                     "random:0.25");
    }
    return out;
  }
  if (kind == "time") {
    out.kind = SplitSpec::Kind::kTime;
    if (!arg.empty() && arg.back() == 'd') {
      if (ParseWhole(arg.substr(0, arg.size() - 1), out.last_days) && out.last_days >= 1) {
        return out;
      }
    } else if (ParseDate(arg, out.cutoff)) {
      return out;
    }
    return Status::InvalidArgument(quoted +
                                   "expected time:YYYY-MM-DD (a UTC date) or time:Nd (the last N "
                                   "days, N >= 1), e.g. time:2011-11-09 or time:30d");
  }
  if (kind == "last") {
    out.kind = SplitSpec::Kind::kLastN;
    if (!ParseWhole(arg, out.n) || out.n < 1) {
      return Status::InvalidArgument(quoted +
                                     "expected last:N with an integer N >= 1, e.g. last:1");
    }
    return out;
  }
  return Status::InvalidArgument(quoted + "expected " + std::string(kSpecForms));
}

StatusOr<Split> MakeSplit(const Dataset& data, const SplitSpec& spec, uint64_t seed) {
  switch (spec.kind) {
    case SplitSpec::Kind::kRandom:
      return RandomSplit(data, spec.ratio, seed);
    case SplitSpec::Kind::kTime:
      return TimeSplit(data,
                       spec.last_days > 0 ? CutoffLastDays(data, spec.last_days) : spec.cutoff);
    case SplitSpec::Kind::kLastN:
      return LeaveLastNSplit(data, spec.n);
  }
  return Status::Internal("unknown split kind");
}

}  // namespace recmart::eval
