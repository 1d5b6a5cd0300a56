// Pooling kernels (see pool.cuh): one thread per output element (forward) or
// per input element (backward gathers), channels fastest so a warp reads
// consecutive channels of one pixel. f16/bf16 elements are read into fp32
// (compute_t), summed and compared there, and rounded once on store.
#include "lowp.cuh"
#include "pool.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 8192;
constexpr int kTx = 32, kTy = 8;

unsigned grid_for(int64_t work) { return grid_stride_blocks(work, kBlock, kMaxBlocks); }

__device__ __forceinline__ int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
__device__ __forceinline__ int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// The in-bounds part [h0, h1) x [w0, w1) of output (oh, ow)'s window.
struct Span {
  int64_t h0, h1, w0, w1;
};
__device__ __forceinline__ Span span(const PoolGeometry& g, int64_t oh, int64_t ow) {
  const int64_t hs = oh * g.sh - g.pad_top, ws = ow * g.sw - g.pad_left;
  return {imax(hs, 0), imin(hs + g.kh, g.in_h), imax(ws, 0), imin(ws + g.kw, g.in_w)};
}

__device__ __forceinline__ int64_t divisor(const PoolGeometry& g, bool include_pad, int64_t oh, int64_t ow) {
  if (!include_pad) {
    const Span s = span(g, oh, ow);
    return (s.h1 - s.h0) * (s.w1 - s.w0);
  }
  const int64_t hs = oh * g.sh - g.pad_top, ws = ow * g.sw - g.pad_left;
  return (imin(hs + g.kh, g.in_h + g.pad_bottom) - hs) * (imin(ws + g.kw, g.in_w + g.pad_right) - ws);
}

// Outputs whose window covers input row/column i: [lo, hi].
__device__ __forceinline__ void covering(int64_t i, int64_t pad, int64_t k, int64_t s, int64_t out, int64_t& lo,
                                         int64_t& hi) {
  const int64_t first = i + pad - k + 1;
  lo = first <= 0 ? 0 : (first + s - 1) / s;
  hi = imin((i + pad) / s, out - 1);
}

// Flat index of the first maximum of the window, in scan order (channel ci of image b).
template <typename T>
__device__ __forceinline__ int64_t argmax(const PoolGeometry& g, const T* xb, int64_t oh, int64_t ow, int64_t ci) {
  const Span s = span(g, oh, ow);
  using C = compute_t<T>;
  int64_t best = s.h0 * g.in_w + s.w0;
  C bv = static_cast<C>(xb[best * g.c + ci]);
  for (int64_t ih = s.h0; ih < s.h1; ++ih)
    for (int64_t iw = s.w0; iw < s.w1; ++iw) {
      const int64_t p = ih * g.in_w + iw;
      const C v = static_cast<C>(xb[p * g.c + ci]);
      if (v > bv) bv = v, best = p;
    }
  return best;
}

