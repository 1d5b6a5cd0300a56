// The device side of the numerics check (graph/numerics_check.h): one
// grid-stride pass over a tensor that lowers a device flag to `id` when any
// element is NaN or +-inf, with atomicMin, so the smallest id of a step wins
// whichever stream ran first. Nothing is synchronized or read back here: the
// executor reads the flag once per step.
//
// Elements are tested by their bits (all exponent bits set), so one kernel
// serves every float dtype: f16 (mask 0x7C00), bf16 (0x7F80), f32
// (0x7F800000), f64 (0x7FF0000000000000), loaded as 2-, 4- or 8-byte words.
// The CPU reference is cpu::first_non_finite (cutrain/cpu/check_finite.h).
#pragma once

#include <cstdint>

#include "cutrain/core/error.h"
#include "launch.cuh"

namespace cutrain::kernels {

// Exponent mask of a float format of `element_bytes`; `bf16` selects bf16 over f16 for 2 bytes.
inline uint64_t non_finite_mask(int element_bytes, bool bf16) {
  switch (element_bytes) {
    case 2: return bf16 ? 0x7F80u : 0x7C00u;
    case 4: return 0x7F800000u;
    case 8: return 0x7FF0000000000000ull;
    default: return 0;
  }
}

CUTRAIN_KERNEL_LAUNCHERS(
    // *flag = min(*flag, id) when any of the n elements of x is not finite.
    void check_finite(const void* x, int element_bytes, uint64_t exponent_mask, int64_t n, int32_t id,
                      int32_t* flag, cudaStream_t stream);)

}  // namespace cutrain::kernels
