// 2-D pooling over NHWC tensors: the launchers of pool.cu.
//
// Semantics match src/cpu/pool.cpp for every padding (TF SAME with its
// asymmetric split, VALID, explicit pads): padding never wins a max and is
// left out of the average's divisor unless count_include_pad (then padding
// inside [-pad_top, in_h + pad_bottom) counts). Max-pool ties go to the first
// element in scan order. The gradients are gathers (one thread per input
// element visiting the windows that cover it, in the CPU's (oh, ow) order), so
// they need no atomics, no zero fill and are bit-for-bit deterministic.
// One launch per call. T: float, double, or the host 16-bit types of
// cutrain/core/dtype.h (Half, BFloat16: fp32 sums and compares, one rounding).
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

struct PoolGeometry {
  int64_t n = 0, in_h = 0, in_w = 0, c = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

CUTRAIN_KERNEL_LAUNCHERS(
    template <typename T>
    void max_pool_forward(const PoolGeometry& g, const T* x, T* y, cudaStream_t stream);
    template <typename T>
    void max_pool_backward(const PoolGeometry& g, const T* dy, const T* x, T* dx, cudaStream_t stream);
    template <typename T>
    void avg_pool_forward(const PoolGeometry& g, bool count_include_pad, const T* x, T* y, cudaStream_t stream);
    template <typename T>
    void avg_pool_backward(const PoolGeometry& g, bool count_include_pad, const T* dy, T* dx, cudaStream_t stream);
    // y [n, c] = mean of x [n, hw, c] over hw.
    template <typename T>
    void global_avg_pool_forward(const T* x, int64_t n, int64_t hw, int64_t c, T* y, cudaStream_t stream);
    template <typename T>
    void global_avg_pool_backward(const T* dy, int64_t n, int64_t hw, int64_t c, T* dx, cudaStream_t stream);)

}  // namespace cutrain::kernels
