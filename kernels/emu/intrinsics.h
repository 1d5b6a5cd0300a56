// CUDA device math functions, fast intrinsics, bit tricks and atomics for the
// emulated build. The C math functions (expf, log1pf, fmaxf, ...) come from
// <cmath> unchanged; what CUDA adds is defined here. Fast intrinsics
// (__expf, __fdividef, ...) use the accurate functions: results differ from the
// GPU by the intrinsic's documented error, which kernel tests' tolerances cover.
//
// Atomics are real atomic operations (std::atomic_ref), so kernels running on
// different streams (different OS threads) may share counters as on a GPU.
// Only the overloads CUDA has on sm_90 exist; anything else fails to compile.
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cutrain::emu::device {

// ---- math ---------------------------------------------------------------------
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float rcbrtf(float x) { return 1.0f / std::cbrt(x); }
inline float fdividef(float a, float b) { return a / b; }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return std::exp(x); }
inline float __exp10f(float x) { return std::pow(10.0f, x); }
inline float __logf(float x) { return std::log(x); }
inline float __log2f(float x) { return std::log2(x); }
inline float __log10f(float x) { return std::log10(x); }
inline float __powf(float a, float b) { return std::pow(a, b); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline void __sincosf(float x, float* s, float* c) { *s = std::sin(x); *c = std::cos(x); }
inline float __saturatef(float x) { return std::isnan(x) ? 0.0f : std::fmin(std::fmax(x, 0.0f), 1.0f); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return std::sqrt(x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }

// CUDA's integer and floating min/max overloads (same-type arguments only).
#define CUTRAIN_EMU_MINMAX(T)                                  \
  inline T min(T a, T b) { return b < a ? b : a; }             \
  inline T max(T a, T b) { return a < b ? b : a; }
CUTRAIN_EMU_MINMAX(int)
CUTRAIN_EMU_MINMAX(unsigned int)
CUTRAIN_EMU_MINMAX(long)
CUTRAIN_EMU_MINMAX(unsigned long)
CUTRAIN_EMU_MINMAX(long long)
CUTRAIN_EMU_MINMAX(unsigned long long)
#undef CUTRAIN_EMU_MINMAX
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }

// ---- conversions and bits -----------------------------------------------------
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline int __float_as_int(float x) { return std::bit_cast<int>(x); }
inline float __uint_as_float(unsigned x) { return std::bit_cast<float>(x); }
inline unsigned __float_as_uint(float x) { return std::bit_cast<unsigned>(x); }
inline double __longlong_as_double(long long x) { return std::bit_cast<double>(x); }
inline long long __double_as_longlong(double x) { return std::bit_cast<long long>(x); }
inline int __float2int_rn(float x) { return static_cast<int>(std::nearbyint(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(std::trunc(x)); }
inline int __float2int_rd(float x) { return static_cast<int>(std::floor(x)); }
inline int __float2int_ru(float x) { return static_cast<int>(std::ceil(x)); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
inline int __double2int_rn(double x) { return static_cast<int>(std::nearbyint(x)); }
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __popcll(unsigned long long x) { return std::popcount(x); }
inline int __clz(int x) { return std::countl_zero(static_cast<unsigned>(x)); }
inline int __clzll(long long x) { return std::countl_zero(static_cast<unsigned long long>(x)); }
inline int __ffs(int x) { return x == 0 ? 0 : std::countr_zero(static_cast<unsigned>(x)) + 1; }
inline int __ffsll(long long x) {
  return x == 0 ? 0 : std::countr_zero(static_cast<unsigned long long>(x)) + 1;
}
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((static_cast<unsigned long long>(a) * b) >> 32);
}
inline int __mulhi(int a, int b) { return static_cast<int>((static_cast<long long>(a) * b) >> 32); }

// ---- memory -------------------------------------------------------------------
template <typename T>
inline T __ldg(const T* p) { return *p; }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }

// ---- atomics (return the old value) -----------------------------------------
namespace atomic_detail {
template <typename T, typename F>
T atomic_update(T* address, F f) {
  std::atomic_ref<T> a(*address);
  T old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, f(old), std::memory_order_relaxed)) {
  }
  return old;
}
}  // namespace atomic_detail