template <typename T>
__global__ void __launch_bounds__(kBlock) max_pool_kernel(PoolGeometry g, const T* __restrict__ x, T* __restrict__ y) {
  const int64_t total = g.n * g.out_h * g.out_w * g.c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % g.c, pix = i / g.c;
    const int64_t ow = pix % g.out_w, oh = (pix / g.out_w) % g.out_h, b = pix / (g.out_w * g.out_h);
    const T* xb = x + b * g.in_h * g.in_w * g.c;
    const Span s = span(g, oh, ow);
    using C = compute_t<T>;
    C best = static_cast<C>(xb[(s.h0 * g.in_w + s.w0) * g.c + ci]);
    for (int64_t ih = s.h0; ih < s.h1; ++ih)
      for (int64_t iw = s.w0; iw < s.w1; ++iw) {
        const C v = static_cast<C>(xb[(ih * g.in_w + iw) * g.c + ci]);
        best = v > best ? v : best;
      }
    y[i] = T(best);
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    max_pool_grad_kernel(PoolGeometry g, const T* __restrict__ dy, const T* __restrict__ x, T* __restrict__ dx) {
  const int64_t total = g.n * g.in_h * g.in_w * g.c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % g.c, pix = i / g.c;
    const int64_t iw = pix % g.in_w, ih = (pix / g.in_w) % g.in_h, b = pix / (g.in_w * g.in_h);
    const T* xb = x + b * g.in_h * g.in_w * g.c;
    const T* dyb = dy + b * g.out_h * g.out_w * g.c;
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, g.pad_top, g.kh, g.sh, g.out_h, oh0, oh1);
    covering(iw, g.pad_left, g.kw, g.sw, g.out_w, ow0, ow1);
    const int64_t me = ih * g.in_w + iw;
    using C = compute_t<T>;
    C acc = C(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow)
        if (argmax(g, xb, oh, ow, ci) == me) acc += static_cast<C>(dyb[(oh * g.out_w + ow) * g.c + ci]);
    dx[i] = T(acc);
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    avg_pool_kernel(PoolGeometry g, bool include_pad, const T* __restrict__ x, T* __restrict__ y) {
  const int64_t total = g.n * g.out_h * g.out_w * g.c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % g.c, pix = i / g.c;
    const int64_t ow = pix % g.out_w, oh = (pix / g.out_w) % g.out_h, b = pix / (g.out_w * g.out_h);
    const T* xb = x + b * g.in_h * g.in_w * g.c;
    const Span s = span(g, oh, ow);
    using C = compute_t<T>;
    C acc = C(0);
    for (int64_t ih = s.h0; ih < s.h1; ++ih)
      for (int64_t iw = s.w0; iw < s.w1; ++iw) acc += static_cast<C>(xb[(ih * g.in_w + iw) * g.c + ci]);
    y[i] = T(acc * (C(1) / static_cast<C>(divisor(g, include_pad, oh, ow))));
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    avg_pool_grad_kernel(PoolGeometry g, bool include_pad, const T* __restrict__ dy, T* __restrict__ dx) {
  const int64_t total = g.n * g.in_h * g.in_w * g.c;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t ci = i % g.c, pix = i / g.c;
    const int64_t iw = pix % g.in_w, ih = (pix / g.in_w) % g.in_h, b = pix / (g.in_w * g.in_h);
    const T* dyb = dy + b * g.out_h * g.out_w * g.c;
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, g.pad_top, g.kh, g.sh, g.out_h, oh0, oh1);
    covering(iw, g.pad_left, g.kw, g.sw, g.out_w, ow0, ow1);
    using C = compute_t<T>;
    C acc = C(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow)
        acc += static_cast<C>(dyb[(oh * g.out_w + ow) * g.c + ci]) *
               (C(1) / static_cast<C>(divisor(g, include_pad, oh, ow)));
    dx[i] = T(acc);
  }
}

// One block per (32 channels, image): y = 8 row-strided partial sums, merged in shared memory.
template <typename T>
__global__ void __launch_bounds__(kTx* kTy)
    global_avg_kernel(const T* __restrict__ x, int64_t hw, int64_t c, T* __restrict__ y) {
  using C = compute_t<T>;
  __shared__ C part[kTy][kTx];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * kTx + tx, b = blockIdx.y;
  C acc = C(0);
  if (ch < c)
    for (int64_t p = ty; p < hw; p += kTy) acc += static_cast<C>(x[(b * hw + p) * c + ch]);
  part[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && ch < c) {
    for (int k = 1; k < kTy; ++k) acc += part[k][tx];
    y[b * c + ch] = T(acc / static_cast<C>(hw));
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlock)
    global_avg_grad_kernel(const T* __restrict__ dy, int64_t n, int64_t hw, int64_t c, T* __restrict__ dx) {
  const int64_t total = n * hw * c;
  using C = compute_t<T>;
  const C inv = C(1) / static_cast<C>(hw);
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride)
    dx[i] = T(static_cast<C>(dy[(i / (hw * c)) * c + i % c]) * inv);
}

}  // namespace

