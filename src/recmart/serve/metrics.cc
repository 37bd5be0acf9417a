#include "recmart/serve/metrics.h"

#include <cstdio>

namespace recmart::serve {

size_t Metrics::EndpointIndex(std::string_view path) {
  for (size_t i = 0; i + 1 < kEndpoints.size(); ++i) {
    if (path == kEndpoints[i]) return i;
  }
  if (path.rfind("/admin/", 0) == 0) return 9;
  return kEndpoints.size() - 1;
}

void Metrics::Observe(size_t endpoint, int status, double seconds) {
  Endpoint& e = endpoints_[endpoint < endpoints_.size() ? endpoint : endpoints_.size() - 1];
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5)
    e.by_class[static_cast<size_t>(cls - 1)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  e.buckets[b].fetch_add(1, std::memory_order_relaxed);
  e.count.fetch_add(1, std::memory_order_relaxed);
  e.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string Metrics::Render(std::string_view models) const {
  std::string out;
  char line[256];
  out += "# HELP recmart_http_requests_total HTTP requests by endpoint and status class.\n";
  out += "# TYPE recmart_http_requests_total counter\n";
  for (size_t i = 0; i < kEndpoints.size(); ++i) {
    for (size_t c = 0; c < 5; ++c) {
      const uint64_t n = endpoints_[i].by_class[c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      std::snprintf(line, sizeof line,
                    "recmart_http_requests_total{endpoint=\"%.*s\",code=\"%zuxx\"} %llu\n",
                    static_cast<int>(kEndpoints[i].size()), kEndpoints[i].data(), c + 1,
                    static_cast<unsigned long long>(n));
      out += line;
    }
  }
  out += "# HELP recmart_http_request_duration_seconds Server time per request.\n";
  out += "# TYPE recmart_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < kEndpoints.size(); ++i) {
    const Endpoint& e = endpoints_[i];
    const uint64_t count = e.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const auto ep = kEndpoints[i];
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += e.buckets[b].load(std::memory_order_relaxed);
      char le[32];
      if (b < kBuckets.size()) {
        std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      std::snprintf(
          line, sizeof line,
          "recmart_http_request_duration_seconds_bucket{endpoint=\"%.*s\",le=\"%s\"} %llu\n",
          static_cast<int>(ep.size()), ep.data(), le, static_cast<unsigned long long>(cumulative));
      out += line;
    }
    std::snprintf(line, sizeof line,
                  "recmart_http_request_duration_seconds_sum{endpoint=\"%.*s\"} %.9f\n"
                  "recmart_http_request_duration_seconds_count{endpoint=\"%.*s\"} %llu\n",
                  static_cast<int>(ep.size()), ep.data(),
                  static_cast<double>(e.sum_ns.load(std::memory_order_relaxed)) / 1e9,
                  static_cast<int>(ep.size()), ep.data(), static_cast<unsigned long long>(count));
    out += line;
  }
  out += "# HELP recmart_events_accepted_total Live events accepted (durable).\n";
  out += "# TYPE recmart_events_accepted_total counter\n";
  std::snprintf(line, sizeof line, "recmart_events_accepted_total %llu\n",
                static_cast<unsigned long long>(events_.load(std::memory_order_relaxed)));
  out += line;
  out += models;
  return out;
}

}  // namespace recmart::serve
