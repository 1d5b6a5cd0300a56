// Fused Inception concat kernels (see inception_concat.cuh). One thread per
// output unit (4 channels on the vector path, 1 otherwise); the branch of a
// unit is found by comparing its channel with at most 3 slice offsets; the
// flat index is split with 32-bit division when the unit count allows.
// f16/bf16 activations: the affine parameters stay fp32 (a batch norm's), each
// element is computed in fp32 and rounded once; 8 channels per 128-bit unit.
#include "inception_concat.cuh"

#include "cutrain/core/error.h"
#include "lowp.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 16384;

// T: the activations' element type; P: the affine parameters' (T, or float
// for 16-bit activations).
template <typename T, typename P = T>
struct Branches {
  const T* x[kMaxConcatBranches];
  T* dx[kMaxConcatBranches];
  const P* a[kMaxConcatBranches];
  const P* b[kMaxConcatBranches];
  const P* m[kMaxConcatBranches];   // centres (a batch norm's mean), or null
  int64_t c[kMaxConcatBranches];    // channels
  int64_t off[kMaxConcatBranches];  // first output channel
  int k;
  int64_t total_c;
};

template <typename T, typename P>
__device__ __forceinline__ int branch_of(const Branches<T, P>& p, int64_t ch) {
  int b = 0;
  for (int i = 1; i < p.k; ++i) b += ch >= p.off[i] ? 1 : 0;
  return b;
}

// Centred: the batch_norm op's own arithmetic, (x - mean) * scale + beta.
template <typename T, typename P>
__device__ __forceinline__ T fuse(T x, const P* a, const P* b, const P* m, int64_t ch, bool relu) {
  using C = compute_t<T>;
  C v = static_cast<C>(x);
  if (m != nullptr) {
    v = (v - m[ch]) * a[ch] + b[ch];
  } else if (a != nullptr) {
    v = a[ch] * v + b[ch];
  }
  return T(relu ? (v > C(0) ? v : C(0)) : v);
}

template <typename T, typename P>
__device__ __forceinline__ T unfuse(T g, T y, const P* a, int64_t ch, bool relu) {
  using C = compute_t<T>;
  if (relu && !(static_cast<C>(y) > C(0))) return T(C(0));
  return a != nullptr ? T(a[ch] * static_cast<C>(g)) : g;
}

// I: the index type (uint32_t when units < 2^32: cheap division).
template <typename T, typename P, typename I>
__global__ void __launch_bounds__(kBlock)
    forward_kernel(Branches<T, P> p, I units, I units_per_row, bool relu, T* __restrict__ y) {
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row);
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    y[u] = fuse(p.x[b][static_cast<int64_t>(row) * p.c[b] + cl], p.a[b], p.b[b], p.m[b], cl, relu);
  }
}

template <typename I>
__global__ void __launch_bounds__(kBlock)
    forward_vec4_kernel(Branches<float> p, I units, I units_per_row, bool relu, float* __restrict__ y) {
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row) * 4;
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    float4 v = *reinterpret_cast<const float4*>(p.x[b] + static_cast<int64_t>(row) * p.c[b] + cl);
    v.x = fuse(v.x, p.a[b], p.b[b], p.m[b], cl, relu);
    v.y = fuse(v.y, p.a[b], p.b[b], p.m[b], cl + 1, relu);
    v.z = fuse(v.z, p.a[b], p.b[b], p.m[b], cl + 2, relu);
    v.w = fuse(v.w, p.a[b], p.b[b], p.m[b], cl + 3, relu);
    reinterpret_cast<float4*>(y)[u] = v;
  }
}

template <typename T, typename P, typename I>
__global__ void __launch_bounds__(kBlock)
    backward_kernel(Branches<T, P> p, I units, I units_per_row, const T* __restrict__ dy, const T* __restrict__ y,
                    bool relu) {
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row);
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    p.dx[b][static_cast<int64_t>(row) * p.c[b] + cl] = unfuse(dy[u], relu ? y[u] : T(0.0f), p.a[b], cl, relu);
  }
}

