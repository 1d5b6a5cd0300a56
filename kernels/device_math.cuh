// Device helpers shared by the kernel files: math overloaded on float and
// double (the C names differ: expf / exp), and the named warp and block
// reductions (their contracts below). Include only from a kernel .cu (needs CUTRAIN_KERNEL_NS).
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

// ---- warp and block reductions ------------------------------------------------
// Each reduction below fixes its order of additions, and each caller relies on
// it: the kernels' results are compared bit for bit with their emulated build
// and within tight bounds with the CPU reference, so a kernel that changes
// reduction changes its bits. Pick by contract, never by convenience:
//
//   name                 where the result is         order
//   warp_sum / warp_max  every lane                  butterfly (xor 16, 8, 4, 2, 1)
//   warp_sum_to_lane0    lane 0 only                 tree (down 16, 8, 4, 2, 1)
//   block_sum            every thread                warp_sum per warp, then
//                                                    warp_sum over the warp totals
//   block_sum_to_thread0 thread 0 only               warp_sum_to_lane0 per warp, then
//                                                    warp_sum_to_lane0 over the totals
//   block_sum_serial     every thread                warp_sum_to_lane0 per warp, then
//                                                    thread 0 adds 0 + w0 + w1 + ... in order
//
// Block reductions take 1-D, 2-D or 3-D blocks: threads are numbered
// linearly (x fastest), as CUDA forms warps, and the block's thread count must
// be a multiple of 32 (full warps; every lane takes part in the shuffles) and
// at most 1024. `scratch` is shared memory of at least threads / 32 values
// (block_sum_serial: threads / 32 + 1). Every thread of the block must call.

// Lane 0 of warp 0 is thread 0; warps are 32 consecutive linear threads.
__device__ __forceinline__ unsigned linear_thread() {
  return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}
__device__ __forceinline__ unsigned block_threads() { return blockDim.x * blockDim.y * blockDim.z; }

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

// Tree (shift down) reduction: the warp's sum in lane 0; the other lanes hold
// partial sums of their upper neighbours, which callers must not use.
template <typename T>
__device__ __forceinline__ T warp_sum_to_lane0(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

// Sum over the block, returned to every thread. The trailing barrier lets
// callers reuse `scratch` (or call again) at once.
template <typename T>
__device__ T block_sum(T v, T* scratch) {
  const unsigned tid = linear_thread(), lane = tid % 32, warp = tid / 32, warps = block_threads() / 32;
  v = warp_sum(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T total = lane < warps ? scratch[lane] : T(0);
  total = warp_sum(total);
  __syncthreads();
  return total;
}

// Sum over the block, valid in thread 0 only (the other threads return
// partial sums). No trailing barrier: a caller that writes `scratch` again
// must first pass a __syncthreads.
template <typename T>
__device__ T block_sum_to_thread0(T v, T* scratch) {
  const unsigned tid = linear_thread(), lane = tid % 32, warp = tid / 32, warps = block_threads() / 32;
  v = warp_sum_to_lane0(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? scratch[lane] : T(0);
    v = warp_sum_to_lane0(v);
  }
  return v;
}

// Sum over the block, returned to every thread; thread 0 adds the warp totals
// one after another (starting from 0), then broadcasts through
// scratch[threads / 32]. The trailing barrier lets callers call again.
template <typename T>
__device__ T block_sum_serial(T v, T* scratch) {
  const unsigned tid = linear_thread(), warps = block_threads() / 32;
  v = warp_sum_to_lane0(v);
  if (tid % 32 == 0) scratch[tid / 32] = v;
  __syncthreads();
  if (tid == 0) {
    T t = 0;
    for (unsigned k = 0; k < warps; ++k) t += scratch[k];
    scratch[warps] = t;
  }
  __syncthreads();
  const T r = scratch[warps];
  __syncthreads();
  return r;
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS::dev
