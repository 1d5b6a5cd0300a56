// The shape family on CUDA, as cutrain/cpu/shape_ops.h: view-like ops are one
// device-to-device copy; transpose, concat and split use kernels/copy.cu. Any
// dtype. `axis` is normalised and `perm` complete (the op checked them).
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

void copy_elements(const std::string& op, const Tensor& x, const Tensor& y, cudaStream_t stream);
// Input k fills columns [offset_k, offset_k + row_k) of out's rows.
void concat(const std::string& op, const std::vector<Tensor>& xs, int axis, const Tensor& out, cudaStream_t stream);
void split(const std::string& op, const Tensor& x, int axis, const std::vector<Tensor>& outs, cudaStream_t stream);
void transpose(const std::string& op, const Tensor& x, const std::vector<int64_t>& perm, const Tensor& y,
               cudaStream_t stream);

}  // namespace cutrain::cuda