#define CUTRAIN_EMU_ATOMIC_ADD(T) \
  inline T atomicAdd(T* p, T v) { return std::atomic_ref<T>(*p).fetch_add(v, std::memory_order_relaxed); }
CUTRAIN_EMU_ATOMIC_ADD(int)
CUTRAIN_EMU_ATOMIC_ADD(unsigned int)
CUTRAIN_EMU_ATOMIC_ADD(unsigned long long)
CUTRAIN_EMU_ATOMIC_ADD(float)
CUTRAIN_EMU_ATOMIC_ADD(double)
#undef CUTRAIN_EMU_ATOMIC_ADD

inline int atomicSub(int* p, int v) { return std::atomic_ref<int>(*p).fetch_sub(v, std::memory_order_relaxed); }
inline unsigned atomicSub(unsigned* p, unsigned v) {
  return std::atomic_ref<unsigned>(*p).fetch_sub(v, std::memory_order_relaxed);
}

#define CUTRAIN_EMU_ATOMIC_INT(T)                                                              \
  inline T atomicMin(T* p, T v) { return atomic_detail::atomic_update(p, [v](T o) { return v < o ? v : o; }); } \
  inline T atomicMax(T* p, T v) { return atomic_detail::atomic_update(p, [v](T o) { return o < v ? v : o; }); } \
  inline T atomicAnd(T* p, T v) { return std::atomic_ref<T>(*p).fetch_and(v, std::memory_order_relaxed); } \
  inline T atomicOr(T* p, T v) { return std::atomic_ref<T>(*p).fetch_or(v, std::memory_order_relaxed); }   \
  inline T atomicXor(T* p, T v) { return std::atomic_ref<T>(*p).fetch_xor(v, std::memory_order_relaxed); }
CUTRAIN_EMU_ATOMIC_INT(int)
CUTRAIN_EMU_ATOMIC_INT(unsigned int)
CUTRAIN_EMU_ATOMIC_INT(unsigned long long)
#undef CUTRAIN_EMU_ATOMIC_INT
inline long long atomicMin(long long* p, long long v) {
  return atomic_detail::atomic_update(p, [v](long long o) { return v < o ? v : o; });
}
inline long long atomicMax(long long* p, long long v) {
  return atomic_detail::atomic_update(p, [v](long long o) { return o < v ? v : o; });
}

#define CUTRAIN_EMU_ATOMIC_EXCH_CAS(T)                                               \
  inline T atomicExch(T* p, T v) { return std::atomic_ref<T>(*p).exchange(v, std::memory_order_relaxed); } \
  inline T atomicCAS(T* p, T compare, T v) {                                          \
    std::atomic_ref<T>(*p).compare_exchange_strong(compare, v, std::memory_order_relaxed); \
    return compare;                                                                   \
  }
CUTRAIN_EMU_ATOMIC_EXCH_CAS(int)
CUTRAIN_EMU_ATOMIC_EXCH_CAS(unsigned int)
CUTRAIN_EMU_ATOMIC_EXCH_CAS(unsigned long long)
#undef CUTRAIN_EMU_ATOMIC_EXCH_CAS
inline float atomicExch(float* p, float v) {
  return std::atomic_ref<float>(*p).exchange(v, std::memory_order_relaxed);
}
inline unsigned short atomicCAS(unsigned short* p, unsigned short compare, unsigned short v) {
  std::atomic_ref<unsigned short>(*p).compare_exchange_strong(compare, v, std::memory_order_relaxed);
  return compare;
}
// atomicInc/atomicDec with CUDA's wrap-around rules.
inline unsigned atomicInc(unsigned* p, unsigned limit) {
  return atomic_detail::atomic_update(p, [limit](unsigned o) { return o >= limit ? 0u : o + 1; });
}
inline unsigned atomicDec(unsigned* p, unsigned limit) {
  return atomic_detail::atomic_update(p, [limit](unsigned o) { return (o == 0 || o > limit) ? limit : o - 1; });
}

}  // namespace cutrain::emu::device
