// The elementwise family on CUDA (kernels/elementwise.cu), with the arguments
// of cutrain/cpu/elementwise.h. Float and double; unary, unary_grad, binary and
// add_n also f16 and bf16 (fp32 compute). `op` names the op in errors.
#pragma once

#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/params/elementwise.h"

namespace cutrain::cuda {

void unary(const std::string& op, params::Unary kind, double alpha, const Tensor& x, const Tensor& y,
           cudaStream_t stream);
// (dy, saved) -> dx
void unary_grad(const std::string& op, params::UnaryGrad kind, double alpha, const Tensor& dy, const Tensor& saved,
                const Tensor& dx, cudaStream_t stream);
// Broadcasting a (op) b.
void binary(const std::string& op, params::Binary kind, const Tensor& a, const Tensor& b, const Tensor& out,
            cudaStream_t stream);
void sum_to(const std::string& op, const Tensor& x, const Tensor& out, cudaStream_t stream);
void add_n(const std::string& op, const std::vector<Tensor>& xs, const Tensor& out, cudaStream_t stream);

}  // namespace cutrain::cuda
