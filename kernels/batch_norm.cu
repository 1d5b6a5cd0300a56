// Batch normalisation kernels (see batch_norm.cuh). Every kernel uses the
// same (32, 8) block: x = 32 consecutive channels (one coalesced 128-byte
// row segment per warp), y = 8 rows; per-channel parameters stay in
// registers, so no thread divides by C. X: the activations' element type;
// P: the statistics' and parameters' (X, or float for 16-bit activations,
// whose statistics, sums and arithmetic are all fp32, rounded once on store).
#include "batch_norm.cuh"
#include "lowp.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kTx = 32, kTy = 8;
constexpr int64_t kMaxRowBlocks = 1024;
constexpr int64_t kMaxApplyRowBlocks = 4096;

int64_t channel_groups(int64_t c) { return (c + kTx - 1) / kTx; }

// Rows per block of the two-level reductions and the number of row blocks.
struct RowSplit {
  int64_t per_block, blocks;
};
RowSplit row_split(int64_t m, int64_t c) {
  int64_t want = (m + 63) / 64;
  const int64_t cap = kMaxRowBlocks / channel_groups(c) > 0 ? kMaxRowBlocks / channel_groups(c) : 1;
  want = want < 1 ? 1 : (want > cap ? cap : want);
  const int64_t per = (m + want - 1) / want;
  return {per, (m + per - 1) / per};
}

dim3 apply_grid(int64_t m, int64_t c) {
  int64_t rb = (m + kTy - 1) / kTy;
  const int64_t cap = kMaxApplyRowBlocks / channel_groups(c) > 0 ? kMaxApplyRowBlocks / channel_groups(c) : 1;
  rb = rb > cap ? cap : rb;
  return dim3(static_cast<unsigned>(channel_groups(c)), static_cast<unsigned>(rb));
}

// Chan et al.'s merge of (count, mean, M2) summaries.
template <typename T>
__device__ __forceinline__ void merge(T& n, T& mean, T& m2, T nb, T meanb, T m2b) {
  const T total = n + nb;
  if (total == T(0)) return;
  const T d = meanb - mean;
  mean += d * (nb / total);
  m2 += m2b + d * d * (n * nb / total);
  n = total;
}

