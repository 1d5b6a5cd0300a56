// CPU reference of the cast op (ops/cast.h): every element of x converted
// to y's dtype, correctly rounded. 16-bit results come from core/dtype.h's
// round-to-nearest-even conversions; f64 -> f16/bf16 picks the nearer of the
// two neighbouring 16-bit values in exact double arithmetic, so it rounds
// once. kernels/cast.cu is the device side and must agree bit for bit
// (NaN payloads aside).
#pragma once

#include <string>

#include "cutrain/core/tensor.h"
#include "cutrain/params/cast.h"

namespace cutrain::cpu {

// x and y contiguous CPU tensors of equal element count, dtypes p.from and p.to.
void cast(const std::string& op, const params::Cast& p, const Tensor& x, const Tensor& y);

// One double correctly rounded to f16 or bf16 (raw bits).
uint16_t double_to_16_bits(double v, DType to);

}  // namespace cutrain::cpu
