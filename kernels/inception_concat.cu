// Fused Inception concat kernels (see inception_concat.cuh). One thread per
// output unit (4 channels on the vector path, 1 otherwise); the branch of a
// unit is found by comparing its channel with at most 3 slice offsets; the
// flat index is split with 32-bit division when the unit count allows.
#include "inception_concat.cuh"

#include "cutrain/core/error.h"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 16384;

template <typename T>
struct Branches {
  const T* x[kMaxConcatBranches];
  T* dx[kMaxConcatBranches];
  const T* a[kMaxConcatBranches];
  const T* b[kMaxConcatBranches];
  const T* m[kMaxConcatBranches];   // centres (a batch norm's mean), or null
  int64_t c[kMaxConcatBranches];    // channels
  int64_t off[kMaxConcatBranches];  // first output channel
  int k;
  int64_t total_c;
};

template <typename T>
__device__ __forceinline__ int branch_of(const Branches<T>& p, int64_t ch) {
  int b = 0;
  for (int i = 1; i < p.k; ++i) b += ch >= p.off[i] ? 1 : 0;
  return b;
}

// Centred: the batch_norm op's own arithmetic, (x - mean) * scale + beta.
template <typename T>
__device__ __forceinline__ T fuse(T v, const T* a, const T* b, const T* m, int64_t ch, bool relu) {
  if (m != nullptr) {
    v = (v - m[ch]) * a[ch] + b[ch];
  } else if (a != nullptr) {
    v = a[ch] * v + b[ch];
  }
  return relu ? (v > T(0) ? v : T(0)) : v;
}

template <typename T>
__device__ __forceinline__ T unfuse(T g, T y, const T* a, int64_t ch, bool relu) {
  if (relu && !(y > T(0))) return T(0);
  return a != nullptr ? a[ch] * g : g;
}

// I: the index type (uint32_t when units < 2^32: cheap division).
template <typename T, typename I>
__global__ void __launch_bounds__(kBlock)
    forward_kernel(Branches<T> p, I units, I units_per_row, bool relu, T* __restrict__ y) {
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

template <typename T, typename I>
__global__ void __launch_bounds__(kBlock)
    backward_kernel(Branches<T> p, I units, I units_per_row, const T* __restrict__ dy, const T* __restrict__ y,
                    bool relu) {
  const I stride = static_cast<I>(blockDim.x) * gridDim.x;
  for (I u = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) {
    const I row = u / units_per_row;
    const int64_t ch = static_cast<int64_t>(u - row * units_per_row);
    const int b = branch_of(p, ch);
    const int64_t cl = ch - p.off[b];
    p.dx[b][static_cast<int64_t>(row) * p.c[b] + cl] = unfuse(dy[u], relu ? y[u] : T(0), p.a[b], cl, relu);
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

template <typename T>
Branches<T> branches(int k, const int64_t* channels) {
  CUTRAIN_CHECK(k >= 1 && k <= kMaxConcatBranches, "inception_concat: ", k, " branches (at most ",
                kMaxConcatBranches, ")");
  Branches<T> p{};
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
    constexpr auto kernel = forward_kernel<T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(p.total_c), relu, y);
  } else {
    constexpr auto kernel = forward_kernel<T, int64_t>;
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
    constexpr auto kernel = backward_kernel<T, uint32_t>;
    CUTRAIN_LAUNCH(kernel, grid_for(units), kBlock, 0, stream, p, static_cast<uint32_t>(units),
                   static_cast<uint32_t>(p.total_c), dy, y, relu);
  } else {
    constexpr auto kernel = backward_kernel<T, int64_t>;
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

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
