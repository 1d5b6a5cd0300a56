// Dropout (see dropout.cuh): one Philox block per thread per group of four
// elements, the CPU's mask rule word for word.
#include "cutrain/core/philox.h"
#include "cutrain/cpu/dropout.h"
#include "dropout.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 4096;

unsigned grid_for(int64_t work) { return grid_stride_blocks(work, kBlock, kMaxBlocks); }

template <typename T>
__global__ void __launch_bounds__(kBlock) dropout_train_kernel(const T* __restrict__ x, T* __restrict__ y,
                                                               uint8_t* __restrict__ mask, int64_t n,
                                                               uint32_t threshold, T inv_keep, uint64_t seed,
                                                               uint64_t step_arg, const double* step_in_memory) {
  // The step from device memory when given (a replayed step reads its own).
  const uint64_t step = step_in_memory != nullptr ? static_cast<uint64_t>(*step_in_memory) : step_arg;
  const int64_t groups = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < groups; q += stride) {
    // words of counter (q, step) under key seed: elements 4q + j, j = 0..3
    const Philox4x32 r = philox4x32(static_cast<uint64_t>(q), step, seed);
    for (int j = 0; j < 4; ++j) {
      const int64_t i = 4 * q + j;
      if (i >= n) break;
      const bool kept = (r.v[j] >> 8) < threshold;
      mask[i] = kept ? 1 : 0;
      y[i] = kept ? x[i] * inv_keep : T(0);
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock) dropout_eval_kernel(const T* __restrict__ x, T* __restrict__ y,
                                                              uint8_t* __restrict__ mask, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    y[i] = x[i];
    mask[i] = 1;
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock) dropout_backward_kernel(const T* __restrict__ dy,
                                                                  const uint8_t* __restrict__ mask,
                                                                  T* __restrict__ dx, int64_t n, T inv_keep) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = mask[i] ? dy[i] * inv_keep : T(0);
}

template <typename T>
void launch_forward(const T* x, T* y, uint8_t* mask, int64_t n, double rate, bool training, uint64_t seed,
                    uint64_t step, const double* step_in_memory, cudaStream_t stream) {
  if (n <= 0) return;
  if (!training) {
    CUTRAIN_LAUNCH(dropout_eval_kernel<T>, grid_for(n), kBlock, 0, stream, x, y, mask, n);
    return;
  }
  const uint32_t threshold = cpu::dropout_keep_threshold(rate);
  const T inv_keep = static_cast<T>(1.0 / (1.0 - rate));
  CUTRAIN_LAUNCH(dropout_train_kernel<T>, grid_for((n + 3) / 4), kBlock, 0, stream, x, y, mask, n, threshold,
                 inv_keep, seed, step, step_in_memory);
}

template <typename T>
void launch_backward(const T* dy, const uint8_t* mask, T* dx, int64_t n, double rate, bool training,
                     cudaStream_t stream) {
  if (n <= 0) return;
  const T inv_keep = training ? static_cast<T>(1.0 / (1.0 - rate)) : T(1);
  CUTRAIN_LAUNCH(dropout_backward_kernel<T>, grid_for(n), kBlock, 0, stream, dy, mask, dx, n, inv_keep);
}

}  // namespace

void dropout_forward(const float* x, float* y, uint8_t* mask, int64_t n, double rate, bool training, uint64_t seed,
                     uint64_t step, const double* step_in_memory, cudaStream_t stream) {
  launch_forward(x, y, mask, n, rate, training, seed, step, step_in_memory, stream);
}
void dropout_forward(const double* x, double* y, uint8_t* mask, int64_t n, double rate, bool training, uint64_t seed,
                     uint64_t step, const double* step_in_memory, cudaStream_t stream) {
  launch_forward(x, y, mask, n, rate, training, seed, step, step_in_memory, stream);
}
void dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double rate, bool training,
                      cudaStream_t stream) {
  launch_backward(dy, mask, dx, n, rate, training, stream);
}
void dropout_backward(const double* dy, const uint8_t* mask, double* dx, int64_t n, double rate, bool training,
                      cudaStream_t stream) {
  launch_backward(dy, mask, dx, n, rate, training, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
