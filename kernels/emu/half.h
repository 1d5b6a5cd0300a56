// __half and __nv_bfloat16 for the emulated build.
//
// CUDA's cuda_fp16.h compiles under g++ but drags in cuda_runtime_api.h (and
// with it CUDA's dim3 and the runtime's declarations), which the emulated
// kernel TU must not see. These are minimal bit-exact equivalents: storage is
// the raw 16 bits; conversions are the round-to-nearest-even ones from
// cutrain/core/dtype.h (bit for bit as __float2half_rn / __float2bfloat16_rn);
// + - * / compute in float and round once, which equals the correctly rounded
// 16-bit result (float has more than 2p+2 bits for both formats). Only the
// operations below exist; anything else (half2, __hfma, ...) fails to compile.
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"

namespace cutrain::emu::device {

#define CUTRAIN_EMU_HALF_TYPE(Name, to_bits, from_bits)                                  \
  struct Name {                                                                           \
    uint16_t bits_ = 0;                                                                   \
    Name() = default;                                                                     \
    Name(float f) : bits_(::cutrain::to_bits(f)) {}                                       \
    Name(double d) : bits_(::cutrain::to_bits(static_cast<float>(d))) {}                  \
    Name(int i) : bits_(::cutrain::to_bits(static_cast<float>(i))) {}                     \
    operator float() const { return ::cutrain::from_bits(bits_); }                        \
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

CUTRAIN_EMU_HALF_TYPE(__half, float_to_half_bits, half_bits_to_float)
CUTRAIN_EMU_HALF_TYPE(__nv_bfloat16, float_to_bf16_bits, bf16_bits_to_float)
#undef CUTRAIN_EMU_HALF_TYPE

static_assert(sizeof(__half) == 2 && sizeof(__nv_bfloat16) == 2);

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline float __half2float(__half h) { return float(h); }
inline __half __ushort_as_half(unsigned short b) { return __half::from_raw(b); }
inline unsigned short __half_as_ushort(__half h) { return h.bits_; }
inline __half __hadd(__half a, __half b) { return a + b; }
inline __half __hsub(__half a, __half b) { return a - b; }
inline __half __hmul(__half a, __half b) { return a * b; }
inline __half __hdiv(__half a, __half b) { return a / b; }
inline __half __hneg(__half a) { return -a; }

inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 h) { return float(h); }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short b) { return __nv_bfloat16::from_raw(b); }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.bits_; }
inline __nv_bfloat16 __hadd(__nv_bfloat16 a, __nv_bfloat16 b) { return a + b; }
inline __nv_bfloat16 __hsub(__nv_bfloat16 a, __nv_bfloat16 b) { return a - b; }
inline __nv_bfloat16 __hmul(__nv_bfloat16 a, __nv_bfloat16 b) { return a * b; }
inline __nv_bfloat16 __hdiv(__nv_bfloat16 a, __nv_bfloat16 b) { return a / b; }
inline __nv_bfloat16 __hneg(__nv_bfloat16 a) { return -a; }

}  // namespace cutrain::emu::device
