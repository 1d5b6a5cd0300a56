// Sum of a float array in two passes (see reduce.cuh).
#include "reduce.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;  // a multiple of 32: every warp is full
constexpr int64_t kMaxBlocks = 1024;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(kFullMask, v, offset);
  return v;
}

// The block's sum, valid in thread 0. Called once per kernel (the shared
// array is reused without a trailing barrier).
__device__ float block_sum(float v) {
  __shared__ float warp_sums[kBlock / 32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < blockDim.x / 32 ? warp_sums[lane] : 0.0f;
    v = warp_sum(v);
  }
  return v;
}

__global__ void __launch_bounds__(kBlock) partial_sums_kernel(const float* __restrict__ x, int64_t n,
                                                              float* __restrict__ partial) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  float acc = 0.0f;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) acc += x[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

__global__ void __launch_bounds__(kBlock) final_sum_kernel(const float* __restrict__ partial, int64_t m,
                                                           float* __restrict__ out) {
  float acc = 0.0f;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) acc += partial[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = acc;
}

int64_t blocks_for(int64_t n) {
  const int64_t b = (n + kBlock - 1) / kBlock;
  return b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b);
}

}  // namespace

int64_t reduce_sum_workspace(int64_t n) { return blocks_for(n); }

void reduce_sum(const float* x, int64_t n, float* workspace, float* out, cudaStream_t stream) {
  const int64_t blocks = blocks_for(n);
  CUTRAIN_LAUNCH(partial_sums_kernel, static_cast<unsigned>(blocks), kBlock, 0, stream, x, n, workspace);
  CUTRAIN_LAUNCH(final_sum_kernel, 1, kBlock, 0, stream, workspace, blocks, out);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
