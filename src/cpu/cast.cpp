#include "cutrain/cpu/cast.h"

#include <cmath>
#include <cstring>

#include "cutrain/core/error.h"

namespace cutrain::cpu {

namespace {

float cast_bits_to_float(uint16_t b, DType t) { return t == DType::f16 ? half_bits_to_float(b) : bf16_bits_to_float(b); }
uint16_t cast_float_to_bits(float f, DType t) { return t == DType::f16 ? float_to_half_bits(f) : float_to_bf16_bits(f); }

template <typename T>
T cast_load(const void* p, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(p) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}
template <typename T>
void cast_store(void* p, int64_t i, T v) {
  std::memcpy(static_cast<char*>(p) + i * static_cast<int64_t>(sizeof(T)), &v, sizeof(T));
}

// Element i of x as a double (exact for every float dtype).
double cast_load_double(const void* x, DType t, int64_t i) {
  switch (t) {
    case DType::f64: return cast_load<double>(x, i);
    case DType::f32: return cast_load<float>(x, i);
    default: return cast_bits_to_float(cast_load<uint16_t>(x, i), t);
  }
}

}  // namespace

uint16_t double_to_16_bits(double v, DType to) {
  // The f32 rounding of v is the 16-bit result or one of its neighbours
  // (f32 keeps more than twice the 16-bit precision), so the answer is the
  // nearer of the two 16-bit values around v; midpoints of 16-bit values
  // are exact in double, so the comparison is exact.
  if (std::isnan(v)) return cast_float_to_bits(static_cast<float>(v), to);
  const uint16_t sign = std::signbit(v) ? 0x8000u : 0u;
  const double a = std::fabs(v);
  const uint16_t inf = to == DType::f16 ? 0x7c00u : 0x7f80u;
  // Magnitude of raw bits b <= inf, the infinity counted as the next power
  // of two past the largest finite value (IEEE's overflow rule).
  const auto value = [&](uint16_t b) {
    if (b == inf) return to == DType::f16 ? 65536.0 : std::ldexp(1.0, 128);
    return static_cast<double>(cast_bits_to_float(b, to));
  };
  uint16_t lo = static_cast<uint16_t>(cast_float_to_bits(static_cast<float>(a), to) & 0x7fffu);
  if (lo > inf) lo = inf;
  while (lo > 0 && value(lo) > a) --lo;
  while (lo < inf && value(static_cast<uint16_t>(lo + 1)) <= a) ++lo;
  if (lo == inf || value(lo) == a) return static_cast<uint16_t>(sign | lo);
  const uint16_t hi = static_cast<uint16_t>(lo + 1);
  const double mid = (value(lo) + value(hi)) / 2;
  const uint16_t r = a < mid ? lo : a > mid ? hi : ((lo & 1u) ? hi : lo);
  return static_cast<uint16_t>(sign | r);
}

void cast(const std::string& op, const params::Cast& p, const Tensor& x, const Tensor& y) {
  CUTRAIN_OP_CHECK(op, x.device().is_cpu() && y.device().is_cpu() && x.is_contiguous() && y.is_contiguous(),
                   "cast needs contiguous CPU tensors");
  CUTRAIN_OP_CHECK(op, x.dtype() == p.from && y.dtype() == p.to && x.numel() == y.numel(), "cast ",
                   dtype_name(x.dtype()), "[", x.numel(), "] to ", dtype_name(y.dtype()), "[", y.numel(),
                   "] does not match its parameters ", dtype_name(p.from), " -> ", dtype_name(p.to));
  const void* src = x.raw_data();
  void* dst = y.raw_data();
  const int64_t n = x.numel();
  if (p.from == p.to) {
    if (n > 0) std::memcpy(dst, src, x.nbytes());
    return;
  }
  switch (p.to) {
    case DType::f64:
      for (int64_t i = 0; i < n; ++i) cast_store<double>(dst, i, cast_load_double(src, p.from, i));
      return;
    case DType::f32:
      // Double to float is IEEE's correctly rounded conversion; the rest are exact.
      for (int64_t i = 0; i < n; ++i) cast_store<float>(dst, i, static_cast<float>(cast_load_double(src, p.from, i)));
      return;
    case DType::f16:
    case DType::bf16:
      if (p.from == DType::f64) {
        for (int64_t i = 0; i < n; ++i) cast_store<uint16_t>(dst, i, double_to_16_bits(cast_load<double>(src, i), p.to));
      } else {
        // f32, or the other 16-bit format: exact in f32, so one rounding.
        for (int64_t i = 0; i < n; ++i)
          cast_store<uint16_t>(dst, i, cast_float_to_bits(static_cast<float>(cast_load_double(src, p.from, i)), p.to));
      }
      return;
    default: break;
  }
  CUTRAIN_OP_CHECK(op, false, "cannot cast ", dtype_name(p.from), " to ", dtype_name(p.to));
}

}  // namespace cutrain::cpu
