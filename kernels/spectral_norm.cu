// Spectral normalisation kernels (see spectral_norm.cuh for the launch plan).
#include "device_math.cuh"
#include "spectral_norm.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;  // 1-D blocks, or (32, 8)
constexpr int kTx = 32, kTy = 8;
constexpr int64_t kMaxBlocks = 256;

struct View {
  int64_t rows, cols, inner;
  __device__ __forceinline__ int64_t at(int64_t r, int64_t j) const {
    return (j / inner) * inner * rows + r * inner + j % inner;
  }
  __device__ __forceinline__ int64_t row(int64_t e) const { return (e / inner) % rows; }
  __device__ __forceinline__ int64_t col(int64_t e) const { return (e / (inner * rows)) * inner + e % inner; }
};

// Shared scratch of dev::block_sum_serial for a block of kBlock threads.
constexpr int kScratch = kBlock / 32 + 1;

// max(|x|, eps) of a double vector, computed by the whole block.
__device__ double norm_of(const double* x, int64_t n, double eps, double* scratch) {
  const int tid = static_cast<int>(threadIdx.y * blockDim.x + threadIdx.x);
  double ss = 0;
  for (int64_t i = tid; i < n; i += kBlock) ss += x[i] * x[i];
  const double d = sqrt(dev::block_sum_serial(ss, scratch));
  return d > eps ? d : eps;
}

// v~ = W^T u, u the stored vector (u_state) or u~ / |u~| (u_raw). Block (32, 8): 32 columns.
template <typename T>
__global__ void __launch_bounds__(kBlock) wt_u_kernel(const T* __restrict__ w, View m, const T* __restrict__ u_state,
                                                      const double* __restrict__ u_raw, double eps,
                                                      double* __restrict__ v_raw) {
  __shared__ double scratch[kScratch];
  __shared__ double part[kTy][kTx];
  const double du = u_state == nullptr ? norm_of(u_raw, m.rows, eps, scratch) : 1.0;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kTx + tx;
  double acc = 0;
  if (j < m.cols)
    for (int64_t r = ty; r < m.rows; r += kTy) {
      const double ur = u_state != nullptr ? static_cast<double>(u_state[r]) : u_raw[r] / du;
      acc += static_cast<double>(w[m.at(r, j)]) * ur;
    }
  part[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && j < m.cols) {
    for (int k = 1; k < kTy; ++k) acc += part[k][tx];
    v_raw[j] = acc;
  }
}

// out_i = (W v)_i * (u_state ? u_i : 1), v the stored vector or v~ / |v~|. One block per row.
template <typename T>
__global__ void __launch_bounds__(kBlock) w_v_kernel(const T* __restrict__ w, View m, const T* __restrict__ v_state,
                                                     const double* __restrict__ v_raw, const T* __restrict__ u_state,
                                                     double eps, double* __restrict__ out) {
  __shared__ double scratch[kScratch];
  const double dv = v_state == nullptr ? norm_of(v_raw, m.cols, eps, scratch) : 1.0;
  const int64_t r = blockIdx.x;
  double acc = 0;
  for (int64_t j = threadIdx.x; j < m.cols; j += kBlock) {
    const double vj = v_state != nullptr ? static_cast<double>(v_state[j]) : v_raw[j] / dv;
    acc += static_cast<double>(w[m.at(r, j)]) * vj;
  }
  acc = dev::block_sum_serial(acc, scratch);
  if (threadIdx.x == 0) out[r] = acc * (u_state != nullptr ? static_cast<double>(u_state[r]) : 1.0);
}

// sigma (from u~ after iterating, or from t_i = u_i (W v)_i), W / sigma, and the stored u, v.
template <typename T>
__global__ void __launch_bounds__(kBlock)
    finalize_kernel(const T* __restrict__ w, View m, bool iterated, const double* __restrict__ u_raw,
                    const double* __restrict__ v_raw, double eps, T* __restrict__ u, T* __restrict__ v,
                    T* __restrict__ w_sn, T* __restrict__ sigma) {
  __shared__ double scratch[kScratch];
  double du = 1.0, s = 0;
  if (iterated) {
    du = norm_of(u_raw, m.rows, eps, scratch);
    for (int64_t i = threadIdx.x; i < m.rows; i += kBlock)
      s += static_cast<double>(static_cast<T>(u_raw[i] / du)) * u_raw[i];
  } else {
    for (int64_t i = threadIdx.x; i < m.rows; i += kBlock) s += u_raw[i];
  }
  s = dev::block_sum_serial(s, scratch);
  const int64_t n = m.rows * m.cols;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride)
    w_sn[e] = static_cast<T>(static_cast<double>(w[e]) / s);
  if (blockIdx.x != 0) return;
  if (threadIdx.x == 0) sigma[0] = static_cast<T>(s);
  if (!iterated) return;
  const double dv = norm_of(v_raw, m.cols, eps, scratch);
  for (int64_t i = threadIdx.x; i < m.rows; i += kBlock) u[i] = static_cast<T>(u_raw[i] / du);
  for (int64_t j = threadIdx.x; j < m.cols; j += kBlock) v[j] = static_cast<T>(v_raw[j] / dv);
}

