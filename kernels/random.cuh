// random_normal, float and double: the launchers of random.cu. Element i is
// mean + stddev * cpu::random_normal_at(seed, step, i) (the CPU rule in
// include/cutrain/cpu/random.h: one Philox block per element, Box-Muller in
// double), so the emulated build matches the CPU bit for bit and the GPU to
// the last bits of its double log/cos. step_in_memory: when not null, the
// step is read from there (device double) when the kernel runs instead.
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    void random_normal(float* out, int64_t n, double mean, double stddev, uint64_t seed, uint64_t step,
                       const double* step_in_memory, cudaStream_t stream);
    void random_normal(double* out, int64_t n, double mean, double stddev, uint64_t seed, uint64_t step,
                       const double* step_in_memory, cudaStream_t stream);)

}  // namespace cutrain::kernels
