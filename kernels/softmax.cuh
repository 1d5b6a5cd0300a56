// Softmax and log-softmax along the last axis, float and double: the
// launchers of softmax.cu. x is viewed as [rows, cols]; one warp per row
// (8 rows per block of 256), so any row length works and rows of up to a few
// thousand classes (the models' range) stay within one warp's loop.
//
// Semantics match the CPU reference (src/cpu/softmax.cpp), computed in T:
//   m = max_c x_c, z = Σ_c exp(x_c − m)
//   softmax:      y_c = exp(x_c − m) / z
//   log_softmax:  y_c = x_c − m − log z
//   softmax grad:     dx_c = y_c (dy_c − Σ dy·y)
//   log_softmax grad: dx_c = dy_c − exp(y_c) Σ dy
// f16/bf16 (the host types of cutrain/core/dtype.h): the same in fp32 on the
// 16-bit inputs, each output rounded once.
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    void softmax_forward(bool log, const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream);
    void softmax_forward(bool log, const double* x, double* y, int64_t rows, int64_t cols, cudaStream_t stream);
    void softmax_backward(bool log, const float* dy, const float* y, float* dx, int64_t rows, int64_t cols,
                          cudaStream_t stream);
    void softmax_backward(bool log, const double* dy, const double* y, double* dx, int64_t rows, int64_t cols,
                          cudaStream_t stream);
    void softmax_forward(bool log, const Half* x, Half* y, int64_t rows, int64_t cols, cudaStream_t stream);
    void softmax_forward(bool log, const BFloat16* x, BFloat16* y, int64_t rows, int64_t cols, cudaStream_t stream);
    void softmax_backward(bool log, const Half* dy, const Half* y, Half* dx, int64_t rows, int64_t cols,
                          cudaStream_t stream);
    void softmax_backward(bool log, const BFloat16* dy, const BFloat16* y, BFloat16* dx, int64_t rows,
                          int64_t cols, cudaStream_t stream);)

}  // namespace cutrain::kernels
