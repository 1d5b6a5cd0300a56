// random_normal (see random.cuh): a grid-stride loop, one Philox block per
// element, the CPU's rule word for word.
#include "cutrain/core/philox.h"
#include "cutrain/cpu/random.h"
#include "random.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 4096;

unsigned grid_for(int64_t work) { return grid_stride_blocks(work, kBlock, kMaxBlocks); }

template <typename T>
__global__ void __launch_bounds__(kBlock) random_normal_kernel(T* __restrict__ out, int64_t n, double mean,
                                                               double stddev, uint64_t seed, uint64_t step_arg,
                                                               const double* step_in_memory) {
  const uint64_t step = step_in_memory != nullptr ? static_cast<uint64_t>(*step_in_memory) : step_arg;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = static_cast<T>(mean + stddev * cpu::random_normal_at(seed, step, static_cast<uint64_t>(i)));
}

template <typename T>
void launch(T* out, int64_t n, double mean, double stddev, uint64_t seed, uint64_t step,
            const double* step_in_memory, cudaStream_t stream) {
  if (n <= 0) return;
  CUTRAIN_LAUNCH(random_normal_kernel<T>, grid_for(n), kBlock, 0, stream, out, n, mean, stddev, seed, step,
                 step_in_memory);
}

}  // namespace

void random_normal(float* out, int64_t n, double mean, double stddev, uint64_t seed, uint64_t step,
                   const double* step_in_memory, cudaStream_t stream) {
  launch(out, n, mean, stddev, seed, step, step_in_memory, stream);
}
void random_normal(double* out, int64_t n, double mean, double stddev, uint64_t seed, uint64_t step,
                   const double* step_in_memory, cudaStream_t stream) {
  launch(out, n, mean, stddev, seed, step, step_in_memory, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
