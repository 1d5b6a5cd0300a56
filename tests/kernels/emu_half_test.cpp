// The emulated __half and __nv_bfloat16 against a reference written from the
// formats' definitions (not from the conversion code): every 16-bit pattern
// decoded, and float -> 16-bit rounding checked on every tie, its neighbours
// and a strided sweep of all 2^32 floats. The reference rounds by searching the
// sorted list of representable values, so it shares no bit trick with
// kernels/emu/half.h. NaN outputs follow cuda_fp16.hpp / cuda_bf16.hpp: float ->
// 16-bit gives 0x7fff; half -> float gives 0x7fffffff; bf16 -> float shifts.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "emu/half.h"

namespace {

namespace dev = cutrain::emu::device;

struct HalfFormatRef {
  int mant_bits;  // stored fraction bits
  int exp_bits;
  // The value of a non-negative, finite pattern, from sign/exponent/fraction.
  double value(uint32_t bits) const {
    const uint32_t exp = bits >> mant_bits;
    const uint32_t frac = bits & ((1u << mant_bits) - 1);
    const int bias = (1 << (exp_bits - 1)) - 1;
    if (exp == 0) return std::ldexp(static_cast<double>(frac), 1 - bias - mant_bits);
    return std::ldexp(1.0 + std::ldexp(static_cast<double>(frac), -mant_bits), static_cast<int>(exp) - bias);
  }
  uint32_t inf_bits() const { return ((1u << exp_bits) - 1) << mant_bits; }
  // Positive patterns 0 .. Inf in increasing order, Inf standing at the value
  // the next binade would start at: IEEE rounding overflows to Inf exactly when
  // the unbounded-exponent result reaches it (ties go to Inf, its pattern even).
  std::vector<double> ladder() const {
    std::vector<double> v;
    for (uint32_t b = 0; b < inf_bits(); ++b) v.push_back(value(b));
    const int bias = (1 << (exp_bits - 1)) - 1;
    v.push_back(std::ldexp(1.0, bias + 1));
    return v;
  }
  // Round-to-nearest-even of a finite double by searching the ladder.
  uint16_t round(const std::vector<double>& ladder, double x) const {
    const uint32_t sign = std::signbit(x) ? (1u << (mant_bits + exp_bits)) : 0u;
    const double a = std::fabs(x);
    if (a >= ladder.back()) return static_cast<uint16_t>(sign | inf_bits());
    const auto hi = std::upper_bound(ladder.begin(), ladder.end(), a);  // first > a
    const uint32_t ih = static_cast<uint32_t>(hi - ladder.begin());
    const uint32_t il = ih - 1;  // ladder[il] <= a < ladder[ih]
    const double dl = a - ladder[il], dh = ladder[ih] - a;
    uint32_t pick;
    if (dl < dh) pick = il;
    else if (dh < dl) pick = ih;
    else pick = (il % 2 == 0) ? il : ih;
    return static_cast<uint16_t>(sign | pick);
  }
};

constexpr HalfFormatRef kF16{10, 5};
constexpr HalfFormatRef kBF16{7, 8};

uint32_t fbits(float f) { return std::bit_cast<uint32_t>(f); }

TEST(EmuHalf, EveryHalfPatternToFloat) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float got = dev::__half2float(dev::__ushort_as_half(static_cast<unsigned short>(b)));
    const uint32_t abs = b & 0x7fffu;
    uint32_t want;
    if (abs > kF16.inf_bits()) want = 0x7fffffffu;
    else if (abs == kF16.inf_bits()) want = (b & 0x8000u) ? 0xff800000u : 0x7f800000u;
    else want = fbits(static_cast<float>((b & 0x8000u) ? -kF16.value(abs) : kF16.value(abs)));
    ASSERT_EQ(fbits(got), want) << "half bits 0x" << std::hex << b;
  }
}

