// CPU reference kernels for reductions and broadcasting (float and double).
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// out = scale * (x summed over `reduced`), where reduced[d] marks the input
// axes summed away; out has x's numel divided by the reduced extent (its
// shape, with or without the size-1 axes, does not matter). Accumulates in
// double for both dtypes.
void reduce_sum(const std::string& op, const Tensor& x, const std::vector<char>& reduced,
                double scale, const Tensor& out);

// out = x broadcast numpy-style to out's shape.
void broadcast_to(const std::string& op, const Tensor& x, const Tensor& out);

}  // namespace cutrain::cpu
