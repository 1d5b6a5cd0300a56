// CPU reference of the numerics check (kernels/check_finite.cuh is the
// device side): whether a tensor holds a NaN or an infinity, by the bits of
// each element (all exponent bits set), for f16, bf16, f32 and f64.
// Integer and u8 tensors are always finite.
#pragma once

#include <cstdint>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// Index of the first non-finite element of a contiguous CPU tensor, or -1.
int64_t first_non_finite(const Tensor& x);

}  // namespace cutrain::cpu
