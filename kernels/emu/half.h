// __half and __nv_bfloat16 for the emulated build.
//
// CUDA's cuda_fp16.h compiles under g++ but drags in cuda_runtime_api.h (and
// with it CUDA's dim3 and the runtime's declarations), which the emulated
// kernel TU must not see. These are bit-exact equivalents of what the CUDA 13
// headers define (cuda_fp16.hpp, cuda_bf16.hpp, whose host paths reproduce the
// device instructions):
//   float -> half/bf16: round to nearest even, subnormals kept, overflow to
//     Inf (half: |x| >= 65520), every NaN to the canonical 0x7fff (sign and
//     payload dropped, as cvt.rn.f16.f32 / cvt.rn.bf16.f32 do);
//   half -> float: exact; a NaN becomes the canonical 0x7fffffff (sign dropped);
//   bf16 -> float: the 16 bits shifted up (NaN payload and sign kept);
//   double/int -> half/bf16: one rounding from the exact value (CUDA rounds
//     these directly, not through float, so a float step would double-round).
// + - * / compute in float and round once. That equals the correctly rounded
// 16-bit result of __hadd & co.: a float carries 24 bits >= 2p + 2 for both
// formats (p = 11 and 8), and for such precisions double rounding of + - * /
// is innocuous. Only the operations below exist; anything else (half2, __hfma,
// ...) fails to compile.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace cutrain::emu::device {

