// Elementwise kernels (see elementwise.cuh): grid-stride loops, one thread
// per element. ReLU is float4-vectorised for float when every pointer is
// 16-byte aligned (the scalar tail follows in the same launch). The unary,
// gradient and binary kernels take the op as a template argument, so each
// instantiation is a plain loop without a switch per element. f16 and bf16
// elements are computed in fp32 (compute_t) and rounded once on store; their
// ReLU loads 8 elements per 128-bit access.
#include "device_math.cuh"
#include "elementwise.cuh"
#include "lowp.cuh"

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
  return static_cast<compute_t<T>>(v) > compute_t<T>(0) ? v : T(0.0f);
}
template <typename T>
__device__ __forceinline__ T relu_grad(T y, T dy) {
  return static_cast<compute_t<T>>(y) > compute_t<T>(0) ? dy : T(0.0f);
}

// ReLU on 16-bit elements, 8 per 128-bit load (the scalar tail in the same launch).
template <typename T>
__global__ void __launch_bounds__(kBlock)
    relu_forward_pack_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n) {
  using P = Pack16B<T>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t np = n / P::kCount;
  const P* xp = reinterpret_cast<const P*>(x);
  P* yp = reinterpret_cast<P*>(y);
  for (int64_t i = first; i < np; i += stride) {
    P v = xp[i];
    for (int j = 0; j < P::kCount; ++j) v.v[j] = relu(v.v[j]);
    yp[i] = v;
  }
  for (int64_t i = np * P::kCount + first; i < n; i += stride) y[i] = relu(x[i]);
}

template <typename T>
__global__ void __launch_bounds__(kBlock) relu_backward_pack_kernel(const T* __restrict__ y, const T* __restrict__ dy,
                                                                    T* __restrict__ dx, int64_t n) {
  using P = Pack16B<T>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t np = n / P::kCount;
  const P* yp = reinterpret_cast<const P*>(y);
  const P* gp = reinterpret_cast<const P*>(dy);
  P* dxp = reinterpret_cast<P*>(dx);
  for (int64_t i = first; i < np; i += stride) {
    const P a = yp[i];
    P g = gp[i];
    for (int j = 0; j < P::kCount; ++j) g.v[j] = relu_grad(a.v[j], g.v[j]);
    dxp[i] = g;
  }
  for (int64_t i = np * P::kCount + first; i < n; i += stride) dx[i] = relu_grad(y[i], dy[i]);
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


// y = f(x); alpha: leaky_relu's slope, scale's factor, add_scalar's addend.
template <UnaryOp Op, typename T>
__device__ __forceinline__ T unary_fn(T v, T alpha) {
  if constexpr (Op == UnaryOp::relu) return v > T(0) ? v : T(0);
  if constexpr (Op == UnaryOp::leaky_relu) return v > T(0) ? v : alpha * v;
  if constexpr (Op == UnaryOp::sigmoid) return T(1) / (T(1) + dev::exp_(-v));
  if constexpr (Op == UnaryOp::tanh) return dev::tanh_(v);
  if constexpr (Op == UnaryOp::square) return v * v;
  if constexpr (Op == UnaryOp::exp) return dev::exp_(v);
  if constexpr (Op == UnaryOp::log) return dev::log_(v);
  if constexpr (Op == UnaryOp::sqrt) return dev::sqrt_(v);
  if constexpr (Op == UnaryOp::neg) return -v;
  if constexpr (Op == UnaryOp::scale) return alpha * v;
  if constexpr (Op == UnaryOp::add_scalar) return v + alpha;
  return v;
}

// dx = g(dy, s): s is y for relu (y > 0 iff x > 0), sigmoid (dy·y(1−y)) and
// tanh (dy·(1−y²)); x for leaky_relu (dy or alpha·dy).
template <UnaryGradOp Op, typename T>
__device__ __forceinline__ T unary_grad_fn(T g, T s, T alpha) {
  if constexpr (Op == UnaryGradOp::relu) return s > T(0) ? g : T(0);
  if constexpr (Op == UnaryGradOp::leaky_relu) return s > T(0) ? g : alpha * g;
  if constexpr (Op == UnaryGradOp::sigmoid) return g * s * (T(1) - s);
  if constexpr (Op == UnaryGradOp::tanh) return g * (T(1) - s * s);
  return g;
}

template <BinaryOp Op, typename T>
__device__ __forceinline__ T binary_fn(T a, T b) {
  if constexpr (Op == BinaryOp::add) return a + b;
  if constexpr (Op == BinaryOp::sub) return a - b;
  if constexpr (Op == BinaryOp::mul) return a * b;
  return a / b;
}

template <UnaryOp Op, typename T>
__global__ void __launch_bounds__(kBlock)
    unary_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, compute_t<T> alpha) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = T(unary_fn<Op>(static_cast<compute_t<T>>(x[i]), alpha));
}

