// Test kernels of the emulation layer (see emu_test_kernels.cuh).
#include <stdexcept>

#include "emu_test_kernels.cuh"

namespace emu_test {

namespace {

__global__ void block_reduce_kernel(const float* x, float* out) {
  __shared__ float s[1024];
  const unsigned t = threadIdx.x;
  s[t] = x[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

__global__ void warp_ops_kernel(const float* x, float* out, float* scan, float* bcast, unsigned* ballot) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lane = threadIdx.x % 32;
  const float v = x[i];
  float total = v;
  for (int m = 16; m > 0; m /= 2) total += __shfl_xor_sync(0xffffffffu, total, m);
  const float lane0_total = __shfl_sync(0xffffffffu, total, 0);
  if (!__all_sync(0xffffffffu, lane0_total == total)) total = -1.0f;
  float prefix = v;
  for (unsigned d = 1; d < 32; d *= 2) {
    const float up = __shfl_up_sync(0xffffffffu, prefix, d);
    if (lane >= d) prefix += up;
  }
  scan[i] = prefix;
  bcast[i] = __shfl_sync(0xffffffffu, v, 7);
  const unsigned b = __ballot_sync(0xffffffffu, v > 0.0f);
  __syncwarp();
  if (lane == 0) {
    out[i / 32] = total;
    ballot[i / 32] = b;
  }
}

__global__ void reverse_kernel(const float* x, float* y) {
  CUTRAIN_DYNAMIC_SHARED(float, s);
  const unsigned base = blockIdx.x * blockDim.x, t = threadIdx.x;
  s[t] = x[base + t];
  __syncthreads();
  y[base + t] = s[blockDim.x - 1 - t];
}

__global__ void atomics_kernel(const unsigned* x, int64_t n, int* hist, int bins, float* sum, unsigned* max,
                               unsigned long long* cas_count, double* dsum) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    atomicAdd(&hist[x[i] % static_cast<unsigned>(bins)], 1);
    atomicAdd(sum, static_cast<float>(x[i]));
    atomicMax(max, x[i]);
    atomicAdd(dsum, static_cast<double>(x[i]));
    unsigned long long old = *cas_count, seen;
    do {
      seen = old;
      old = atomicCAS(cas_count, seen, seen + 1);
    } while (old != seen);
  }
}

__global__ void neighbour_kernel(int* out, bool sync, int salt) {
  __shared__ int s[1024];
  const unsigned t = threadIdx.x;
  s[t] = static_cast<int>(t) + salt;
  if (sync) __syncthreads();
  out[t] = s[(t + 1) % blockDim.x];
}

__global__ void divergent_kernel(int exit_below) {
  if (static_cast<int>(threadIdx.x) < exit_below) return;
  __syncthreads();
}

__global__ void shuffle_exited_kernel(float* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1);
}

__global__ void sync_votes_kernel(int* out) {
  const int p = threadIdx.x % 3 == 0;
  const int c = __syncthreads_count(p);
  const int a = __syncthreads_and(p);
  const int o = __syncthreads_or(p);
  if (threadIdx.x == 0) {
    out[0] = c;
    out[1] = a;
    out[2] = o;
  }
}

__global__ void throws_kernel(int throw_block, int throw_thread) {
  __syncthreads();
  if (static_cast<int>(blockIdx.x) == throw_block && static_cast<int>(threadIdx.x) == throw_thread)
    throw std::runtime_error("boom");
  __syncthreads();
}

__global__ void empty_kernel() {}

__global__ void barriers_kernel(int iters, int* out) {
  int acc = 0;
  for (int i = 0; i < iters; ++i) {
    acc += static_cast<int>(threadIdx.x);
    __syncthreads();
  }
  if (threadIdx.x == blockDim.x - 1) out[blockIdx.x] = acc;
}

__global__ void indices_2d_kernel(int* out) {
  const unsigned i = blockIdx.y * blockDim.x * blockDim.y + threadIdx.y * blockDim.x + threadIdx.x;
  out[i] = static_cast<int>(threadIdx.x + 1000 * threadIdx.y + 1000000 * blockIdx.y);
}

}  // namespace

void block_reduce(const float* x, float* out, int blocks, int block, cudaStream_t s) {
  CUTRAIN_LAUNCH(block_reduce_kernel, blocks, block, 0, s, x, out);
}
void warp_ops(const float* x, float* out, float* scan, float* bcast, unsigned* ballot, int blocks, int block,
              cudaStream_t s) {
  CUTRAIN_LAUNCH(warp_ops_kernel, blocks, block, 0, s, x, out, scan, bcast, ballot);
}
void reverse_in_block(const float* x, float* y, int blocks, int block, std::size_t smem_bytes, cudaStream_t s) {
  CUTRAIN_LAUNCH(reverse_kernel, blocks, block, smem_bytes, s, x, y);
}
void raise_reverse_limit(std::size_t bytes) { CUTRAIN_SET_MAX_DYNAMIC_SHARED(reverse_kernel, bytes); }
void atomics(const unsigned* x, int64_t n, int* hist, int bins, float* sum, unsigned* max,
             unsigned long long* cas_count, double* dsum, cudaStream_t s) {
  CUTRAIN_LAUNCH(atomics_kernel, 7, 64, 0, s, x, n, hist, bins, sum, max, cas_count, dsum);
}
void neighbour(int* out, int block, bool sync, int salt, cudaStream_t s) {
  CUTRAIN_LAUNCH(neighbour_kernel, 1, block, 0, s, out, sync, salt);
}
void divergent_barrier(int block, int exit_below, cudaStream_t s) {
  CUTRAIN_LAUNCH(divergent_kernel, 2, block, 0, s, exit_below);
}
void shuffle_with_exited_lane(float* out, cudaStream_t s) {
  CUTRAIN_LAUNCH(shuffle_exited_kernel, 1, 32, 0, s, out);
}
void sync_votes(int* out, int block, cudaStream_t s) { CUTRAIN_LAUNCH(sync_votes_kernel, 1, block, 0, s, out); }
void throws(int blocks, int block, int throw_block, int throw_thread, cudaStream_t s) {
  CUTRAIN_LAUNCH(throws_kernel, blocks, block, 0, s, throw_block, throw_thread);
}
void empty(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, std::size_t smem,
           cudaStream_t s) {
  CUTRAIN_LAUNCH(empty_kernel, dim3(gx, gy, gz), dim3(bx, by, bz), smem, s);
}
void barriers(int blocks, int block, int iters, int* out, cudaStream_t s) {
  CUTRAIN_LAUNCH(barriers_kernel, blocks, block, 0, s, iters, out);
}
void indices_2d(int* out, unsigned bx, unsigned by, unsigned gy, cudaStream_t s) {
  CUTRAIN_LAUNCH(indices_2d_kernel, dim3(1, gy), dim3(bx, by), 0, s, out);
}

}  // namespace emu_test
