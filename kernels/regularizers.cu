// L2 weight decay and its gradient (see regularizers.cuh).
#include "device_math.cuh"
#include "regularizers.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

// partial[b] = Σ w[i]² over i = b·blockDim + t + k·gridDim·blockDim, in double.
template <typename T>
__global__ void __launch_bounds__(kL2Block) sum_squares_kernel(const T* __restrict__ w, int64_t n,
                                                               double* __restrict__ partial) {
  __shared__ double scratch[kL2Block / 32];
  double acc = 0.0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const double v = static_cast<double>(w[i]);
    acc += v * v;
  }
  acc = dev::block_sum(acc, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// out = T(weight_decay · Σ partial / 2), one block.
template <typename T>
__global__ void __launch_bounds__(kL2Block) finish_kernel(const double* __restrict__ partial, int64_t m,
                                                          double weight_decay, T* __restrict__ out) {
  __shared__ double scratch[kL2Block / 32];
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) acc += partial[i];
  acc = dev::block_sum(acc, scratch);
  if (threadIdx.x == 0) out[0] = static_cast<T>(weight_decay * acc / 2.0);
}

template <typename T>
__global__ void __launch_bounds__(kL2Block) grad_kernel(double weight_decay, const T* __restrict__ dy,
                                                        const T* __restrict__ w, int64_t n, T* __restrict__ dw) {
  const T g = static_cast<T>(weight_decay * static_cast<double>(dy[0]));
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dw[i] = g * w[i];
}

template <typename T>
void launch_l2(double weight_decay, const T* w, int64_t n, double* workspace, T* out, cudaStream_t stream) {
  const int64_t blocks = l2_loss_blocks(n);
  CUTRAIN_LAUNCH(sum_squares_kernel<T>, static_cast<unsigned>(blocks), kL2Block, 0, stream, w, n, workspace);
  CUTRAIN_LAUNCH(finish_kernel<T>, 1, kL2Block, 0, stream, workspace, blocks, weight_decay, out);
}

template <typename T>
void launch_grad(double weight_decay, const T* dy, const T* w, int64_t n, T* dw, cudaStream_t stream) {
  if (n <= 0) return;
  int64_t blocks = (n + kL2Block - 1) / kL2Block;
  if (blocks > 65535) blocks = 65535;
  CUTRAIN_LAUNCH(grad_kernel<T>, static_cast<unsigned>(blocks), kL2Block, 0, stream, weight_decay, dy, w, n, dw);
}

}  // namespace

void l2_loss(double weight_decay, const float* w, int64_t n, double* workspace, float* out, cudaStream_t stream) {
  launch_l2(weight_decay, w, n, workspace, out, stream);
}
void l2_loss(double weight_decay, const double* w, int64_t n, double* workspace, double* out,
             cudaStream_t stream) {
  launch_l2(weight_decay, w, n, workspace, out, stream);
}
void l2_loss_grad(double weight_decay, const float* dy, const float* w, int64_t n, float* dw,
                  cudaStream_t stream) {
  launch_grad(weight_decay, dy, w, n, dw, stream);
}
void l2_loss_grad(double weight_decay, const double* dy, const double* w, int64_t n, double* dw,
                  cudaStream_t stream) {
  launch_grad(weight_decay, dy, w, n, dw, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
