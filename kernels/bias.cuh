// Helpers of the cuDNN convolution ops: the launchers of bias.cu.
//
//   bias_add: y [m, c] += b [c] (conv2d's bias), 1 launch.
//   channel_sum: out [c] = sum over rows of x [m, c] (reduce_nhw_sum, the
//     bias gradient), 2 launches (per-row-block partials, then one combine
//     per channel; accumulation in T, order fixed by (m, c)).
//   pad_nhwc / crop_nhwc: copy x [n, h, w, c] into the interior of a zeroed
//     [n, h + top + bottom, w + left + right, c] and back, for paddings cuDNN
//     cannot express (TF SAME's asymmetric split). 1 launch each.
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    template <typename T>
    void bias_add(T* y, const T* b, int64_t m, int64_t c, cudaStream_t stream);
    // Elements of T the workspace of channel_sum needs.
    int64_t channel_sum_workspace(int64_t m, int64_t c);
    template <typename T>
    void channel_sum(const T* x, int64_t m, int64_t c, T* out, T* workspace, cudaStream_t stream);
    template <typename T>
    void pad_nhwc(const T* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
                  int64_t left, int64_t right, T* padded, cudaStream_t stream);
    template <typename T>
    void crop_nhwc(const T* padded, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
                   int64_t left, int64_t right, T* x, cudaStream_t stream);)

}  // namespace cutrain::kernels
