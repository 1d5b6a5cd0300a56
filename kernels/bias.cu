// Bias add, per-channel sums and NHWC padding copies (see bias.cuh). f16 and
// bf16: adds and sums in fp32 (the channel sums' partials in an fp32
// workspace), one rounding on store; the padding copies move bits.
#include "bias.cuh"
#include "lowp.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kTx = 32, kTy = 8, kBlock = kTx * kTy;
constexpr int64_t kMaxRowBlocks = 1024, kMaxBlocks = 8192;

int64_t groups(int64_t c) { return (c + kTx - 1) / kTx; }

struct RowSplit {
  int64_t per_block, blocks;
};
RowSplit row_split(int64_t m, int64_t c) {
  const int64_t cap = kMaxRowBlocks / groups(c) > 0 ? kMaxRowBlocks / groups(c) : 1;
  int64_t want = (m + 63) / 64;
  want = want < 1 ? 1 : (want > cap ? cap : want);
  const int64_t per = (m + want - 1) / want;
  return {per, (m + per - 1) / per};
}

unsigned grid_for(int64_t n) { return grid_stride_blocks(n, kBlock, kMaxBlocks); }

template <typename T>
__global__ void __launch_bounds__(kBlock) bias_add_kernel(T* __restrict__ y, const T* __restrict__ b, int64_t m,
                                                          int64_t c) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  if (ch >= c) return;
  using C = compute_t<T>;
  const C bc = static_cast<C>(b[ch]);
  const int64_t stride = static_cast<int64_t>(gridDim.y) * kTy;
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTy + threadIdx.y; r < m; r += stride)
    y[r * c + ch] = T(static_cast<C>(y[r * c + ch]) + bc);
}

// Rows [r0, r1) of 32 channels, summed over 8 row phases, merged in shared memory.
template <typename T>
__device__ __forceinline__ compute_t<T> column_block_sum(const T* x, int64_t r0, int64_t r1, int64_t c,
                                                         int64_t stride_rows, int64_t ch) {
  using C = compute_t<T>;
  __shared__ C part[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  C acc = C(0);
  if (ch < c)
    for (int64_t r = r0 + ty; r < r1; r += kTy) acc += static_cast<C>(x[r * stride_rows + ch]);
  part[ty][tx] = acc;
  __syncthreads();
  if (ty == 0)
    for (int k = 1; k < kTy; ++k) acc += part[k][tx];
  return acc;
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    partial_kernel(const T* __restrict__ x, int64_t m, int64_t c, int64_t per_block,
                   compute_t<T>* __restrict__ part) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * per_block;
  const int64_t r1 = r0 + per_block < m ? r0 + per_block : m;
  const compute_t<T> s = column_block_sum(x, r0, r1, c, c, ch);
  if (threadIdx.y == 0 && ch < c) part[blockIdx.y * c + ch] = s;
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    final_kernel(const compute_t<T>* __restrict__ part, int64_t blocks, int64_t c, T* __restrict__ out) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + threadIdx.x;
  const compute_t<T> s = column_block_sum(part, 0, blocks, c, c, ch);
  if (threadIdx.y == 0 && ch < c) out[ch] = T(s);
}

// One thread per element of the padded tensor (pad: zero or copy) or of x (crop).
template <typename T>
__global__ void __launch_bounds__(kBlock)
    pad_kernel(const T* __restrict__ x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t left,
               int64_t ph, int64_t pw, T* __restrict__ padded) {
  const int64_t total = n * ph * pw * c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % c, pix = i / c;
    const int64_t iw = pix % pw - left, ih = (pix / pw) % ph - top, b = pix / (pw * ph);
    padded[i] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[((b * h + ih) * w + iw) * c + ci] : T(0.0f);
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    crop_kernel(const T* __restrict__ padded, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t left,
                int64_t ph, int64_t pw, T* __restrict__ x) {
  const int64_t total = n * h * w * c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % c, pix = i / c;
    const int64_t iw = pix % w, ih = (pix / w) % h, b = pix / (w * h);
    x[i] = padded[((b * ph + ih + top) * pw + iw + left) * c + ci];
  }
}

}  // namespace

int64_t channel_sum_workspace(int64_t m, int64_t c) { return row_split(m, c).blocks * c; }

