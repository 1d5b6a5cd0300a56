// Helpers of the cuDNN convolution ops: the launchers of bias.cu.
//
//   bias_add: y [m, c] += b [c] (conv2d's bias), 1 launch.
//   channel_sum: out [c] = sum over rows of x [m, c] (reduce_nhw_sum, the
//     bias gradient), 2 launches (per-row-block partials, then one combine
//     per channel; accumulation in T, order fixed by (m, c)).
//   pad_nhwc / crop_nhwc: copy x [n, h, w, c] into the interior of a zeroed
//     [n, h + top + bottom, w + left + right, c] and back, for paddings cuDNN
//     cannot express (TF SAME's asymmetric split). 1 launch each.
// All for float, double and the host 16-bit types of cutrain/core/dtype.h
// (fp32 adds and sums, one rounding; channel_sum's workspace is then fp32).
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    template <typename T>
    void bias_add(T* y, const T* b, int64_t m, int64_t c, cudaStream_t stream);
    // Elements of T (of float for the 16-bit types) the workspace of channel_sum needs.
    int64_t channel_sum_workspace(int64_t m, int64_t c);
    template <typename T>
    void channel_sum(const T* x, int64_t m, int64_t c, T* out, T* workspace, cudaStream_t stream);
    void channel_sum(const Half* x, int64_t m, int64_t c, Half* out, float* workspace, cudaStream_t stream);
    void channel_sum(const BFloat16* x, int64_t m, int64_t c, BFloat16* out, float* workspace,
                     cudaStream_t stream);
    template <typename T>
    void pad_nhwc(const T* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
                  int64_t left, int64_t right, T* padded, cudaStream_t stream);
    template <typename T>
    void crop_nhwc(const T* padded, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
                   int64_t left, int64_t right, T* x, cudaStream_t stream);)

}  // namespace cutrain::kernels
