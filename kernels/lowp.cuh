// The 16-bit float types on the device side of a kernel file: which device
// type a launcher's host element type (cutrain::Half, cutrain::BFloat16, raw
// 16 bits) stands for, the type a kernel computes in (fp32 for both 16-bit
// formats: they are storage types, every sum and product is carried in float
// and rounded once on store), and the 128-bit pack the vectorised loops load
// (8 x 16-bit where the float path loads 4 x 32-bit). Include only from a
// kernel .cu (needs CUTRAIN_KERNEL_NS).
#pragma once

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

template <typename T>
struct lowp_device_type {
  using type = T;
};
template <>
struct lowp_device_type<::cutrain::Half> {
  using type = __half;
};
template <>
struct lowp_device_type<::cutrain::BFloat16> {
  using type = __nv_bfloat16;
};
template <typename T>
using lowp_device_t = typename lowp_device_type<T>::type;

template <typename T>
const lowp_device_t<T>* lowp_device_ptr(const T* p) {
  static_assert(sizeof(lowp_device_t<T>) == sizeof(T));
  return reinterpret_cast<const lowp_device_t<T>*>(p);
}
template <typename T>
lowp_device_t<T>* lowp_device_ptr(T* p) {
  static_assert(sizeof(lowp_device_t<T>) == sizeof(T));
  return reinterpret_cast<lowp_device_t<T>*>(p);
}

template <typename T>
struct lowp_compute_type {
  using type = T;
};
template <>
struct lowp_compute_type<__half> {
  using type = float;
};
template <>
struct lowp_compute_type<__nv_bfloat16> {
  using type = float;
};
// The type a kernel on elements of T computes in: T for float and double.
template <typename T>
using compute_t = typename lowp_compute_type<T>::type;

// v widened to double: through float for the 16-bit types, whose CUDA
// classes also convert to the integer types (a direct cast is ambiguous).
template <typename T>
__device__ __forceinline__ double lowp_to_double(T v) {
  return static_cast<double>(static_cast<compute_t<T>>(v));
}

// 16 bytes of T: one 128-bit load or store when the address is 16-byte aligned.
template <typename T>
struct alignas(16) Pack16B {
  static constexpr int kCount = static_cast<int>(16 / sizeof(T));
  T v[kCount];
};

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