template <typename X, typename T>
__global__ void __launch_bounds__(kTx* kTy)
    stats_partial_kernel(const X* __restrict__ x, int64_t m, int64_t c, int64_t per_block,
                         T* __restrict__ part_mean, T* __restrict__ part_m2) {
  __shared__ T s_n[kTy][kTx], s_mean[kTy][kTx], s_m2[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * per_block;
  const int64_t r1 = r0 + per_block < m ? r0 + per_block : m;
  T n = 0, mean = 0, m2 = 0;
  if (ch < c)
    for (int64_t r = r0 + ty; r < r1; r += kTy) {
      const T v = static_cast<T>(x[r * c + ch]);
      n += T(1);
      const T d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
  s_n[ty][tx] = n, s_mean[ty][tx] = mean, s_m2[ty][tx] = m2;
  __syncthreads();
  if (ty == 0 && ch < c) {
    for (int k = 1; k < kTy; ++k) merge(n, mean, m2, s_n[k][tx], s_mean[k][tx], s_m2[k][tx]);
    part_mean[blockIdx.y * c + ch] = mean;
    part_m2[blockIdx.y * c + ch] = m2;
  }
}

template <typename T>
__global__ void __launch_bounds__(kTx* kTy)
    stats_final_kernel(const T* __restrict__ part_mean, const T* __restrict__ part_m2, int64_t m, int64_t c,
                       int64_t per_block, int64_t blocks, double epsilon, double decay, T* running_mean,
                       T* running_var, T* __restrict__ saved_mean, T* __restrict__ saved_invstd) {
  __shared__ T s_n[kTy][kTx], s_mean[kTy][kTx], s_m2[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + tx;
  T n = 0, mean = 0, m2 = 0;
  if (ch < c)
    for (int64_t b = ty; b < blocks; b += kTy) {
      const int64_t rows = m - b * per_block < per_block ? m - b * per_block : per_block;
      merge(n, mean, m2, static_cast<T>(rows), part_mean[b * c + ch], part_m2[b * c + ch]);
    }
  s_n[ty][tx] = n, s_mean[ty][tx] = mean, s_m2[ty][tx] = m2;
  __syncthreads();
  if (ty == 0 && ch < c) {
    for (int k = 1; k < kTy; ++k) merge(n, mean, m2, s_n[k][tx], s_mean[k][tx], s_m2[k][tx]);
    const double var = static_cast<double>(m2) / static_cast<double>(m);
    const double bessel = m > 1 ? static_cast<double>(m) / static_cast<double>(m - 1) : 1.0;
    saved_mean[ch] = mean;
    saved_invstd[ch] = static_cast<T>(1.0 / sqrt(var + epsilon));
    running_mean[ch] = static_cast<T>(decay * static_cast<double>(running_mean[ch]) +
                                      (1.0 - decay) * static_cast<double>(mean));
    running_var[ch] = static_cast<T>(decay * static_cast<double>(running_var[ch]) + (1.0 - decay) * var * bessel);
  }
}

template <typename T>
__global__ void eval_stats_kernel(const T* __restrict__ running_mean, const T* __restrict__ running_var, int64_t c,
                                  double epsilon, T* __restrict__ saved_mean, T* __restrict__ saved_invstd) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  saved_mean[ch] = running_mean[ch];
  saved_invstd[ch] = static_cast<T>(1.0 / sqrt(static_cast<double>(running_var[ch]) + epsilon));
}

template <typename X, typename T>
__global__ void __launch_bounds__(kTx* kTy)
    apply_kernel(const X* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ invstd,
                 const T* __restrict__ gamma, const T* __restrict__ beta, int64_t m, int64_t c, bool relu,
                 X* __restrict__ y) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  if (ch >= c) return;
  const T mu = mean[ch], b = beta[ch];
  const T scale = gamma != nullptr ? gamma[ch] * invstd[ch] : invstd[ch];
  const int64_t stride = static_cast<int64_t>(gridDim.y) * kTy;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTy + threadIdx.y; r < m; r += stride) {
    const T v = (static_cast<T>(x[r * c + ch]) - mu) * scale + b;
    y[r * c + ch] = X(relu ? (v > T(0) ? v : T(0)) : v);
  }
}

