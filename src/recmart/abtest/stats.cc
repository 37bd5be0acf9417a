// Binomial-proportion statistics for the A/B report.
#include <algorithm>
#include <cmath>

#include "recmart/abtest/abtest.h"

namespace recmart::abtest {

Interval WilsonInterval(uint64_t successes, uint64_t trials, double z) {
  if (trials == 0) return {0, 1};
  successes = std::min(successes, trials);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
  // The bounds are exactly 0 at no successes and 1 at all successes; say so
  // rather than print 0.9999999999999999.
  return {successes == 0 ? 0.0 : std::max(0.0, center - half),
          successes == trials ? 1.0 : std::min(1.0, center + half)};
}

ZTest TwoProportionZTest(uint64_t s1, uint64_t n1, uint64_t s2, uint64_t n2) {
  if (n1 == 0 || n2 == 0) return {};
  s1 = std::min(s1, n1);
  s2 = std::min(s2, n2);
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  const double p1 = static_cast<double>(s1) / a, p2 = static_cast<double>(s2) / b;
  const double pooled = static_cast<double>(s1 + s2) / (a + b);
  const double variance = pooled * (1 - pooled) * (1 / a + 1 / b);
  if (!(variance > 0)) return {};  // all successes or none: no variance to test against
  const double z = (p2 - p1) / std::sqrt(variance);
  return {z, std::erfc(std::fabs(z) / std::sqrt(2.0))};
}

}  // namespace recmart::abtest