template <UnaryGradOp Op, typename T>
__global__ void __launch_bounds__(kBlock) unary_grad_kernel(const T* __restrict__ dy, const T* __restrict__ saved,
                                                            T* __restrict__ dx, int64_t n, compute_t<T> alpha) {
  using C = compute_t<T>;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = T(unary_grad_fn<Op>(static_cast<C>(dy[i]), static_cast<C>(saved[i]), alpha));
}

// Same shapes: flat indices.
template <BinaryOp Op, typename T>
__global__ void __launch_bounds__(kBlock) binary_flat_kernel(const T* __restrict__ a, const T* __restrict__ b,
                                                             T* __restrict__ out, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = T(binary_fn<Op>(static_cast<compute_t<T>>(a[i]), static_cast<compute_t<T>>(b[i])));
}

// Broadcast: the output's flat index i is split into its multi-index (last
// axis fastest); each operand's offset is sum_d index_d · stride_d, with
// stride 0 along the axes it is broadcast over.
template <BinaryOp Op, typename T>
__global__ void __launch_bounds__(kBlock) binary_broadcast_kernel(const T* __restrict__ a, const T* __restrict__ b,
                                                                  T* __restrict__ out, int64_t n, BroadcastIndex idx) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t rest = i, oa = 0, ob = 0;
    for (int d = idx.rank - 1; d >= 0; --d) {
      const int64_t k = rest % idx.dims[d];
      rest /= idx.dims[d];
      oa += k * idx.a_strides[d];
      ob += k * idx.b_strides[d];
    }
    out[i] = T(binary_fn<Op>(static_cast<compute_t<T>>(a[oa]), static_cast<compute_t<T>>(b[ob])));
  }
}

// out = x_0 + x_1 + ... left to right (out may be x_0: the chained launches
// pass the running sum as their first input).
template <typename T>
__global__ void __launch_bounds__(kBlock) add_n_kernel(AddNInputs<T> in, T* out, int64_t n) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    compute_t<T> acc = static_cast<compute_t<T>>(in.x[0][i]);
    for (int k = 1; k < in.count; ++k) acc += static_cast<compute_t<T>>(in.x[k][i]);
    out[i] = T(acc);
  }
}

template <typename T>
void launch_unary(UnaryOp op, const T* x, T* y, int64_t n, double alpha, cudaStream_t stream) {
  if (n <= 0) return;
  const compute_t<T> a = static_cast<compute_t<T>>(alpha);
  const int grid = grid_for(n);
  switch (op) {
#define CUTRAIN_UNARY_CASE(name)                                                         \
  case UnaryOp::name: {                                                                  \
    constexpr auto k = unary_kernel<UnaryOp::name, T>;                                   \
    CUTRAIN_LAUNCH(k, grid, kBlock, 0, stream, x, y, n, a);                              \
    return;                                                                              \
  }
    CUTRAIN_UNARY_CASE(relu)
    CUTRAIN_UNARY_CASE(leaky_relu)
    CUTRAIN_UNARY_CASE(sigmoid)
    CUTRAIN_UNARY_CASE(tanh)
    CUTRAIN_UNARY_CASE(square)
    CUTRAIN_UNARY_CASE(exp)
    CUTRAIN_UNARY_CASE(log)
    CUTRAIN_UNARY_CASE(sqrt)
    CUTRAIN_UNARY_CASE(neg)
    CUTRAIN_UNARY_CASE(scale)
    CUTRAIN_UNARY_CASE(add_scalar)
#undef CUTRAIN_UNARY_CASE
  }
}