template <typename H>
void bias_add(H* yh, const H* bh, int64_t m, int64_t c, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  T* y = lowp_device_ptr(yh);
  const T* b = lowp_device_ptr(bh);
  if (m <= 0 || c <= 0) return;
  int64_t rb = (m + kTy - 1) / kTy;
  const int64_t cap = 4096 / groups(c) > 0 ? 4096 / groups(c) : 1;
  rb = rb > cap ? cap : rb;
  CUTRAIN_LAUNCH(bias_add_kernel<T>, dim3(static_cast<unsigned>(groups(c)), static_cast<unsigned>(rb)),
                 dim3(kTx, kTy), 0, stream, y, b, m, c);
}

namespace {

// workspace: channel_sum_workspace(m, c) elements of the compute type.
template <typename H>
void channel_sum_any(const H* xh, int64_t m, int64_t c, H* outh, compute_t<lowp_device_t<H>>* workspace,
                     cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const T* x = lowp_device_ptr(xh);
  T* out = lowp_device_ptr(outh);
  if (c <= 0) return;
  if (m <= 0) m = 0;
  const RowSplit s = m > 0 ? row_split(m, c) : RowSplit{1, 1};
  const int64_t per = m > 0 ? s.per_block : 0;
  CUTRAIN_LAUNCH(partial_kernel<T>, dim3(static_cast<unsigned>(groups(c)), static_cast<unsigned>(s.blocks)),
                 dim3(kTx, kTy), 0, stream, x, m, c, per, workspace);
  CUTRAIN_LAUNCH(final_kernel<T>, dim3(static_cast<unsigned>(groups(c))), dim3(kTx, kTy), 0, stream, workspace,
                 s.blocks, c, out);
}

}  // namespace

template <typename T>
void channel_sum(const T* x, int64_t m, int64_t c, T* out, T* workspace, cudaStream_t stream) {
  channel_sum_any(x, m, c, out, workspace, stream);
}
void channel_sum(const Half* x, int64_t m, int64_t c, Half* out, float* workspace, cudaStream_t stream) {
  channel_sum_any(x, m, c, out, workspace, stream);
}
void channel_sum(const BFloat16* x, int64_t m, int64_t c, BFloat16* out, float* workspace, cudaStream_t stream) {
  channel_sum_any(x, m, c, out, workspace, stream);
}

template <typename H>
void pad_nhwc(const H* xh, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom, int64_t left,
              int64_t right, H* paddedh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const T* x = lowp_device_ptr(xh);
  T* padded = lowp_device_ptr(paddedh);
  const int64_t ph = h + top + bottom, pw = w + left + right;
  if (n * ph * pw * c <= 0) return;
  CUTRAIN_LAUNCH(pad_kernel<T>, grid_for(n * ph * pw * c), kBlock, 0, stream, x, n, h, w, c, top, left, ph, pw,
                 padded);
}

template <typename H>
void crop_nhwc(const H* paddedh, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
               int64_t left, int64_t right, H* xh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const T* padded = lowp_device_ptr(paddedh);
  T* x = lowp_device_ptr(xh);
  const int64_t ph = h + top + bottom, pw = w + left + right;
  if (n * h * w * c <= 0) return;
  CUTRAIN_LAUNCH(crop_kernel<T>, grid_for(n * h * w * c), kBlock, 0, stream, padded, n, h, w, c, top, left, ph, pw,
                 x);
}

#define CUTRAIN_BIAS_INSTANTIATE(T)                                                                            \
  template void bias_add<T>(T*, const T*, int64_t, int64_t, cudaStream_t);                                    \
  template void channel_sum<T>(const T*, int64_t, int64_t, T*, T*, cudaStream_t);                             \
  template void pad_nhwc<T>(const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                            T*, cudaStream_t);                                                                \
  template void crop_nhwc<T>(const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                             T*, cudaStream_t);
CUTRAIN_BIAS_INSTANTIATE(float)
CUTRAIN_BIAS_INSTANTIATE(double)
#undef CUTRAIN_BIAS_INSTANTIATE
#define CUTRAIN_BIAS_INSTANTIATE_LOWP(T)                                                                       \
  template void bias_add<T>(T*, const T*, int64_t, int64_t, cudaStream_t);                                    \
  template void pad_nhwc<T>(const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                            T*, cudaStream_t);                                                                \
  template void crop_nhwc<T>(const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                             T*, cudaStream_t);
CUTRAIN_BIAS_INSTANTIATE_LOWP(Half)
CUTRAIN_BIAS_INSTANTIATE_LOWP(BFloat16)
#undef CUTRAIN_BIAS_INSTANTIATE_LOWP

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
