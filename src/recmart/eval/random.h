// Seeded randomness for splits, user samples and tuning. Everything random in
// eval draws from std::mt19937_64 (whose output the standard fixes) through
// the helpers below rather than std::*_distribution (whose output it does not),
// so a seed gives the same split and the same trials with any standard library
// and any thread count.
#pragma once

#include <cstdint>
#include <random>

namespace recmart::eval {

// A well-mixed 64-bit value for (seed, stream), e.g. stream = a user index:
// independent generators per user without a shared sequential one.
inline uint64_t SeedFor(uint64_t seed, uint64_t stream) {
  // splitmix64 finaliser over both words.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, bound); REQUIRES bound > 0. Lemire's multiply-shift: the
// bias is below 2^-64 * bound, far under anything a split can notice.
inline uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(rng()) * bound) >> 64);
}

// Uniform in [0, 1), 53 random bits.
inline double UniformUnit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace recmart::eval