template <typename I>
__global__ void __launch_bounds__(kBlock)
    backward_vec4_kernel(Branches<float> p, I units, I units_per_row, const float* __restrict__ dy,
                         const float* __restrict__ y, bool relu) {
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row) * 4;
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    float4 g = reinterpret_cast<const float4*>(dy)[u];
    const float4 yv = relu ? reinterpret_cast<const float4*>(y)[u] : make_float4(0.f, 0.f, 0.f, 0.f);
    g.x = unfuse(g.x, yv.x, p.a[b], cl, relu);
    g.y = unfuse(g.y, yv.y, p.a[b], cl + 1, relu);
    g.z = unfuse(g.z, yv.z, p.a[b], cl + 2, relu);
    g.w = unfuse(g.w, yv.w, p.a[b], cl + 3, relu);
    *reinterpret_cast<float4*>(p.dx[b] + static_cast<int64_t>(row) * p.c[b] + cl) = g;
  }
}

// 16-bit activations: one unit is 8 channels, one 128-bit load and store.
template <typename T, typename I>
__global__ void __launch_bounds__(kBlock)
    forward_pack_kernel(Branches<T, float> p, I units, I units_per_row, bool relu, T* __restrict__ y) {
  using Pk = Pack16B<T>;
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row) * Pk::kCount;
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    Pk v = *reinterpret_cast<const Pk*>(p.x[b] + static_cast<int64_t>(row) * p.c[b] + cl);
    for (int j = 0; j < Pk::kCount; ++j) v.v[j] = fuse(v.v[j], p.a[b], p.b[b], p.m[b], cl + j, relu);
    reinterpret_cast<Pk*>(y)[u] = v;
  }
}

template <typename T, typename I>
__global__ void __launch_bounds__(kBlock)
    backward_pack_kernel(Branches<T, float> p, I units, I units_per_row, const T* __restrict__ dy,
                         const T* __restrict__ y, bool relu) {
  using Pk = Pack16B<T>;
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row) * Pk::kCount;
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    Pk g = reinterpret_cast<const Pk*>(dy)[u];
    Pk yv{};
    if (relu) yv = reinterpret_cast<const Pk*>(y)[u];
    for (int j = 0; j < Pk::kCount; ++j) g.v[j] = unfuse(g.v[j], yv.v[j], p.a[b], cl + j, relu);
    *reinterpret_cast<Pk*>(p.dx[b] + static_cast<int64_t>(row) * p.c[b] + cl) = g;
  }
}

template <typename T, typename P = T>
Branches<T, P> branches(int k, const int64_t* channels) {
  CUTRAIN_CHECK(k >= 1 && k <= kMaxConcatBranches, "inception_concat: ", k, " branches (at most ",
                kMaxConcatBranches, ")");
  Branches<T, P> p{};
  p.k = k;
  for (int i = 0; i < k; ++i) {
    p.c[i] = channels[i];
    p.off[i] = p.total_c;
    p.total_c += channels[i];
  }
  return p;
}

unsigned grid_for(int64_t units) { return grid_stride_blocks(units, kBlock, kMaxBlocks); }

bool fits32(int64_t units) { return units < (int64_t{1} << 32) - kBlock * kMaxBlocks; }

bool concat_packable(int k, const int64_t* channels, const void* const* pointers, int n_pointers, int64_t width) {
  for (int i = 0; i < k; ++i)
    if (channels[i] % width != 0) return false;
  for (int i = 0; i < n_pointers; ++i)
    if (pointers[i] != nullptr && reinterpret_cast<uintptr_t>(pointers[i]) % 16 != 0) return false;
  return true;
}

}  // namespace

bool inception_concat_vectorized(int k, const int64_t* channels, const void* const* pointers, int n_pointers) {
  for (int i = 0; i < k; ++i)
    if (channels[i] % 4 != 0) return false;
  for (int i = 0; i < n_pointers; ++i)
    if (pointers[i] != nullptr && reinterpret_cast<uintptr_t>(pointers[i]) % 16 != 0) return false;
  return true;
}

