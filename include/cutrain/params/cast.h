// Parameters of the cast op (ops/cast.h), parsed once from its `to`
// attribute and the input's dtype, taken as they are by the CPU and CUDA
// kernels. Any pair of the float dtypes f64, f32, f16, bf16 converts,
// correctly rounded (round to nearest, ties to even; NaN stays NaN, a value
// past the target's largest finite one becomes an infinity).
#pragma once

#include "cutrain/core/dtype.h"

namespace cutrain::params {

struct Cast {
  DType from = DType::f32;
  DType to = DType::f32;
};

}  // namespace cutrain::params