template <typename X, typename T>
__global__ void __launch_bounds__(kTx* kTy)
    grad_partial_kernel(const X* __restrict__ dy, const X* __restrict__ x, const T* __restrict__ mean,
                        const T* __restrict__ invstd, int64_t m, int64_t c, int64_t per_block,
                        T* __restrict__ part_dy, T* __restrict__ part_dyx) {
  __shared__ T s_a[kTy][kTx], s_b[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * per_block;
  const int64_t r1 = r0 + per_block < m ? r0 + per_block : m;
  T a = 0, b = 0;
  if (ch < c) {
    const T mu = mean[ch], is = invstd[ch];
    for (int64_t r = r0 + ty; r < r1; r += kTy) {
      const T g = static_cast<T>(dy[r * c + ch]);
      a += g;
      b += g * ((static_cast<T>(x[r * c + ch]) - mu) * is);
    }
  }
  s_a[ty][tx] = a, s_b[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && ch < c) {
    for (int k = 1; k < kTy; ++k) a += s_a[k][tx], b += s_b[k][tx];
    part_dy[blockIdx.y * c + ch] = a;
    part_dyx[blockIdx.y * c + ch] = b;
  }
}

template <typename T>
__global__ void __launch_bounds__(kTx* kTy)
    grad_final_kernel(const T* __restrict__ part_dy, const T* __restrict__ part_dyx, int64_t c, int64_t blocks,
                      T* __restrict__ sums, T* __restrict__ dbeta, T* __restrict__ dgamma) {
  __shared__ T s_a[kTy][kTx], s_b[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + tx;
  T a = 0, b = 0;
  if (ch < c)
    for (int64_t k = ty; k < blocks; k += kTy) a += part_dy[k * c + ch], b += part_dyx[k * c + ch];
  s_a[ty][tx] = a, s_b[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && ch < c) {
    for (int k = 1; k < kTy; ++k) a += s_a[k][tx], b += s_b[k][tx];
    sums[ch] = a;
    sums[c + ch] = b;
    dbeta[ch] = a;
    if (dgamma != nullptr) dgamma[ch] = b;
  }
}

template <typename X, typename T>
__global__ void __launch_bounds__(kTx* kTy)
    grad_dx_kernel(const X* __restrict__ dy, const X* __restrict__ x, const T* __restrict__ mean,
                   const T* __restrict__ invstd, const T* __restrict__ gamma, const T* __restrict__ sums, int64_t m,
                   int64_t c, bool training, X* __restrict__ dx) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  if (ch >= c) return;
  const T is = invstd[ch], mu = mean[ch];
  const T scale = (gamma != nullptr ? gamma[ch] : T(1)) * is;
  const T inv_m = T(1) / static_cast<T>(m);
  const T mean_dy = training ? sums[ch] * inv_m : T(0), mean_dyx = training ? sums[c + ch] * inv_m : T(0);
  const int64_t stride = static_cast<int64_t>(gridDim.y) * kTy;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTy + threadIdx.y; r < m; r += stride) {
    const int64_t i = r * c + ch;
    const T xhat = (static_cast<T>(x[i]) - mu) * is;
    const T g = static_cast<T>(dy[i]);
    dx[i] = X(training ? scale * (g - mean_dy - xhat * mean_dyx) : scale * g);
  }
}

template <typename X, typename T>
__global__ void __launch_bounds__(kTx* kTy)
    stats_grad_kernel(const X* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ invstd,
                      const T* __restrict__ dmean, const T* __restrict__ dinvstd, int64_t m, int64_t c,
                      bool training, X* __restrict__ dx) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  if (ch >= c) return;
  const T inv_m = T(1) / static_cast<T>(m), s = invstd[ch], mu = mean[ch];
  const T a = dmean[ch] * inv_m, b = dinvstd[ch] * s * s * s * inv_m;
  const int64_t stride = static_cast<int64_t>(gridDim.y) * kTy;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTy + threadIdx.y; r < m; r += stride) {
    const int64_t i = r * c + ch;
    dx[i] = X(training ? a - b * (static_cast<T>(x[i]) - mu) : T(0));
  }
}

}  // namespace

int64_t batch_norm_workspace(int64_t m, int64_t c) { return 2 * row_split(m, c).blocks * c + 2 * c; }

namespace {

// The launchers on activations of X (host type; device type D) and statistics of T.
template <typename X, typename T>
void bn_stats(const X* xh, int64_t m, int64_t c, double epsilon, double decay, T* running_mean,
                      T* running_var, T* saved_mean, T* saved_invstd, T* workspace, cudaStream_t stream) {
  using D = lowp_device_t<X>;
  const D* x = lowp_device_ptr(xh);
  if (m <= 0 || c <= 0) return;
  const RowSplit s = row_split(m, c);
  T* part_mean = workspace;
  T* part_m2 = workspace + s.blocks * c;
  const dim3 block(kTx, kTy);
  constexpr auto partial = stats_partial_kernel<D, T>;
  CUTRAIN_LAUNCH(partial,
                 dim3(static_cast<unsigned>(channel_groups(c)), static_cast<unsigned>(s.blocks)), block, 0,
                 stream, x, m, c, s.per_block, part_mean, part_m2);
  CUTRAIN_LAUNCH(stats_final_kernel<T>, dim3(static_cast<unsigned>(channel_groups(c))), block, 0, stream,
                 part_mean, part_m2, m, c, s.per_block, s.blocks, epsilon, decay, running_mean, running_var,
                 saved_mean, saved_invstd);
}

}  // namespace

