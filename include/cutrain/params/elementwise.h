// The kinds of the elementwise op family, shared by the op definitions, the
// CPU kernels and the CUDA functions. The unary ops read one attribute,
// `alpha` (leaky_relu's slope, scale's factor, add_scalar's addend; default 0),
// which the op passes on as a plain double.
#pragma once

namespace cutrain::params {

enum class Unary { relu, leaky_relu, sigmoid, tanh, square, exp, log, sqrt, neg, scale, add_scalar };
enum class UnaryGrad { relu, leaky_relu, sigmoid, tanh };
enum class Binary { add, sub, mul, div };

}  // namespace cutrain::params