TEST(EmuHalf, EveryBFloat16PatternToFloat) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float got = dev::__bfloat162float(dev::__ushort_as_bfloat16(static_cast<unsigned short>(b)));
    const uint32_t abs = b & 0x7fffu;
    uint32_t want;
    if (abs >= kBF16.inf_bits()) want = b << 16;  // Inf, and NaN with its sign and payload
    else want = fbits(static_cast<float>((b & 0x8000u) ? -kBF16.value(abs) : kBF16.value(abs)));
    ASSERT_EQ(fbits(got), want) << "bf16 bits 0x" << std::hex << b;
  }
}

// Floats to test for one format: for every positive finite 16-bit value v and
// its successor w, v itself, the exact midpoint and the floats either side of
// both (the midpoint is always a float: it needs p + 1 <= 24 bits), the same
// negated; a strided sweep of all 2^32 bit patterns; the specials.
std::vector<float> float_sweep(const HalfFormatRef& fmt, const std::vector<double>& ladder) {
  std::vector<float> xs;
  for (std::size_t i = 0; i + 1 < ladder.size(); ++i) {
    const float v = static_cast<float>(ladder[i]);
    const float mid = static_cast<float>((ladder[i] + ladder[i + 1]) / 2);
    EXPECT_EQ(static_cast<double>(mid), (ladder[i] + ladder[i + 1]) / 2);
    for (float x : {v, std::nextafter(v, 0.0f), std::nextafter(v, INFINITY), mid, std::nextafter(mid, 0.0f),
                    std::nextafter(mid, INFINITY)}) {
      xs.push_back(x);
      xs.push_back(-x);
    }
  }
  for (uint64_t b = 0; b < (1ull << 32); b += 65521) xs.push_back(std::bit_cast<float>(static_cast<uint32_t>(b)));
  (void)fmt;
  for (uint32_t b : {0x7f800000u, 0xff800000u, 0x7f800001u, 0x7fc00000u, 0xffc00001u, 0x7fbfffffu, 0xffffffffu,
                     0x00000001u, 0x80000001u, 0x007fffffu, 0x7f7fffffu, 0xff7fffffu})
    xs.push_back(std::bit_cast<float>(b));
  return xs;
}

template <typename ToBits>
void check_float_to_16(const HalfFormatRef& fmt, ToBits to_bits, const char* name) {
  const std::vector<double> ladder = fmt.ladder();
  int64_t ties = 0;
  for (float x : float_sweep(fmt, ladder)) {
    const uint16_t got = to_bits(x);
    const uint16_t want = std::isnan(x) ? uint16_t{0x7fff} : fmt.round(ladder, static_cast<double>(x));
    ASSERT_EQ(got, want) << name << " of float bits 0x" << std::hex << fbits(x) << " (" << x << ")";
    ++ties;
  }
  EXPECT_GT(ties, 100000) << name;
}

TEST(EmuHalf, FloatToHalfRoundsToNearestEven) {
  check_float_to_16(kF16, [](float x) { return dev::__half_as_ushort(dev::__float2half_rn(x)); }, "__float2half_rn");
  check_float_to_16(kF16, [](float x) { return dev::__half_as_ushort(dev::__half(x)); }, "__half(float)");
}

TEST(EmuHalf, FloatToBFloat16RoundsToNearestEven) {
  check_float_to_16(kBF16, [](float x) { return dev::__bfloat16_as_ushort(dev::__float2bfloat16_rn(x)); },
                    "__float2bfloat16_rn");
  // Every upper half with the lower half at the tie and its neighbours: every
  // bf16 tie there is, both signs.
  const std::vector<double> ladder = kBF16.ladder();
  for (uint32_t hi = 0; hi < 65536; ++hi) {
    for (uint32_t lo : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu}) {
      const float x = std::bit_cast<float>((hi << 16) | lo);
      const uint16_t want = std::isnan(x) ? uint16_t{0x7fff} : kBF16.round(ladder, static_cast<double>(x));
      ASSERT_EQ(dev::__bfloat16_as_ushort(dev::__float2bfloat16(x)), want) << std::hex << fbits(x);
    }
  }
}

