// cast: dtype conversion between the float types, the op the autocast pass
// (graph/autocast.h) inserts at the edges of low-precision regions.
//
//   cast(x)   attr to (string dtype name: "f64", "f32", "f16", "bf16") -> y
//
// y has x's shape and dtype `to`; each element is x's value correctly
// rounded to `to` (nearest, ties to even, bit for bit as CUDA's
// __float2half_rn / __float2bfloat16_rn / __double2float_rn): NaN stays
// NaN, overflow gives a signed infinity, values below the smallest
// subnormal round to a signed zero. f64 -> f16/bf16 rounds once (not through
// f32, which would round twice). A cast to the input's own dtype is a copy.
// Gradient: dy cast back to x's dtype.
//
// Graph builder: graph/ops/cast.h; backward rule: src/graph/grads/cast_grad.cpp;
// CPU: cpu::cast; CUDA: cuda::cast (kernels/cast.cu).
#pragma once

#include <string>

#include "cutrain/core/dtype.h"
#include "cutrain/ops/attrs.h"
#include "cutrain/params/cast.h"

namespace cutrain::ops {

inline constexpr const char* kCastOp = "cast";

// The attributes of a cast to `to`.
inline Attrs cast_attrs(DType to) { return Attrs{{"to", std::string(dtype_name(to))}}; }

// The one parse of a cast node: from its `to` attribute and the input dtype;
// a non-float dtype on either side is an error naming the op and both dtypes.
params::Cast cast_params(const std::string& op, const Attrs& a, DType from);

}  // namespace cutrain::ops
