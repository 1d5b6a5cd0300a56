// Dtype conversion kernel (see cast.cuh).
#include "cast.cuh"

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kCastBlock = 256;
constexpr int64_t kCastMaxBlocks = 4096;

// d rounded to f32 toward zero, its last bit set when inexact (round to odd).
__device__ __forceinline__ float cast_double_to_float_odd(double d) {
  const float f = static_cast<float>(d);
  if (static_cast<double>(f) == d || d != d) return f;
  unsigned bits = __float_as_uint(f);
  if (fabs(static_cast<double>(f)) > fabs(d)) bits -= 1u;  // one ulp toward zero (inf -> largest finite)
  return __uint_as_float(bits | 1u);
}

// Every source type widened to the float type that holds it exactly.
__device__ __forceinline__ float cast_widen(float v) { return v; }
__device__ __forceinline__ double cast_widen(double v) { return v; }
__device__ __forceinline__ float cast_widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float cast_widen(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename To>
struct CastTo;
template <>
struct CastTo<float> {
  __device__ __forceinline__ static float from(float v) { return v; }
  __device__ __forceinline__ static float from(double v) { return static_cast<float>(v); }
};
template <>
struct CastTo<double> {
  __device__ __forceinline__ static double from(float v) { return v; }
  __device__ __forceinline__ static double from(double v) { return v; }
};
template <>
struct CastTo<__half> {
  __device__ __forceinline__ static __half from(float v) { return __float2half_rn(v); }
  __device__ __forceinline__ static __half from(double v) { return __float2half_rn(cast_double_to_float_odd(v)); }
};
template <>
struct CastTo<__nv_bfloat16> {
  __device__ __forceinline__ static __nv_bfloat16 from(float v) { return __float2bfloat16_rn(v); }
  __device__ __forceinline__ static __nv_bfloat16 from(double v) {
    return __float2bfloat16_rn(cast_double_to_float_odd(v));
  }
};

template <typename From, typename To>
__global__ void __launch_bounds__(kCastBlock) cast_kernel(const From* __restrict__ x, To* __restrict__ y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = CastTo<To>::from(cast_widen(x[i]));
}

template <typename From, typename To>
void cast_launch(const void* x, void* y, int64_t n, cudaStream_t stream) {
  constexpr auto kernel = cast_kernel<From, To>;
  CUTRAIN_LAUNCH(kernel, grid_stride_blocks(n, kCastBlock, kCastMaxBlocks), kCastBlock, 0, stream,
                 static_cast<const From*>(x), static_cast<To*>(y), n);
}

template <typename From>
void cast_from(const void* x, void* y, DType to, int64_t n, cudaStream_t stream) {
  switch (to) {
    case DType::f32: return cast_launch<From, float>(x, y, n, stream);
    case DType::f64: return cast_launch<From, double>(x, y, n, stream);
    case DType::f16: return cast_launch<From, __half>(x, y, n, stream);
    case DType::bf16: return cast_launch<From, __nv_bfloat16>(x, y, n, stream);
    default: CUTRAIN_THROW("cast kernel: unsupported target dtype ", dtype_name(to));
  }
}

}  // namespace

void cast(const void* x, DType from, void* y, DType to, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  switch (from) {
    case DType::f32: return cast_from<float>(x, y, to, n, stream);
    case DType::f64: return cast_from<double>(x, y, to, n, stream);
    case DType::f16: return cast_from<__half>(x, y, to, n, stream);
    case DType::bf16: return cast_from<__nv_bfloat16>(x, y, to, n, stream);
    default: CUTRAIN_THROW("cast kernel: unsupported source dtype ", dtype_name(from));
  }
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
