// Sum of a float array: the launchers of reduce.cu.
//
// Two launches on `stream`: one partial sum per block (grid-stride loop,
// warp shuffles, shared memory across warps) into `workspace`, then one block
// sums the partials into out[0]. Accumulates in float; the order of additions
// is fixed by the launch shape, so results are deterministic run to run.
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    // Floats of workspace reduce_sum needs for n elements (at least 1).
    int64_t reduce_sum_workspace(int64_t n);
    // out[0] = x[0] + ... + x[n-1]; 0 for n == 0.
    void reduce_sum(const float* x, int64_t n, float* workspace, float* out, cudaStream_t stream);)

}  // namespace cutrain::kernels