namespace half_detail {

// float -> binary16, round to nearest even (cuda_fp16.hpp's __float2half).
inline uint16_t float_to_f16_rn(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t u = x & 0x7fffffffu;
  if (u > 0x7f800000u) return 0x7fffu;
  if (u == 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (u >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 2^16 - 2^4
  uint32_t q;
  uint32_t rem;   // dropped bits, left-aligned in 32 bits: 0x80000000 is exactly half an ulp
  if (u >= 0x38800000u) {  // normal result: rebias 127 -> 15, drop 13 bits
    q = (u - 0x38000000u) >> 13;
    rem = u << 19;
  } else if (u <= 0x33000000u) {  // |x| <= 2^-25: rounds to zero (the tie 2^-25 to the even 0)
    return static_cast<uint16_t>(sign);
  } else {  // subnormal result, in units of 2^-24
    const uint32_t shift = 126u - (u >> 23);  // 14..24
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
    q = mant >> shift;
    rem = mant << (32u - shift);
  }
  if (rem > 0x80000000u || (rem == 0x80000000u && (q & 1u))) ++q;  // a carry into the exponent is right
  return static_cast<uint16_t>(sign | q);
}

// binary16 -> float, exact (cuda_fp16.hpp's __half2float).
inline float f16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1fu) return std::bit_cast<float>(mant ? 0x7fffffffu : (sign | 0x7f800000u));
  if (exp == 0) {
    if (mant == 0) return std::bit_cast<float>(sign);
    // mant * 2^-24 is exact in float (10 significant bits).
    const float v = static_cast<float>(mant) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

// float -> bfloat16, round to nearest even (cuda_bf16.hpp's __float2bfloat16).
inline uint16_t float_to_bf16_rn(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
  uint32_t q = x >> 16;
  const uint32_t rem = x << 16;
  if (rem > 0x80000000u || (rem == 0x80000000u && (q & 1u))) ++q;  // carries up to Inf correctly
  return static_cast<uint16_t>(q);
}

inline float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// double -> float rounded to odd: the float truncation of d with its last bit
// set when d was inexact. Rounding that float to nearest even at 11 or 8 bits
// gives the correctly rounded result of d (24 >= p + 2), which is how
// __double2half and __double2bfloat16 round.
inline float double_to_float_round_odd(double d) {
  if (std::isnan(d) || std::isinf(d)) return static_cast<float>(d);
  float f = static_cast<float>(d);
  if (static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);  // truncate
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
}

}  // namespace half_detail

#define CUTRAIN_EMU_HALF_TYPE(Name, to_bits, from_bits)                                  \
  struct Name {                                                                           \
    uint16_t bits_ = 0;                                                                   \
    Name() = default;                                                                     \
    Name(float f) : bits_(half_detail::to_bits(f)) {}                                     \
    Name(double d) : bits_(half_detail::to_bits(half_detail::double_to_float_round_odd(d))) {} \
    Name(int i) : Name(static_cast<double>(i)) {}                                         \
    Name(unsigned int i) : Name(static_cast<double>(i)) {}                                \
    Name(long i) : Name(static_cast<double>(i)) {}                                        \
    Name(unsigned long i) : Name(static_cast<double>(i)) {}                               \
    Name(long long i) : Name(static_cast<double>(i)) {}                                   \
    Name(unsigned long long i) : Name(static_cast<double>(i)) {}                          \
    operator float() const { return half_detail::from_bits(bits_); }                      \
    static Name from_raw(uint16_t b) {                                                    \
      Name h;                                                                             \
      h.bits_ = b;                                                                        \
      return h;                                                                           \
    }                                                                                     \
    Name& operator+=(Name o) { return *this = Name(float(*this) + float(o)); }            \
    Name& operator-=(Name o) { return *this = Name(float(*this) - float(o)); }            \
    Name& operator*=(Name o) { return *this = Name(float(*this) * float(o)); }            \
    Name& operator/=(Name o) { return *this = Name(float(*this) / float(o)); }            \
  };                                                                                      \
  inline Name operator+(Name a, Name b) { return Name(float(a) + float(b)); }             \
  inline Name operator-(Name a, Name b) { return Name(float(a) - float(b)); }             \
  inline Name operator*(Name a, Name b) { return Name(float(a) * float(b)); }             \
  inline Name operator/(Name a, Name b) { return Name(float(a) / float(b)); }             \
  inline Name operator-(Name a) { return Name::from_raw(static_cast<uint16_t>(a.bits_ ^ 0x8000u)); } \
  inline bool operator==(Name a, Name b) { return float(a) == float(b); }                 \
  inline bool operator!=(Name a, Name b) { return float(a) != float(b); }                 \
  inline bool operator<(Name a, Name b) { return float(a) < float(b); }                   \
  inline bool operator<=(Name a, Name b) { return float(a) <= float(b); }                 \
  inline bool operator>(Name a, Name b) { return float(a) > float(b); }                   \
  inline bool operator>=(Name a, Name b) { return float(a) >= float(b); }

CUTRAIN_EMU_HALF_TYPE(__half, float_to_f16_rn, f16_to_float)
CUTRAIN_EMU_HALF_TYPE(__nv_bfloat16, float_to_bf16_rn, bf16_to_float)
#undef CUTRAIN_EMU_HALF_TYPE

static_assert(sizeof(__half) == 2 && sizeof(__nv_bfloat16) == 2);
static_assert(alignof(__half) == 2 && alignof(__nv_bfloat16) == 2);

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline __half __double2half(double d) { return __half(d); }
inline __half __int2half_rn(int i) { return __half(i); }
inline float __half2float(__half h) { return float(h); }
inline __half __ushort_as_half(unsigned short b) { return __half::from_raw(b); }
inline unsigned short __half_as_ushort(__half h) { return h.bits_; }
inline __half __hadd(__half a, __half b) { return a + b; }
inline __half __hsub(__half a, __half b) { return a - b; }
inline __half __hmul(__half a, __half b) { return a * b; }
inline __half __hdiv(__half a, __half b) { return a / b; }
inline __half __hneg(__half a) { return -a; }
inline bool __hisnan(__half a) { return (a.bits_ & 0x7fffu) > 0x7c00u; }
inline int __hisinf(__half a) { return (a.bits_ & 0x7fffu) == 0x7c00u ? ((a.bits_ & 0x8000u) ? -1 : 1) : 0; }

inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __double2bfloat16(double d) { return __nv_bfloat16(d); }
inline __nv_bfloat16 __int2bfloat16_rn(int i) { return __nv_bfloat16(i); }
inline float __bfloat162float(__nv_bfloat16 h) { return float(h); }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short b) { return __nv_bfloat16::from_raw(b); }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.bits_; }
inline __nv_bfloat16 __hadd(__nv_bfloat16 a, __nv_bfloat16 b) { return a + b; }
inline __nv_bfloat16 __hsub(__nv_bfloat16 a, __nv_bfloat16 b) { return a - b; }
inline __nv_bfloat16 __hmul(__nv_bfloat16 a, __nv_bfloat16 b) { return a * b; }
inline __nv_bfloat16 __hdiv(__nv_bfloat16 a, __nv_bfloat16 b) { return a / b; }
inline __nv_bfloat16 __hneg(__nv_bfloat16 a) { return -a; }
inline bool __hisnan(__nv_bfloat16 a) { return (a.bits_ & 0x7fffu) > 0x7f80u; }
inline int __hisinf(__nv_bfloat16 a) {
  return (a.bits_ & 0x7fffu) == 0x7f80u ? ((a.bits_ & 0x8000u) ? -1 : 1) : 0;
}

}  // namespace cutrain::emu::device