unsigned elementwise_blocks(int64_t n) {
  const int64_t b = (n + kBlock - 1) / kBlock;
  return static_cast<unsigned>(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    grad_dot_kernel(const T* __restrict__ g, const T* __restrict__ w_sn, int64_t n, double* __restrict__ partial) {
  __shared__ double scratch[kScratch];
  double acc = 0;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride)
    acc += static_cast<double>(g[e]) * static_cast<double>(w_sn[e]);
  acc = dev::block_sum_serial(acc, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    grad_kernel(const T* __restrict__ g, const T* __restrict__ u, const T* __restrict__ v,
                const T* __restrict__ sigma, const T* __restrict__ dsigma, View m,
                const double* __restrict__ partial, int partials, T* __restrict__ dw) {
  __shared__ double scratch[kScratch];
  double dot = 0;
  if (g != nullptr) {
    for (int k = threadIdx.x; k < partials; k += kBlock) dot += partial[k];
    dot = dev::block_sum_serial(dot, scratch);
  }
  const double s = static_cast<double>(sigma[0]);
  const double ds = dsigma != nullptr ? static_cast<double>(dsigma[0]) : 0.0;
  const int64_t n = m.rows * m.cols;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride) {
    const double uv = static_cast<double>(u[m.row(e)]) * static_cast<double>(v[m.col(e)]);
    const double ge = g != nullptr ? static_cast<double>(g[e]) : 0.0;
    dw[e] = static_cast<T>((ge - dot * uv) / s + ds * uv);
  }
}

}  // namespace

int64_t spectral_norm_workspace(int64_t rows, int64_t cols) { return rows + cols; }
int64_t spectral_norm_grad_workspace(int64_t numel) { return elementwise_blocks(numel); }

template <typename T>
void spectral_norm_forward(const T* w, int64_t rows, int64_t cols, int64_t inner, int64_t iterations, double eps,
                           T* u, T* v, T* w_sn, T* sigma, double* workspace, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const View m{rows, cols, inner};
  double* u_raw = workspace;
  double* v_raw = workspace + rows;
  const unsigned col_blocks = static_cast<unsigned>((cols + kTx - 1) / kTx);
  const unsigned row_blocks = static_cast<unsigned>(rows);
  const T* no_t = nullptr;
  const double* no_d = nullptr;
  for (int64_t k = 0; k < iterations; ++k) {
    CUTRAIN_LAUNCH(wt_u_kernel<T>, col_blocks, dim3(kTx, kTy), 0, stream, w, m, k == 0 ? u : no_t,
                   k == 0 ? no_d : u_raw, eps, v_raw);
    CUTRAIN_LAUNCH(w_v_kernel<T>, row_blocks, kBlock, 0, stream, w, m, no_t, v_raw, no_t, eps, u_raw);
  }
  if (iterations == 0)
    CUTRAIN_LAUNCH(w_v_kernel<T>, row_blocks, kBlock, 0, stream, w, m, v, no_d, u, eps, u_raw);
  CUTRAIN_LAUNCH(finalize_kernel<T>, elementwise_blocks(rows * cols), kBlock, 0, stream, w, m, iterations > 0, u_raw,
                 v_raw, eps, u, v, w_sn, sigma);
}

template <typename T>
void spectral_norm_backward(const T* g, const T* w_sn, const T* u, const T* v, const T* sigma, const T* dsigma,
                            int64_t rows, int64_t cols, int64_t inner, T* dw, double* workspace,
                            cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n <= 0) return;
  const unsigned blocks = elementwise_blocks(n);
  if (g != nullptr) CUTRAIN_LAUNCH(grad_dot_kernel<T>, blocks, kBlock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN_LAUNCH(grad_kernel<T>, blocks, kBlock, 0, stream, g, u, v, sigma, dsigma, View{rows, cols, inner},
                 workspace, static_cast<int>(blocks), dw);
}

#define CUTRAIN_SN_INSTANTIATE(T)                                                                              \
  template void spectral_norm_forward<T>(const T*, int64_t, int64_t, int64_t, int64_t, double, T*, T*, T*, T*, \
                                         double*, cudaStream_t);                                               \
  template void spectral_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, const T*, int64_t, \
                                          int64_t, int64_t, T*, double*, cudaStream_t);
CUTRAIN_SN_INSTANTIATE(float)
CUTRAIN_SN_INSTANTIATE(double)
#undef CUTRAIN_SN_INSTANTIATE

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
