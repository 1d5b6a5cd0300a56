// The fused Inception concat: the launchers of inception_concat.cu.
//
// Forward: 2 to 4 branches x_b [rows, C_b] (NHWC flattened to rows) go to
// their channel slices of y [rows, sum C_b] in ONE launch, each element
// optionally mapped through its branch's per-channel affine a_b * x + b_b (a
// batch norm's scale and shift), or (x - m_b) * a_b + b_b (a gamma-free batch
// norm's apply exactly as the batch_norm op computes it), and ReLU on the way. Backward: ONE launch
// splits dy into dx_b, masked by y > 0 when the forward fused ReLU, times
// a_b when it was affine. float4 loads and stores when every channel count
// is a multiple of 4 and every pointer is 16-byte aligned (float only); a
// scalar path otherwise. Semantics: src/cpu/inception_concat.cpp.
// f16/bf16 (cutrain/core/dtype.h host types): activations in 16 bits, the
// affine parameters in fp32, fp32 arithmetic rounded once per element; 8
// channels per 128-bit access when every channel count is a multiple of 8 and
// every pointer 16-byte aligned.
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels {

constexpr int kMaxConcatBranches = 4;

#define CUTRAIN_CONCAT_LOWP_LAUNCHERS(H)                                                                      \
  void inception_concat_forward(int k, const H* const* x, const int64_t* channels, const float* const* scale, \
                                const float* const* shift, const float* const* center, int64_t rows, bool relu, \
                                H* y, cudaStream_t stream);                                                  \
  void inception_concat_backward(int k, const int64_t* channels, const H* dy, const H* y, bool relu,         \
                                 const float* const* scale, int64_t rows, H* const* dx, cudaStream_t stream);

CUTRAIN_KERNEL_LAUNCHERS(
    // x, channels: k entries (host arrays). scale, shift: k device pointers
    // each, or both null for a plain concat; center: k device pointers (with
    // scale and shift: (x - m) * a + b) or null.
    template <typename T>
    void inception_concat_forward(int k, const T* const* x, const int64_t* channels, const T* const* scale,
                                  const T* const* shift, const T* const* center, int64_t rows, bool relu, T* y,
                                  cudaStream_t stream);
    // y: the fused output (read only when relu); scale: k pointers or null.
    template <typename T>
    void inception_concat_backward(int k, const int64_t* channels, const T* dy, const T* y, bool relu,
                                   const T* const* scale, int64_t rows, T* const* dx, cudaStream_t stream);
    CUTRAIN_CONCAT_LOWP_LAUNCHERS(Half)
    CUTRAIN_CONCAT_LOWP_LAUNCHERS(BFloat16)
    // Whether the float4 path would be taken (for tests and benchmarks).
    bool inception_concat_vectorized(int k, const int64_t* channels, const void* const* pointers, int n_pointers);)
#undef CUTRAIN_CONCAT_LOWP_LAUNCHERS

}  // namespace cutrain::kernels
