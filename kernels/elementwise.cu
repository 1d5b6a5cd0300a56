// ReLU forward and backward: grid-stride loops, float4-vectorised for float
// when every pointer is 16-byte aligned (the scalar tail follows in the same
// launch).
#include "elementwise.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 4096;

int grid_for(int64_t work) {
  const int64_t blocks = (work + kBlock - 1) / kBlock;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T>
__device__ __forceinline__ T relu(T v) {
  return v > T(0) ? v : T(0);
}
template <typename T>
__device__ __forceinline__ T relu_grad(T y, T dy) {
  return y > T(0) ? dy : T(0);
}

template <typename T>
__global__ void __launch_bounds__(kBlock) relu_forward_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = relu(x[i]);
}

__global__ void __launch_bounds__(kBlock)
    relu_forward_vec4_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t n4 = n / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float4* y4 = reinterpret_cast<float4*>(y);
  for (int64_t i = first; i < n4; i += stride) {
    const float4 v = x4[i];
    y4[i] = make_float4(relu(v.x), relu(v.y), relu(v.z), relu(v.w));
  }
  for (int64_t i = n4 * 4 + first; i < n; i += stride) y[i] = relu(x[i]);
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    relu_backward_kernel(const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = relu_grad(y[i], dy[i]);
}

__global__ void __launch_bounds__(kBlock) relu_backward_vec4_kernel(const float* __restrict__ y,
                                                                    const float* __restrict__ dy,
                                                                    float* __restrict__ dx, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t n4 = n / 4;
  const float4* y4 = reinterpret_cast<const float4*>(y);
  const float4* dy4 = reinterpret_cast<const float4*>(dy);
  float4* dx4 = reinterpret_cast<float4*>(dx);
  for (int64_t i = first; i < n4; i += stride) {
    const float4 a = y4[i], g = dy4[i];
    dx4[i] = make_float4(relu_grad(a.x, g.x), relu_grad(a.y, g.y), relu_grad(a.z, g.z), relu_grad(a.w, g.w));
  }
  for (int64_t i = n4 * 4 + first; i < n; i += stride) dx[i] = relu_grad(y[i], dy[i]);
}

}  // namespace

void relu_forward(const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  if (aligned16(x) && aligned16(y)) {
    CUTRAIN_LAUNCH(relu_forward_vec4_kernel, grid_for((n + 3) / 4), kBlock, 0, stream, x, y, n);
  } else {
    CUTRAIN_LAUNCH(relu_forward_kernel<float>, grid_for(n), kBlock, 0, stream, x, y, n);
  }
}

void relu_forward(const double* x, double* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  CUTRAIN_LAUNCH(relu_forward_kernel<double>, grid_for(n), kBlock, 0, stream, x, y, n);
}

void relu_backward(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  if (aligned16(y) && aligned16(dy) && aligned16(dx)) {
    CUTRAIN_LAUNCH(relu_backward_vec4_kernel, grid_for((n + 3) / 4), kBlock, 0, stream, y, dy, dx, n);
  } else {
    CUTRAIN_LAUNCH(relu_backward_kernel<float>, grid_for(n), kBlock, 0, stream, y, dy, dx, n);
  }
}

void relu_backward(const double* y, const double* dy, double* dx, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  CUTRAIN_LAUNCH(relu_backward_kernel<double>, grid_for(n), kBlock, 0, stream, y, dy, dx, n);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