template <typename T>
void inception_concat_forward(int k, const T* const* x, const int64_t* channels, const T* const* scale,
                              const T* const* shift, const T* const* center, int64_t rows, bool relu, T* y,
                              cudaStream_t stream) {
  Branches<T> p = branches<T>(k, channels);
  const void* ptrs[1 + 3 * kMaxConcatBranches] = {y};
  for (int i = 0; i < k; ++i) {
    p.x[i] = x[i];
    p.a[i] = scale != nullptr ? scale[i] : nullptr;
    p.b[i] = shift != nullptr ? shift[i] : nullptr;
    p.m[i] = center != nullptr ? center[i] : nullptr;
    ptrs[1 + i] = x[i];
  }
  if (rows <= 0 || p.total_c <= 0) return;
  if constexpr (sizeof(T) == sizeof(float)) {
    if (inception_concat_vectorized(k, channels, ptrs, 1 + k)) {
      const int64_t per_row = p.total_c / 4, units = rows * per_row;
      if (fits32(units)) {
        CUTRAIN_LAUNCH(forward_vec4_kernel<uint32_t>, grid_for(units), kBlock, 0, stream, p,
                       static_cast<uint32_t>(units), static_cast<uint32_t>(per_row), relu, y);
      } else {
        CUTRAIN_LAUNCH(forward_vec4_kernel<int64_t>, grid_for(units), kBlock, 0, stream, p, units, per_row, relu, y);
      }
      return;
    }
  }
  const int64_t units = rows * p.total_c;
  if (fits32(units)) {
    constexpr auto kernel = forward_kernel<T, T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(p.total_c), relu, y);
  } else {
    constexpr auto kernel = forward_kernel<T, T, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, p.total_c, relu, y);
  }
}

template <typename T>
void inception_concat_backward(int k, const int64_t* channels, const T* dy, const T* y, bool relu,
                               const T* const* scale, int64_t rows, T* const* dx, cudaStream_t stream) {
  Branches<T> p = branches<T>(k, channels);
  const void* ptrs[2 + kMaxConcatBranches] = {dy, relu ? y : nullptr};
  for (int i = 0; i < k; ++i) {
    p.dx[i] = dx[i];
    p.a[i] = scale != nullptr ? scale[i] : nullptr;
    ptrs[2 + i] = dx[i];
  }
  if (rows <= 0 || p.total_c <= 0) return;
  if constexpr (sizeof(T) == sizeof(float)) {
    if (inception_concat_vectorized(k, channels, ptrs, 2 + k)) {
      const int64_t per_row = p.total_c / 4, units = rows * per_row;
      if (fits32(units)) {
        CUTRAIN_LAUNCH(backward_vec4_kernel<uint32_t>, grid_for(units), kBlock, 0, stream, p,
                       static_cast<uint32_t>(units), static_cast<uint32_t>(per_row), dy, y, relu);
      } else {
        CUTRAIN_LAUNCH(backward_vec4_kernel<int64_t>, grid_for(units), kBlock, 0, stream, p, units, per_row, dy, y,
                       relu);
      }
      return;
    }
  }
  const int64_t units = rows * p.total_c;
  if (fits32(units)) {
    constexpr auto kernel = backward_kernel<T, T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(p.total_c), dy, y, relu);
  } else {
    constexpr auto kernel = backward_kernel<T, T, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, p.total_c, dy, y, relu);
  }
}

#define CUTRAIN_CONCAT_INSTANTIATE(T)                                                                        \
  template void inception_concat_forward<T>(int, const T* const*, const int64_t*, const T* const*,          \
                                            const T* const*, const T* const*, int64_t, bool, T*, cudaStream_t); \
  template void inception_concat_backward<T>(int, const int64_t*, const T*, const T*, bool, const T* const*, \
                                             int64_t, T* const*, cudaStream_t);
CUTRAIN_CONCAT_INSTANTIATE(float)
CUTRAIN_CONCAT_INSTANTIATE(double)
#undef CUTRAIN_CONCAT_INSTANTIATE