template <typename H>
void max_pool_forward(const PoolGeometry& g, const H* xh, H* yh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const int64_t total = g.n * g.out_h * g.out_w * g.c;
  if (total <= 0) return;
  CUTRAIN_LAUNCH(max_pool_kernel<T>, grid_for(total), kBlock, 0, stream, g, lowp_device_ptr(xh), lowp_device_ptr(yh));
}

template <typename H>
void max_pool_backward(const PoolGeometry& g, const H* dyh, const H* xh, H* dxh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const int64_t total = g.n * g.in_h * g.in_w * g.c;
  if (total <= 0) return;
  CUTRAIN_LAUNCH(max_pool_grad_kernel<T>, grid_for(total), kBlock, 0, stream,
                 g, lowp_device_ptr(dyh), lowp_device_ptr(xh), lowp_device_ptr(dxh));
}

template <typename H>
void avg_pool_forward(const PoolGeometry& g, bool count_include_pad, const H* xh, H* yh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const int64_t total = g.n * g.out_h * g.out_w * g.c;
  if (total <= 0) return;
  CUTRAIN_LAUNCH(avg_pool_kernel<T>, grid_for(total), kBlock, 0, stream,
                 g, count_include_pad, lowp_device_ptr(xh), lowp_device_ptr(yh));
}

template <typename H>
void avg_pool_backward(const PoolGeometry& g, bool count_include_pad, const H* dyh, H* dxh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  const int64_t total = g.n * g.in_h * g.in_w * g.c;
  if (total <= 0) return;
  CUTRAIN_LAUNCH(avg_pool_grad_kernel<T>, grid_for(total), kBlock, 0, stream,
                 g, count_include_pad, lowp_device_ptr(dyh), lowp_device_ptr(dxh));
}

template <typename H>
void global_avg_pool_forward(const H* xh, int64_t n, int64_t hw, int64_t c, H* yh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  if (n <= 0 || hw <= 0 || c <= 0) return;
  CUTRAIN_LAUNCH(global_avg_kernel<T>, dim3(static_cast<unsigned>((c + kTx - 1) / kTx), static_cast<unsigned>(n)),
                 dim3(kTx, kTy), 0, stream, lowp_device_ptr(xh), hw, c, lowp_device_ptr(yh));
}

template <typename H>
void global_avg_pool_backward(const H* dyh, int64_t n, int64_t hw, int64_t c, H* dxh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  if (n <= 0 || hw <= 0 || c <= 0) return;
  CUTRAIN_LAUNCH(global_avg_grad_kernel<T>, grid_for(n * hw * c), kBlock, 0, stream,
                 lowp_device_ptr(dyh), n, hw, c, lowp_device_ptr(dxh));
}

#define CUTRAIN_POOL_INSTANTIATE(T)                                                                        \
  template void max_pool_forward<T>(const PoolGeometry&, const T*, T*, cudaStream_t);                     \
  template void max_pool_backward<T>(const PoolGeometry&, const T*, const T*, T*, cudaStream_t);          \
  template void avg_pool_forward<T>(const PoolGeometry&, bool, const T*, T*, cudaStream_t);               \
  template void avg_pool_backward<T>(const PoolGeometry&, bool, const T*, T*, cudaStream_t);              \
  template void global_avg_pool_forward<T>(const T*, int64_t, int64_t, int64_t, T*, cudaStream_t);        \
  template void global_avg_pool_backward<T>(const T*, int64_t, int64_t, int64_t, T*, cudaStream_t);
CUTRAIN_POOL_INSTANTIATE(float)
CUTRAIN_POOL_INSTANTIATE(double)
CUTRAIN_POOL_INSTANTIATE(Half)
CUTRAIN_POOL_INSTANTIATE(BFloat16)
#undef CUTRAIN_POOL_INSTANTIATE

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
