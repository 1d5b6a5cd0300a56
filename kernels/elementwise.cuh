// Elementwise kernels, float, double, f16 and bf16: the launchers of elementwise.cu.
// The 16-bit launchers take the host types of cutrain/core/dtype.h (the same
// bits as __half / __nv_bfloat16), compute each element in fp32 and round the
// result once, as the CPU reference of low precision does.
//
// Semantics match the CPU reference (src/cpu/elementwise.cpp) op by op:
//   unary:       y = f(x)  (relu, leaky_relu, sigmoid, tanh, square, exp, log,
//                sqrt, neg, scale, add_scalar; alpha is the slope, factor or addend)
//   unary_grad:  dx = g(dy, saved) (relu, sigmoid, tanh from y; leaky_relu from x)
//   binary:      out = a (+ - * /) b with numpy broadcasting described by a
//                BroadcastIndex (rank 0: all three share one shape)
//   add_n:       out = x_0 + ... + x_{k-1}, summed left to right like the CPU
// relu_forward/relu_backward are kept as the vectorised special case.
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/core/dtype.h"
#include "indexing.cuh"
#include "launch.cuh"

namespace cutrain::kernels {

enum class UnaryOp : int { relu, leaky_relu, sigmoid, tanh, square, exp, log, sqrt, neg, scale, add_scalar };
enum class UnaryGradOp : int { relu, leaky_relu, sigmoid, tanh };
enum class BinaryOp : int { add, sub, mul, div };

// Inputs of one add_n launch; more inputs are chained over launches.
constexpr int kAddNMaxInputs = 8;
template <typename T>
struct AddNInputs {
  const T* x[kAddNMaxInputs] = {};
  int count = 0;
};

#define CUTRAIN_ELEMENTWISE_LOWP_LAUNCHERS(T)                                                              \
  void relu_forward(const T* x, T* y, int64_t n, cudaStream_t stream);                                    \
  void relu_backward(const T* y, const T* dy, T* dx, int64_t n, cudaStream_t stream);                     \
  void unary(UnaryOp op, const T* x, T* y, int64_t n, double alpha, cudaStream_t stream);                 \
  void unary_grad(UnaryGradOp op, const T* dy, const T* saved, T* dx, int64_t n, double alpha,            \
                  cudaStream_t stream);                                                                   \
  void binary(BinaryOp op, const T* a, const T* b, T* out, int64_t n, const BroadcastIndex& index,        \
              cudaStream_t stream);                                                                       \
  void add_n(const T* const* xs, int count, T* out, int64_t n, cudaStream_t stream);

CUTRAIN_KERNEL_LAUNCHERS(
    void relu_forward(const float* x, float* y, int64_t n, cudaStream_t stream);
    void relu_forward(const double* x, double* y, int64_t n, cudaStream_t stream);
    void relu_backward(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream);
    void relu_backward(const double* y, const double* dy, double* dx, int64_t n, cudaStream_t stream);
    void unary(UnaryOp op, const float* x, float* y, int64_t n, double alpha, cudaStream_t stream);
    void unary(UnaryOp op, const double* x, double* y, int64_t n, double alpha, cudaStream_t stream);
    void unary_grad(UnaryGradOp op, const float* dy, const float* saved, float* dx, int64_t n, double alpha,
                    cudaStream_t stream);
    void unary_grad(UnaryGradOp op, const double* dy, const double* saved, double* dx, int64_t n, double alpha,
                    cudaStream_t stream);
    void binary(BinaryOp op, const float* a, const float* b, float* out, int64_t n, const BroadcastIndex& index,
                cudaStream_t stream);
    void binary(BinaryOp op, const double* a, const double* b, double* out, int64_t n,
                const BroadcastIndex& index, cudaStream_t stream);
    void add_n(const float* const* xs, int count, float* out, int64_t n, cudaStream_t stream);
    void add_n(const double* const* xs, int count, double* out, int64_t n, cudaStream_t stream);
    CUTRAIN_ELEMENTWISE_LOWP_LAUNCHERS(Half)
    CUTRAIN_ELEMENTWISE_LOWP_LAUNCHERS(BFloat16))
#undef CUTRAIN_ELEMENTWISE_LOWP_LAUNCHERS

}  // namespace cutrain::kernels
