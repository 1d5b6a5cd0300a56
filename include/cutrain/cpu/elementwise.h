// CPU reference kernels for the elementwise family (float and double,
// contiguous tensors). Loops that read like the math.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/params/elementwise.h"

namespace cutrain::cpu {

using params::Unary;
// y = f(x); alpha is leaky_relu's slope, scale's factor or add_scalar's addend.
void unary(const std::string& op, Unary kind, double alpha, const Tensor& x, const Tensor& y);

// dx from dy and the saved tensor: relu, sigmoid, tanh use the output y;
// leaky_relu uses the input x.
using params::UnaryGrad;
void unary_grad(const std::string& op, UnaryGrad kind, double alpha, const Tensor& dy,
                const Tensor& saved, const Tensor& dx);

using params::Binary;
// out = a (op) b with numpy broadcasting; out has the broadcast shape.
void binary(const std::string& op, Binary kind, const Tensor& a, const Tensor& b, const Tensor& out);

// out = x summed over the dimensions that broadcasting expanded from out's shape.
void sum_to(const std::string& op, const Tensor& x, const Tensor& out);
void add_n(const std::string& op, const std::vector<Tensor>& xs, const Tensor& out);

}  // namespace cutrain::cpu
