// Device helpers shared by the kernel files: math overloaded on float and
// double (the C names differ: expf / exp), warp and block reductions by
// shuffles. Include only from a kernel .cu (needs CUTRAIN_KERNEL_NS).
#pragma once

#include "launch.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS::dev {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float exp_(float v) { return expf(v); }
__device__ __forceinline__ double exp_(double v) { return exp(v); }
__device__ __forceinline__ float log_(float v) { return logf(v); }
__device__ __forceinline__ double log_(double v) { return log(v); }
__device__ __forceinline__ float tanh_(float v) { return tanhf(v); }
__device__ __forceinline__ double tanh_(double v) { return tanh(v); }
__device__ __forceinline__ float sqrt_(float v) { return sqrtf(v); }
__device__ __forceinline__ double sqrt_(double v) { return sqrt(v); }

// Max that propagates NaN like std::max_element over a row starting from a
// non-NaN value would not; callers only use it where inputs are finite.
template <typename T>
__device__ __forceinline__ T max_(T a, T b) {
  return a > b ? a : b;
}

// Butterfly (xor) reductions: every lane ends with the warp's result, in the
// same order on every lane, so all lanes agree bit for bit.
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = max_(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// Sum over the block, returned to every thread. `scratch` holds one T per
// warp (blockDim.x / 32 <= 32); the trailing barrier lets callers reuse it.
template <typename T>
__device__ T block_sum(T v, T* scratch) {
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : T(0);
  total = warp_sum(total);
  __syncthreads();
  return total;
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS::dev
