// Reductions and broadcasting: the launchers of reduce.cu.
//
// reduce_sum (float array -> one float): two launches on `stream`, one
// partial sum per block (grid-stride loop, warp shuffles, shared memory
// across warps) into `workspace`, then one block sums the partials into
// out[0]. Accumulates in float; the order of additions is fixed by the
// launch shape, so results are deterministic run to run.
//
// reduce_axes: out[o] = scale · Σ_r x[o, r] for x described by a ReduceIndex
// (sum, mean, sum_to): accumulates in double for both dtypes like the CPU
// reference, in a fixed order (deterministic). The innermost axis reduced:
// one block per output row; otherwise 32 consecutive outputs per block
// (coalesced reads) with 8 partial sums each, combined in shared memory.
//
// broadcast_to: out = x broadcast to out's shape (BroadcastIndex with x as a).
#pragma once

#include <cstdint>

#include "indexing.cuh"
#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    // Floats of workspace reduce_sum needs for n elements (at least 1).
    int64_t reduce_sum_workspace(int64_t n);
    // out[0] = x[0] + ... + x[n-1]; 0 for n == 0.
    void reduce_sum(const float* x, int64_t n, float* workspace, float* out, cudaStream_t stream);
    void reduce_axes(const float* x, const ReduceIndex& index, double scale, float* out, cudaStream_t stream);
    void reduce_axes(const double* x, const ReduceIndex& index, double scale, double* out, cudaStream_t stream);
    void broadcast_to(const float* x, const BroadcastIndex& index, int64_t n, float* out, cudaStream_t stream);
    void broadcast_to(const double* x, const BroadcastIndex& index, int64_t n, double* out,
                      cudaStream_t stream);)

}  // namespace cutrain::kernels