template <typename T>
void launch_unary_grad(UnaryGradOp op, const T* dy, const T* saved, T* dx, int64_t n, double alpha,
                       cudaStream_t stream) {
  if (n <= 0) return;
  const compute_t<T> a = static_cast<compute_t<T>>(alpha);
  const int grid = grid_for(n);
  switch (op) {
#define CUTRAIN_UNARY_GRAD_CASE(name)                                                    \
  case UnaryGradOp::name: {                                                              \
    constexpr auto k = unary_grad_kernel<UnaryGradOp::name, T>;                          \
    CUTRAIN_LAUNCH(k, grid, kBlock, 0, stream, dy, saved, dx, n, a);                     \
    return;                                                                              \
  }
    CUTRAIN_UNARY_GRAD_CASE(relu)
    CUTRAIN_UNARY_GRAD_CASE(leaky_relu)
    CUTRAIN_UNARY_GRAD_CASE(sigmoid)
    CUTRAIN_UNARY_GRAD_CASE(tanh)
#undef CUTRAIN_UNARY_GRAD_CASE
  }
}

template <BinaryOp Op, typename T>
void launch_binary_op(const T* a, const T* b, T* out, int64_t n, const BroadcastIndex& idx, cudaStream_t stream) {
  if (idx.rank == 0) {
    constexpr auto k = binary_flat_kernel<Op, T>;
    CUTRAIN_LAUNCH(k, grid_for(n), kBlock, 0, stream, a, b, out, n);
  } else {
    constexpr auto k = binary_broadcast_kernel<Op, T>;
    CUTRAIN_LAUNCH(k, grid_for(n), kBlock, 0, stream, a, b, out, n, idx);
  }
}

template <typename T>
void launch_binary(BinaryOp op, const T* a, const T* b, T* out, int64_t n, const BroadcastIndex& idx,
                   cudaStream_t stream) {
  if (n <= 0) return;
  switch (op) {
    case BinaryOp::add: return launch_binary_op<BinaryOp::add>(a, b, out, n, idx, stream);
    case BinaryOp::sub: return launch_binary_op<BinaryOp::sub>(a, b, out, n, idx, stream);
    case BinaryOp::mul: return launch_binary_op<BinaryOp::mul>(a, b, out, n, idx, stream);
    case BinaryOp::div: return launch_binary_op<BinaryOp::div>(a, b, out, n, idx, stream);
  }
}

// More than kAddNMaxInputs inputs: the first launch sums the first eight into
// out, each further launch adds up to seven more to out.
template <typename T>
void launch_add_n(const T* const* xs, int count, T* out, int64_t n, cudaStream_t stream) {
  if (n <= 0 || count <= 0) return;
  int next = 0;
  while (next < count) {
    AddNInputs<T> in;
    if (next > 0) in.x[in.count++] = out;
    while (in.count < kAddNMaxInputs && next < count) in.x[in.count++] = xs[next++];
    CUTRAIN_LAUNCH(add_n_kernel<T>, grid_for(n), kBlock, 0, stream, in, out, n);
  }
}

// The 16-bit launchers: host element type H, device type T.
template <typename H>
void launch_relu_forward_lowp(const H* xh, H* yh, int64_t n, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  if (n <= 0) return;
  const T* x = lowp_device_ptr(xh);
  T* y = lowp_device_ptr(yh);
  if (aligned16(x) && aligned16(y)) {
    constexpr auto k = relu_forward_pack_kernel<T>;
    CUTRAIN_LAUNCH(k, grid_for((n + Pack16B<T>::kCount - 1) / Pack16B<T>::kCount), kBlock, 0, stream, x, y, n);
  } else {
    constexpr auto k = relu_forward_kernel<T>;
    CUTRAIN_LAUNCH(k, grid_for(n), kBlock, 0, stream, x, y, n);
  }
}

template <typename H>
void launch_relu_backward_lowp(const H* yh, const H* dyh, H* dxh, int64_t n, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  if (n <= 0) return;
  const T* y = lowp_device_ptr(yh);
  const T* dy = lowp_device_ptr(dyh);
  T* dx = lowp_device_ptr(dxh);
  if (aligned16(y) && aligned16(dy) && aligned16(dx)) {
    constexpr auto k = relu_backward_pack_kernel<T>;
    CUTRAIN_LAUNCH(k, grid_for((n + Pack16B<T>::kCount - 1) / Pack16B<T>::kCount), kBlock, 0, stream, y, dy, dx,
                   n);
  } else {
    constexpr auto k = relu_backward_kernel<T>;
    CUTRAIN_LAUNCH(k, grid_for(n), kBlock, 0, stream, y, dy, dx, n);
  }
}

