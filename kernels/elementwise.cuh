// ReLU forward and backward, float and double: the launchers of elementwise.cu.
//
// Semantics match the CPU reference (src/cpu/elementwise.cpp): y = x > 0 ? x : 0
// (NaN gives 0) and dx = y > 0 ? dy : 0, from the forward output y.
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    void relu_forward(const float* x, float* y, int64_t n, cudaStream_t stream);
    void relu_forward(const double* x, double* y, int64_t n, cudaStream_t stream);
    void relu_backward(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream);
    void relu_backward(const double* y, const double* dy, double* dx, int64_t n, cudaStream_t stream);)

}  // namespace cutrain::kernels
