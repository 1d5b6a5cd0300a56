// Dropout forward and backward, float and double: the launchers of
// dropout.cu. The mask reproduces the CPU rule bit for bit
// (include/cutrain/cpu/dropout.h): element i is kept iff
//   (philox4x32(i / 4, step, seed).v[i % 4] >> 8) < threshold,
// threshold = dropout_keep_threshold(rate); each thread draws one Philox
// block and uses its four words for elements 4q..4q+3.
//   training: mask = kept, y = kept ? x · inv_keep : 0, inv_keep = T(1 / (1 − rate))
//   eval:     mask = 1, y = x
//   backward: dx = mask ? dy · inv_keep : 0 (inv_keep = 1 in eval)
// step_in_memory: when not null, the step is read there (a device double,
// the executor's per-step scalar slot 0) when the kernel runs, and `step` is
// ignored: captured launches then draw each replayed step's own numbers.
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    void dropout_forward(const float* x, float* y, uint8_t* mask, int64_t n, double rate, bool training,
                         uint64_t seed, uint64_t step, const double* step_in_memory, cudaStream_t stream);
    void dropout_forward(const double* x, double* y, uint8_t* mask, int64_t n, double rate, bool training,
                         uint64_t seed, uint64_t step, const double* step_in_memory, cudaStream_t stream);
    void dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double rate, bool training,
                          cudaStream_t stream);
    void dropout_backward(const double* dy, const uint8_t* mask, double* dx, int64_t n, double rate, bool training,
                          cudaStream_t stream);)

}  // namespace cutrain::kernels
