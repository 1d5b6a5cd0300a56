// Kernel tests of the f16 and bf16 paths: inputs rounded to the 16-bit type,
// the CPU reference run in fp32 on exactly those (widened) values, its output
// rounded once, and the comparison in units in the last place of the output.
//
// Tolerance: the kernel and the reference both compute in fp32 and may differ
// there by the fp32 reference tolerance (relative 1e-5 elementwise, 1e-4 for
// reductions). Both bounds are below one ulp of either 16-bit format (2^-11 =
// 4.9e-4 relative for f16 at its coarsest, 2^-8 for bf16), so the two fp32
// values straddle at most one rounding boundary of the output: at most 1 ulp
// of the output type apart after rounding. Ops exact in fp32 agree bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/core/dtype.h"

namespace cutrain::testing {

template <typename H>
uint16_t lowp_bits(H h) {
  return h.bits;
}
template <typename H>
float lowp_to_float(H h) {
  if constexpr (std::is_same_v<H, Half>) return half_bits_to_float(h.bits);
  else return bf16_bits_to_float(h.bits);
}
template <typename H>
H lowp_from_float(float f) {
  if constexpr (std::is_same_v<H, Half>) return H{float_to_half_bits(f)};
  else return H{float_to_bf16_bits(f)};
}
template <typename H>
const char* lowp_name() {
  return std::is_same_v<H, Half> ? "f16" : "bf16";
}

template <typename H>
std::vector<H> lowp_round(const std::vector<float>& v) {
  std::vector<H> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = lowp_from_float<H>(v[i]);
  return out;
}
template <typename H>
std::vector<float> lowp_widen(const std::vector<H>& v) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = lowp_to_float(v[i]);
  return out;
}

// Distance in representable values (bit patterns ordered as integers, the
// two zeros one value); NaN only matches NaN.
inline int64_t lowp_ulp_distance(uint16_t a, uint16_t b, uint16_t inf_bits) {
  const bool na = (a & 0x7fffu) > inf_bits, nb = (b & 0x7fffu) > inf_bits;
  if (na || nb) return na && nb ? 0 : INT64_MAX;
  auto ordered = [](uint16_t x) { return (x & 0x8000u) ? -static_cast<int64_t>(x & 0x7fffu) : static_cast<int64_t>(x); };
  const int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

// atol > 0: where the fp32 comparison needs an absolute term (outputs that
// cancel to near zero), an element also passes when |out - ref| <= atol plus
// one ulp at the larger of the two: fp32 values within atol of each other
// round to 16-bit values that far apart at most.
template <typename H>
::testing::AssertionResult lowp_within_ulps(const std::vector<H>& out, const std::vector<H>& ref, int64_t max_ulps,
                                            double atol = 0) {
  if (out.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << out.size() << " != reference size " << ref.size();
  const uint16_t inf = std::is_same_v<H, Half> ? 0x7c00 : 0x7f80;
  int64_t worst = 0, bad = 0;
  std::size_t first_bad = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int64_t d = lowp_ulp_distance(out[i].bits, ref[i].bits, inf);
    bool ok = d <= max_ulps;
    if (!ok && atol > 0 && d != INT64_MAX) {
      const double a = lowp_to_float(out[i]), b = lowp_to_float(ref[i]);
      const double big = std::fmax(std::fabs(a), std::fabs(b));
      const int p = std::is_same_v<H, Half> ? 11 : 8, emin = std::is_same_v<H, Half> ? -14 : -126;
      int e = 0;
      std::frexp(big, &e);
      ok = std::fabs(a - b) <= atol + std::ldexp(1.0, std::max(e - 1, emin) - (p - 1));
    }
    if (!ok && bad++ == 0) first_bad = i;
    if (d > worst) worst = d;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << lowp_name<H>() << ": " << bad << " of " << out.size() << " elements more than "
                                       << max_ulps << " ulp from the reference (worst " << worst << "); first at "
                                       << first_bad << ": " << lowp_to_float(out[first_bad]) << " vs "
                                       << lowp_to_float(ref[first_bad]);
}

}  // namespace cutrain::testing