// __double2half rounds the double once: a value just above a half-way point
// must round up even where its float rounding lands exactly on the tie.
TEST(EmuHalf, DoubleAndIntRoundOnce) {
  const std::vector<double> lf = kF16.ladder(), lb = kBF16.ladder();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pick_f(0, lf.size() - 3), pick_b(0, lb.size() - 3);
  for (int i = 0; i < 200000; ++i) {
    const std::size_t a = pick_f(rng), b = pick_b(rng);
    for (double eps : {-0x1p-40, 0x1p-40, 0.0}) {
      const double xf = (lf[a] + lf[a + 1]) / 2 * (1 + eps), xb = (lb[b] + lb[b + 1]) / 2 * (1 + eps);
      ASSERT_EQ(dev::__half_as_ushort(dev::__double2half(xf)), kF16.round(lf, xf)) << xf;
      ASSERT_EQ(dev::__half_as_ushort(dev::__double2half(-xf)), kF16.round(lf, -xf)) << -xf;
      ASSERT_EQ(dev::__bfloat16_as_ushort(dev::__double2bfloat16(xb)), kBF16.round(lb, xb)) << xb;
    }
  }
  EXPECT_EQ(dev::__half_as_ushort(dev::__double2half(1.0 + 0x1p-11 + 0x1p-40)), 0x3c01u);
  EXPECT_EQ(dev::__half_as_ushort(dev::__double2half(NAN)), 0x7fffu);
  for (int v : {0, 1, -1, 2049, 2051, 65519, 65520, -65520, 16777217, 2147483647}) {
    ASSERT_EQ(dev::__half_as_ushort(dev::__int2half_rn(v)), kF16.round(lf, static_cast<double>(v))) << v;
    ASSERT_EQ(dev::__bfloat16_as_ushort(dev::__int2bfloat16_rn(v)), kBF16.round(lb, static_cast<double>(v))) << v;
  }
}

// __hadd/__hmul on random patterns: the exact sum and product of two 16-bit
// values fit a double, so the reference rounds the exact result once.
TEST(EmuHalf, ArithmeticRoundsTheExactResult) {
  const std::vector<double> lf = kF16.ladder(), lb = kBF16.ladder();
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffff);
  auto finite = [](uint32_t b, uint32_t inf) { return (b & 0x7fffu) < inf; };
  for (int i = 0; i < 300000; ++i) {
    const uint32_t a = bits(rng), b = bits(rng);
    if (finite(a, kF16.inf_bits()) && finite(b, kF16.inf_bits())) {
      const dev::__half ha = dev::__ushort_as_half(static_cast<unsigned short>(a));
      const dev::__half hb = dev::__ushort_as_half(static_cast<unsigned short>(b));
      const double da = float(ha), db = float(hb);
      ASSERT_EQ(dev::__half_as_ushort(dev::__hadd(ha, hb)), kF16.round(lf, da + db)) << std::hex << a << " " << b;
      ASSERT_EQ(dev::__half_as_ushort(dev::__hmul(ha, hb)), kF16.round(lf, da * db)) << std::hex << a << " " << b;
    }
    if (finite(a, kBF16.inf_bits()) && finite(b, kBF16.inf_bits())) {
      const dev::__nv_bfloat16 ha = dev::__ushort_as_bfloat16(static_cast<unsigned short>(a));
      const dev::__nv_bfloat16 hb = dev::__ushort_as_bfloat16(static_cast<unsigned short>(b));
      const double da = float(ha), db = float(hb);
      // The product of two 8-bit significands is exact in a double; a sum of
      // far-apart exponents may not be, so only exact sums are compared.
      ASSERT_EQ(dev::__bfloat16_as_ushort(dev::__hmul(ha, hb)), kBF16.round(lb, da * db)) << std::hex << a << " " << b;
      const double sum = da + db;
      if (sum - da == db && sum - db == da) {  // exact: the reference is then one rounding
        ASSERT_EQ(dev::__bfloat16_as_ushort(dev::__hadd(ha, hb)), kBF16.round(lb, sum)) << std::hex << a << " " << b;
      }
    }
  }
  // NaN in, canonical NaN out.
  EXPECT_EQ(dev::__half_as_ushort(dev::__hadd(dev::__ushort_as_half(0xfe01), dev::__half(1.0f))), 0x7fffu);
}

}  // namespace
