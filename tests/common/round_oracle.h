// An independent oracle of rounding to the 16-bit float formats, for the
// cast tests: the 16-bit value nearest to a double, found by bisection over
// the ordered bit patterns and an exact midpoint comparison (midpoints of
// 16-bit values are exact in double), ties to the even pattern. It shares
// no code with core/dtype.cpp's bit manipulation it checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cutrain/core/dtype.h"

namespace cutrain::testing {

// Magnitude of the non-negative pattern b of f16 (bf16 when !half), with the
// infinity pattern counted as the next power of two past the largest finite
// value (IEEE's overflow rule: round as if the exponent were unbounded).
inline double oracle_16_value(uint16_t b, bool half) {
  const int mant_bits = half ? 10 : 7, bias = half ? 15 : 127;
  const int e = b >> mant_bits;
  const int m = b & ((1 << mant_bits) - 1);
  if (e == 0) return std::ldexp(static_cast<double>(m), 1 - bias - mant_bits);
  return std::ldexp(static_cast<double>(m + (1 << mant_bits)), e - bias - mant_bits);
}

// Round-to-nearest-even bits of v; any NaN gives 0x7fff (tests compare NaN by isnan).
inline uint16_t oracle_round_16(double v, bool half) {
  if (std::isnan(v)) return 0x7fffu;
  const uint16_t sign = std::signbit(v) ? 0x8000u : 0u;
  const double a = std::fabs(v);
  const uint16_t inf = half ? 0x7c00u : 0x7f80u;
  if (a >= oracle_16_value(inf, half)) return static_cast<uint16_t>(sign | inf);
  uint16_t lo = 0, hi = inf;  // value(lo) <= a < value(hi)
  while (hi - lo > 1) {
    const uint16_t mid = static_cast<uint16_t>((lo + hi) / 2);
    (oracle_16_value(mid, half) <= a ? lo : hi) = mid;
  }
  const double mid = (oracle_16_value(lo, half) + oracle_16_value(hi, half)) / 2;
  const uint16_t r = a < mid ? lo : a > mid ? hi : ((lo & 1u) ? hi : lo);
  return static_cast<uint16_t>(sign | r);
}

// Inputs of type T (float or double) at every rounding edge of the 16-bit
// format: each finite non-negative pattern's value, the midpoint to the
// next one (ties, including the overflow threshold between the largest
// finite value and the infinity) and T's neighbours of that midpoint, every
// `stride`-th pattern (1: all of them), both signs; then zeros, infinities,
// NaNs (quiet, signalling, negative) and T's smallest subnormals.
template <typename T>
std::vector<T> rounding_edge_inputs(bool half, int stride = 1) {
  std::vector<T> v;
  const uint16_t inf = half ? 0x7c00u : 0x7f80u;
  for (uint32_t b = 0; b < inf; b += static_cast<uint32_t>(stride)) {
    const double lo = oracle_16_value(static_cast<uint16_t>(b), half);
    const double mid = (lo + oracle_16_value(static_cast<uint16_t>(b + 1), half)) / 2;
    if (mid > static_cast<double>(std::numeric_limits<T>::max())) continue;
    const T m = static_cast<T>(mid);
    for (T x : {static_cast<T>(lo), m, std::nextafter(m, T(0)), std::nextafter(m, std::numeric_limits<T>::infinity())}) {
      v.push_back(x);
      v.push_back(-x);
    }
  }
  const T inf_t = std::numeric_limits<T>::infinity();
  for (T x : {T(0), -T(0), inf_t, -inf_t, std::numeric_limits<T>::quiet_NaN(), -std::numeric_limits<T>::quiet_NaN(),
              std::numeric_limits<T>::signaling_NaN(), std::numeric_limits<T>::denorm_min(),
              -std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()})
    v.push_back(x);
  return v;
}

}  // namespace cutrain::testing