template <typename H>
void launch_add_n_lowp(const H* const* xs, int count, H* out, int64_t n, cudaStream_t stream) {
  using T = lowp_device_t<H>;
  // Chained launches would round the running sum to 16 bits between them,
  // where the sum must be carried in fp32 and rounded once: one launch only.
  CUTRAIN_CHECK(count <= kAddNMaxInputs, "add_n on f16/bf16 takes at most ", kAddNMaxInputs,
                " inputs per launch (the fp32 sum is rounded once), got ", count);
  const T* ptrs[kAddNMaxInputs] = {};
  for (int i = 0; i < count; ++i) ptrs[i] = lowp_device_ptr(xs[i]);
  launch_add_n(ptrs, count, lowp_device_ptr(out), n, stream);
}

}  // namespace

#define CUTRAIN_ELEMENTWISE_LOWP_DEFS(H)                                                                     \
  void relu_forward(const H* x, H* y, int64_t n, cudaStream_t stream) {                                    \
    launch_relu_forward_lowp(x, y, n, stream);                                                             \
  }                                                                                                        \
  void relu_backward(const H* y, const H* dy, H* dx, int64_t n, cudaStream_t stream) {                     \
    launch_relu_backward_lowp(y, dy, dx, n, stream);                                                       \
  }                                                                                                        \
  void unary(UnaryOp op, const H* x, H* y, int64_t n, double alpha, cudaStream_t stream) {                 \
    if (op == UnaryOp::relu) return launch_relu_forward_lowp(x, y, n, stream);                             \
    launch_unary(op, lowp_device_ptr(x), lowp_device_ptr(y), n, alpha, stream);                            \
  }                                                                                                        \
  void unary_grad(UnaryGradOp op, const H* dy, const H* saved, H* dx, int64_t n, double alpha,             \
                  cudaStream_t stream) {                                                                   \
    if (op == UnaryGradOp::relu) return launch_relu_backward_lowp(saved, dy, dx, n, stream);               \
    launch_unary_grad(op, lowp_device_ptr(dy), lowp_device_ptr(saved), lowp_device_ptr(dx), n, alpha, stream); \
  }                                                                                                        \
  void binary(BinaryOp op, const H* a, const H* b, H* out, int64_t n, const BroadcastIndex& index,         \
              cudaStream_t stream) {                                                                       \
    launch_binary(op, lowp_device_ptr(a), lowp_device_ptr(b), lowp_device_ptr(out), n, index, stream);     \
  }                                                                                                        \
  void add_n(const H* const* xs, int count, H* out, int64_t n, cudaStream_t stream) {                      \
    launch_add_n_lowp(xs, count, out, n, stream);                                                          \
  }
CUTRAIN_ELEMENTWISE_LOWP_DEFS(Half)
CUTRAIN_ELEMENTWISE_LOWP_DEFS(BFloat16)
#undef CUTRAIN_ELEMENTWISE_LOWP_DEFS

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

void unary(UnaryOp op, const float* x, float* y, int64_t n, double alpha, cudaStream_t stream) {
  if (op == UnaryOp::relu) return relu_forward(x, y, n, stream);
  launch_unary(op, x, y, n, alpha, stream);
}
void unary(UnaryOp op, const double* x, double* y, int64_t n, double alpha, cudaStream_t stream) {
  launch_unary(op, x, y, n, alpha, stream);
}
void unary_grad(UnaryGradOp op, const float* dy, const float* saved, float* dx, int64_t n, double alpha,
                cudaStream_t stream) {
  if (op == UnaryGradOp::relu) return relu_backward(saved, dy, dx, n, stream);
  launch_unary_grad(op, dy, saved, dx, n, alpha, stream);
}
void unary_grad(UnaryGradOp op, const double* dy, const double* saved, double* dx, int64_t n, double alpha,
                cudaStream_t stream) {
  launch_unary_grad(op, dy, saved, dx, n, alpha, stream);
}
void binary(BinaryOp op, const float* a, const float* b, float* out, int64_t n, const BroadcastIndex& index,
            cudaStream_t stream) {
  launch_binary(op, a, b, out, n, index, stream);
}
void binary(BinaryOp op, const double* a, const double* b, double* out, int64_t n, const BroadcastIndex& index,
            cudaStream_t stream) {
  launch_binary(op, a, b, out, n, index, stream);
}
void add_n(const float* const* xs, int count, float* out, int64_t n, cudaStream_t stream) {
  launch_add_n(xs, count, out, n, stream);
}
void add_n(const double* const* xs, int count, double* out, int64_t n, cudaStream_t stream) {
  launch_add_n(xs, count, out, n, stream);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
