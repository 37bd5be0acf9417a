// Prometheus metrics of the API server: requests and latency per endpoint
// and status class, events accepted, the model versions served. Lock-free
// counters; Render() writes the text exposition format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace recmart::serve {

class Metrics {
 public:
  // Endpoints, in this order in the output.
  static constexpr std::array<std::string_view, 11> kEndpoints = {
      "/recommendations", "/similar-items", "/personalized-ranking", "/events", "/items", "/users",
      "/healthz",         "/metrics",       "/openapi.json",         "/admin",  "other"};
  // Upper bounds of the latency histogram, seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  // The index of a request path in kEndpoints.
  static size_t EndpointIndex(std::string_view path);
  void Observe(size_t endpoint, int status, double seconds);
  void EventsAccepted(uint64_t n) { events_.fetch_add(n, std::memory_order_relaxed); }
  // `models`: lines already in exposition format (model version gauges).
  std::string Render(std::string_view models) const;

 private:
  struct Endpoint {
    std::array<std::atomic<uint64_t>, 5> by_class{};  // 1xx..5xx
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<Endpoint, kEndpoints.size()> endpoints_;
  std::atomic<uint64_t> events_{0};
};

}  // namespace recmart::serve