template <typename T>
void batch_norm_eval_stats(const T* running_mean, const T* running_var, int64_t c, double epsilon, T* saved_mean,
                           T* saved_invstd, cudaStream_t stream) {
  if (c <= 0) return;
  CUTRAIN_LAUNCH(eval_stats_kernel<T>, static_cast<unsigned>((c + 255) / 256), 256, 0, stream, running_mean,
                 running_var, c, epsilon, saved_mean, saved_invstd);
}

namespace {

template <typename X, typename T>
void bn_apply(const X* xh, const T* mean, const T* invstd, const T* gamma, const T* beta, int64_t m, int64_t c,
              bool relu, X* yh, cudaStream_t stream) {
  using D = lowp_device_t<X>;
  const D* x = lowp_device_ptr(xh);
  D* y = lowp_device_ptr(yh);
  if (m <= 0 || c <= 0) return;
  constexpr auto apply = apply_kernel<D, T>;
  CUTRAIN_LAUNCH(apply, apply_grid(m, c), dim3(kTx, kTy), 0, stream, x, mean, invstd, gamma, beta, m,
                 c, relu, y);
}

template <typename X, typename T>
void bn_backward(const X* dyh, const X* xh, const T* mean, const T* invstd, const T* gamma, int64_t m, int64_t c,
                 bool training, X* dxh, T* dbeta, T* dgamma, T* workspace, cudaStream_t stream) {
  using D = lowp_device_t<X>;
  const D* dy = lowp_device_ptr(dyh);
  const D* x = lowp_device_ptr(xh);
  D* dx = lowp_device_ptr(dxh);
  if (m <= 0 || c <= 0) return;
  const RowSplit s = row_split(m, c);
  T* part_dy = workspace;
  T* part_dyx = workspace + s.blocks * c;
  T* sums = workspace + 2 * s.blocks * c;
  const dim3 block(kTx, kTy);
  constexpr auto partial = grad_partial_kernel<D, T>;
  constexpr auto grad_dx = grad_dx_kernel<D, T>;
  CUTRAIN_LAUNCH(partial,
                 dim3(static_cast<unsigned>(channel_groups(c)), static_cast<unsigned>(s.blocks)), block, 0,
                 stream, dy, x, mean, invstd, m, c, s.per_block, part_dy, part_dyx);
  CUTRAIN_LAUNCH(grad_final_kernel<T>, dim3(static_cast<unsigned>(channel_groups(c))), block, 0, stream, part_dy,
                 part_dyx, c, s.blocks, sums, dbeta, dgamma);
  CUTRAIN_LAUNCH(grad_dx, apply_grid(m, c), block, 0, stream, dy, x, mean, invstd, gamma, sums, m, c,
                 training, dx);
}

template <typename X, typename T>
void bn_stats_backward(const X* xh, const T* mean, const T* invstd, const T* dmean, const T* dinvstd, int64_t m,
                       int64_t c, bool training, X* dxh, cudaStream_t stream) {
  using D = lowp_device_t<X>;
  const D* x = lowp_device_ptr(xh);
  D* dx = lowp_device_ptr(dxh);
  if (m <= 0 || c <= 0) return;
  constexpr auto grad = stats_grad_kernel<D, T>;
  CUTRAIN_LAUNCH(grad, apply_grid(m, c), dim3(kTx, kTy), 0, stream, x, mean, invstd, dmean,
                 dinvstd, m, c, training, dx);
}

}  // namespace