namespace {

template <typename H>
void concat_forward_lowp(int k, const H* const* xh, const int64_t* channels, const float* const* scale,
                         const float* const* shift, const float* const* center, int64_t rows, bool relu, H* yh,
                         cudaStream_t stream) {
  using T = lowp_device_t<H>;
  Branches<T, float> p = branches<T, float>(k, channels);
  T* y = lowp_device_ptr(yh);
  const void* ptrs[1 + kMaxConcatBranches] = {y};
  for (int i = 0; i < k; ++i) {
    p.x[i] = lowp_device_ptr(xh[i]);
    p.a[i] = scale != nullptr ? scale[i] : nullptr;
    p.b[i] = shift != nullptr ? shift[i] : nullptr;
    p.m[i] = center != nullptr ? center[i] : nullptr;
    ptrs[1 + i] = p.x[i];
  }
  if (rows <= 0 || p.total_c <= 0) return;
  constexpr int64_t kW = Pack16B<T>::kCount;
  const bool packed = concat_packable(k, channels, ptrs, 1 + k, kW);
  const int64_t per_row = packed ? p.total_c / kW : p.total_c, units = rows * per_row;
  if (packed && fits32(units)) {
    constexpr auto kernel = forward_pack_kernel<T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(per_row), relu, y);
  } else if (packed) {
    constexpr auto kernel = forward_pack_kernel<T, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, per_row, relu, y);
  } else if (fits32(units)) {
    constexpr auto kernel = forward_kernel<T, float, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(per_row), relu, y);
  } else {
    constexpr auto kernel = forward_kernel<T, float, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, per_row, relu, y);
  }
}

template <typename H>
void concat_backward_lowp(int k, const int64_t* channels, const H* dyh, const H* yh, bool relu,
                          const float* const* scale, int64_t rows, H* const* dxh, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  Branches<T, float> p = branches<T, float>(k, channels);
  const T* dy = lowp_device_ptr(dyh);
  const T* y = yh != nullptr ? lowp_device_ptr(yh) : nullptr;
  const void* ptrs[2 + kMaxConcatBranches] = {dy, relu ? y : nullptr};
  for (int i = 0; i < k; ++i) {
    p.dx[i] = lowp_device_ptr(dxh[i]);
    p.a[i] = scale != nullptr ? scale[i] : nullptr;
    ptrs[2 + i] = p.dx[i];
  }
  if (rows <= 0 || p.total_c <= 0) return;
  constexpr int64_t kW = Pack16B<T>::kCount;
  const bool packed = concat_packable(k, channels, ptrs, 2 + k, kW);
  const int64_t per_row = packed ? p.total_c / kW : p.total_c, units = rows * per_row;
  if (packed && fits32(units)) {
    constexpr auto kernel = backward_pack_kernel<T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(per_row), dy, y, relu);
  } else if (packed) {
    constexpr auto kernel = backward_pack_kernel<T, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, per_row, dy, y, relu);
  } else if (fits32(units)) {
    constexpr auto kernel = backward_kernel<T, float, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(per_row), dy, y, relu);
  } else {
    constexpr auto kernel = backward_kernel<T, float, int64_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, units, per_row, dy, y, relu);
  }
}

}  // namespace

#define CUTRAIN_CONCAT_LOWP_DEFS(H)                                                                          \
  void inception_concat_forward(int k, const H* const* x, const int64_t* channels, const float* const* scale, \
                                const float* const* shift, const float* const* center, int64_t rows, bool relu, \
                                H* y, cudaStream_t stream) {                                                 \
    concat_forward_lowp(k, x, channels, scale, shift, center, rows, relu, y, stream);                        \
  }                                                                                                          \
  void inception_concat_backward(int k, const int64_t* channels, const H* dy, const H* y, bool relu,         \
                                 const float* const* scale, int64_t rows, H* const* dx, cudaStream_t stream) { \
    concat_backward_lowp(k, channels, dy, y, relu, scale, rows, dx, stream);                                 \
  }
CUTRAIN_CONCAT_LOWP_DEFS(Half)
CUTRAIN_CONCAT_LOWP_DEFS(BFloat16)
#undef CUTRAIN_CONCAT_LOWP_DEFS

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
