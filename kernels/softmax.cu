// Softmax / log-softmax forward and backward along the last axis (see
// softmax.cuh): one warp per row, lanes stride over the columns, warp
// shuffles combine the row's max and sums.
#include "device_math.cuh"
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
    const T* in = x + row * cols;
    T* out = y + row * cols;
    // m = max_c x_c (lanes past the row start from x_0, which leaves the max unchanged)
    T m = in[0];
    for (int64_t c = lane; c < cols; c += 32) m = dev::max_(m, in[c]);
    m = dev::warp_max(m);
    // z = Σ_c exp(x_c − m)
    T z = T(0);
    for (int64_t c = lane; c < cols; c += 32) z += dev::exp_(in[c] - m);
    z = dev::warp_sum(z);
    if (Log) {
      const T lz = dev::log_(z);
      for (int64_t c = lane; c < cols; c += 32) out[c] = in[c] - m - lz;
    } else {
      for (int64_t c = lane; c < cols; c += 32) out[c] = dev::exp_(in[c] - m) / z;
    }
  }
}

template <bool Log, typename T>
__global__ void __launch_bounds__(kBlock) softmax_backward_kernel(const T* __restrict__ dy, const T* __restrict__ y,
                                                                  T* __restrict__ dx, int64_t rows, int64_t cols) {
  const unsigned lane = threadIdx.x % 32;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* g = dy + row * cols;
    const T* s = y + row * cols;
    T* d = dx + row * cols;
    // acc = Σ dy (log_softmax) or Σ dy·y (softmax)
    T acc = T(0);
    for (int64_t c = lane; c < cols; c += 32) acc += Log ? g[c] : g[c] * s[c];
    acc = dev::warp_sum(acc);
    for (int64_t c = lane; c < cols; c += 32) d[c] = Log ? g[c] - dev::exp_(s[c]) * acc : s[c] * (g[c] - acc);
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
