// Element types of tensors: names, sizes, and the 16-bit float conversions.
//
// f16 and bf16 are stored as raw 16-bit patterns on the host; the conversions
// round to nearest even and keep NaN/Inf, bit for bit as CUDA's __float2half_rn
// and __float2bfloat16_rn do, so host and device agree on every value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cutrain {

enum class DType : uint8_t { f32, f64, f16, bf16, i32, i64, u8, boolean };

inline constexpr DType kAllDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                       DType::i32, DType::i64, DType::u8,  DType::boolean};

std::size_t dtype_size(DType t);
std::string_view dtype_name(DType t);          // "f32", "bf16", "bool", ...
DType dtype_from_name(std::string_view name);  // inverse of dtype_name; throws on unknown
bool is_floating(DType t);

// Host representations of the 16-bit float types (raw bits).
struct Half {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};

uint16_t float_to_half_bits(float f);
float half_bits_to_float(uint16_t h);
uint16_t float_to_bf16_bits(float f);
float bf16_bits_to_float(uint16_t b);

// C++ type -> DType, for typed accessors (Tensor::data<T>()).
template <typename T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::f16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::bf16; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::boolean; };
template <typename T>
inline constexpr DType dtype_v = dtype_of<T>::value;

// Converts one element between any two dtypes through double (exact for every
// value of every type here except i64 beyond 2^53, which training never needs).
double load_as_double(const void* p, DType t);
void store_from_double(void* p, DType t, double v);

}  // namespace cutrain
