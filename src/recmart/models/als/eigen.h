// Eigen for the factor recipes. Include it (and factors.h) rather than
// <Eigen/...> or <immintrin.h> directly: GCC 12 reports its own AVX-512
// intrinsics (_mm512_undefined_ps) as uninitialised once Eigen's kernels are
// inlined -- a false positive, GCC bug 105593, fixed in GCC 13 -- and a
// diagnostic pragma only covers headers first read inside it.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <Eigen/Cholesky>
#include <Eigen/Core>
#pragma GCC diagnostic pop
