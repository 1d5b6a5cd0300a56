// The cast op's kernel (ops/cast.h): one grid-stride pass converting n
// elements between the float dtypes, correctly rounded (nearest, ties to
// even) with the hardware's own conversions (__float2half_rn,
// __float2bfloat16_rn, the double -> float conversion). f64 -> f16/bf16
// first rounds to f32 *to odd* (truncate, then set the last bit when
// inexact): f32 has more than p + 2 bits for both 16-bit formats, so the
// second rounding to nearest even gives the once-rounded result, as the CPU
// reference's exact comparison does (cpu::cast, cutrain/cpu/cast.h).
#pragma once

#include <cstdint>

#include "cutrain/core/dtype.h"
#include "cutrain/core/error.h"
#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    // y[i] = x[i] converted from `from` to `to` (float dtypes only), i < n.
    void cast(const void* x, DType from, void* y, DType to, int64_t n, cudaStream_t stream);)

}  // namespace cutrain::kernels
