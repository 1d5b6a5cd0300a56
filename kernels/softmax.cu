// Softmax / log-softmax forward and backward along the last axis (see
// softmax.cuh): one warp per row, lanes stride over the columns, warp
// shuffles combine the row's max and sums. f16/bf16 rows are read into fp32,
// reduced and exponentiated there, and rounded once on store.
#include "device_math.cuh"
#include "lowp.cuh"
#include "softmax.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int kRowsPerBlock = kBlock / 32;
constexpr int64_t kMaxBlocks = 65535;

template <bool Log, typename T>
__global__ void __launch_bounds__(kBlock) softmax_forward_kernel(const T* __restrict__ x, T* __restrict__ y,
                                                                 int64_t rows, int64_t cols) {
  const unsigned lane = threadIdx.x % 32;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    using C = compute_t<T>;
    const T* in = x + row * cols;
    T* out = y + row * cols;
    // m = max_c x_c (lanes past the row start from x_0, which leaves the max unchanged)
    C m = static_cast<C>(in[0]);
    for (int64_t c = lane; c < cols; c += 32) m = dev::max_(m, static_cast<C>(in[c]));
    m = dev::warp_max(m);
    // z = Σ_c exp(x_c − m)
    C z = C(0);
    for (int64_t c = lane; c < cols; c += 32) z += dev::exp_(static_cast<C>(in[c]) - m);
    z = dev::warp_sum(z);
    if (Log) {
      const C lz = dev::log_(z);
      for (int64_t c = lane; c < cols; c += 32) out[c] = T(static_cast<C>(in[c]) - m - lz);
    } else {
      for (int64_t c = lane; c < cols; c += 32) out[c] = T(dev::exp_(static_cast<C>(in[c]) - m) / z);
    }
  }
}

template <bool Log, typename T>
__global__ void __launch_bounds__(kBlock) softmax_backward_kernel(const T* __restrict__ dy, const T* __restrict__ y,
                                                                  T* __restrict__ dx, int64_t rows, int64_t cols) {
  const unsigned lane = threadIdx.x % 32;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    using C = compute_t<T>;
    const T* g = dy + row * cols;
    const T* s = y + row * cols;
    T* d = dx + row * cols;
    // acc = Σ dy (log_softmax) or Σ dy·y (softmax)
    C acc = C(0);
    for (int64_t c = lane; c < cols; c += 32) {
      const C gc = static_cast<C>(g[c]);
      acc += Log ? gc : gc * static_cast<C>(s[c]);
    }
    acc = dev::warp_sum(acc);
    for (int64_t c = lane; c < cols; c += 32) {
      const C gc = static_cast<C>(g[c]), sc = static_cast<C>(s[c]);
      d[c] = T(Log ? gc - dev::exp_(sc) * acc : sc * (gc - acc));
    }
  }
}

unsigned grid_for(int64_t rows) { return grid_stride_blocks(rows, kRowsPerBlock, kMaxBlocks); }

template <typename T>
void launch_forward(bool log, const T* x, T* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  if (log) {
    constexpr auto k = softmax_forward_kernel<true, T>;
    CUTRAIN_LAUNCH(k, grid_for(rows), kBlock, 0, stream, x, y, rows, cols);
  } else {
    constexpr auto k = softmax_forward_kernel<false, T>;
    CUTRAIN_LAUNCH(k, grid_for(rows), kBlock, 0, stream, x, y, rows, cols);
  }
}

template <typename T>
void launch_backward(bool log, const T* dy, const T* y, T* dx, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  if (log) {
    constexpr auto k = softmax_backward_kernel<true, T>;
    CUTRAIN_LAUNCH(k, grid_for(rows), kBlock, 0, stream, dy, y, dx, rows, cols);
  } else {
    constexpr auto k = softmax_backward_kernel<false, T>;
    CUTRAIN_LAUNCH(k, grid_for(rows), kBlock, 0, stream, dy, y, dx, rows, cols);
  }
}

}  // namespace

#define CUTRAIN_SOFTMAX_LOWP_DEFS(H)                                                                          \
  void softmax_forward(bool log, const H* x, H* y, int64_t rows, int64_t cols, cudaStream_t stream) {         \
    launch_forward(log, lowp_device_ptr(x), lowp_device_ptr(y), rows, cols, stream);                          \
  }                                                                                                           \
  void softmax_backward(bool log, const H* dy, const H* y, H* dx, int64_t rows, int64_t cols,                 \
                        cudaStream_t stream) {                                                                \
    launch_backward(log, lowp_device_ptr(dy), lowp_device_ptr(y), lowp_device_ptr(dx), rows, cols, stream);   \
  }
CUTRAIN_SOFTMAX_LOWP_DEFS(Half)
CUTRAIN_SOFTMAX_LOWP_DEFS(BFloat16)
#undef CUTRAIN_SOFTMAX_LOWP_DEFS

void softmax_forward(bool log, const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  launch_forward(log, x, y, rows, cols, stream);
}
void softmax_forward(bool log, const double* x, double* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  launch_forward(log, x, y, rows, cols, stream);
}
void softmax_backward(bool log, const float* dy, const float* y, float* dx, int64_t rows, int64_t cols,
                      cudaStream_t stream) {
  launch_backward(log, dy, y, dx, rows, cols, stream);
}
void softmax_backward(bool log, const double* dy, const double* y, double* dx, int64_t rows, int64_t cols,
                      cudaStream_t stream) {
  launch_backward(log, dy, y, dx, rows, cols, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