template <typename T>
void batch_norm_stats(const T* x, int64_t m, int64_t c, double epsilon, double decay, T* running_mean,
                      T* running_var, T* saved_mean, T* saved_invstd, T* workspace, cudaStream_t stream) {
  bn_stats(x, m, c, epsilon, decay, running_mean, running_var, saved_mean, saved_invstd, workspace, stream);
}
template <typename T>
void batch_norm_apply(const T* x, const T* mean, const T* invstd, const T* gamma, const T* beta, int64_t m,
                      int64_t c, bool relu, T* y, cudaStream_t stream) {
  bn_apply(x, mean, invstd, gamma, beta, m, c, relu, y, stream);
}
template <typename T>
void batch_norm_backward(const T* dy, const T* x, const T* mean, const T* invstd, const T* gamma, int64_t m,
                         int64_t c, bool training, T* dx, T* dbeta, T* dgamma, T* workspace, cudaStream_t stream) {
  bn_backward(dy, x, mean, invstd, gamma, m, c, training, dx, dbeta, dgamma, workspace, stream);
}
template <typename T>
void batch_norm_stats_backward(const T* x, const T* mean, const T* invstd, const T* dmean, const T* dinvstd,
                               int64_t m, int64_t c, bool training, T* dx, cudaStream_t stream) {
  bn_stats_backward(x, mean, invstd, dmean, dinvstd, m, c, training, dx, stream);
}

#define CUTRAIN_BN_LOWP_DEFS(H)                                                                                 \
  void batch_norm_stats(const H* x, int64_t m, int64_t c, double epsilon, double decay, float* running_mean,    \
                        float* running_var, float* saved_mean, float* saved_invstd, float* workspace,           \
                        cudaStream_t stream) {                                                                  \
    bn_stats(x, m, c, epsilon, decay, running_mean, running_var, saved_mean, saved_invstd, workspace, stream);  \
  }                                                                                                             \
  void batch_norm_apply(const H* x, const float* mean, const float* invstd, const float* gamma,                 \
                        const float* beta, int64_t m, int64_t c, bool relu, H* y, cudaStream_t stream) {        \
    bn_apply(x, mean, invstd, gamma, beta, m, c, relu, y, stream);                                              \
  }                                                                                                             \
  void batch_norm_backward(const H* dy, const H* x, const float* mean, const float* invstd, const float* gamma,  \
                           int64_t m, int64_t c, bool training, H* dx, float* dbeta, float* dgamma,             \
                           float* workspace, cudaStream_t stream) {                                             \
    bn_backward(dy, x, mean, invstd, gamma, m, c, training, dx, dbeta, dgamma, workspace, stream);              \
  }                                                                                                             \
  void batch_norm_stats_backward(const H* x, const float* mean, const float* invstd, const float* dmean,         \
                                 const float* dinvstd, int64_t m, int64_t c, bool training, H* dx,              \
                                 cudaStream_t stream) {                                                         \
    bn_stats_backward(x, mean, invstd, dmean, dinvstd, m, c, training, dx, stream);                             \
  }
CUTRAIN_BN_LOWP_DEFS(Half)
CUTRAIN_BN_LOWP_DEFS(BFloat16)
#undef CUTRAIN_BN_LOWP_DEFS

#define CUTRAIN_BN_INSTANTIATE(T)                                                                                \
  template void batch_norm_stats<T>(const T*, int64_t, int64_t, double, double, T*, T*, T*, T*, T*,             \
                                    cudaStream_t);                                                              \
  template void batch_norm_eval_stats<T>(const T*, const T*, int64_t, double, T*, T*, cudaStream_t);            \
  template void batch_norm_apply<T>(const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, bool,   \
                                    T*, cudaStream_t);                                                          \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, bool, \
                                       T*, T*, T*, T*, cudaStream_t);                                           \
  template void batch_norm_stats_backward<T>(const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, \
                                             bool, T*, cudaStream_t);
CUTRAIN_BN_INSTANTIATE(float)
CUTRAIN_BN_INSTANTIATE(double)
#undef CUTRAIN_BN_INSTANTIATE

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
