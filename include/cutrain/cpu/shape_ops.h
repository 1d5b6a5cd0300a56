// CPU reference kernels for the shape family: copies that move whole rows,
// so they work for every dtype (byte-wise), not only f32/f64.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// y = x with the same elements in the same (row-major) order: reshape,
// flatten, squeeze, expand_dims.
void copy_elements(const std::string& op, const Tensor& x, const Tensor& y);

// out = the inputs laid side by side along `axis`.
void concat(const std::string& op, const std::vector<Tensor>& xs, int axis, const Tensor& out);

// outs[k] = consecutive pieces of x along `axis` (sizes from the outputs' shapes).
void split(const std::string& op, const Tensor& x, int axis, const std::vector<Tensor>& outs);

// y[j_0, ..., j_{r-1}] = x[i] with i_{perm[d]} = j_d (numpy.transpose).
void transpose(const std::string& op, const Tensor& x, const std::vector<int64_t>& perm,
               const Tensor& y);

}  // namespace cutrain::cpu
