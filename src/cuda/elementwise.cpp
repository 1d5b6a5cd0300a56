// CUDA kernels of the elementwise family (cutrain/cuda/elementwise.h,
// kernels/elementwise.cu; sum_to via the axis reduction of kernels/reduce.cu).
// unary, unary_grad, binary and add_n also take f16 and bf16.
#include "cutrain/cuda/elementwise.h"

#include "elementwise.cuh"
#include "glue.h"
#include "reduce.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

// The kinds by name, not by value: the two enums may be reordered independently.
kernels::UnaryOp kernel_op(params::Unary k) {
  switch (k) {
    case params::Unary::relu: return kernels::UnaryOp::relu;
    case params::Unary::leaky_relu: return kernels::UnaryOp::leaky_relu;
    case params::Unary::sigmoid: return kernels::UnaryOp::sigmoid;
    case params::Unary::tanh: return kernels::UnaryOp::tanh;
    case params::Unary::square: return kernels::UnaryOp::square;
    case params::Unary::exp: return kernels::UnaryOp::exp;
    case params::Unary::log: return kernels::UnaryOp::log;
    case params::Unary::sqrt: return kernels::UnaryOp::sqrt;
    case params::Unary::neg: return kernels::UnaryOp::neg;
    case params::Unary::scale: return kernels::UnaryOp::scale;
    case params::Unary::add_scalar: return kernels::UnaryOp::add_scalar;
  }
  CUTRAIN_THROW("unknown Unary kind ", static_cast<int>(k));
}

kernels::UnaryGradOp kernel_op(params::UnaryGrad k) {
  switch (k) {
    case params::UnaryGrad::relu: return kernels::UnaryGradOp::relu;
    case params::UnaryGrad::leaky_relu: return kernels::UnaryGradOp::leaky_relu;
    case params::UnaryGrad::sigmoid: return kernels::UnaryGradOp::sigmoid;
    case params::UnaryGrad::tanh: return kernels::UnaryGradOp::tanh;
  }
  CUTRAIN_THROW("unknown UnaryGrad kind ", static_cast<int>(k));
}

kernels::BinaryOp kernel_op(params::Binary k) {
  switch (k) {
    case params::Binary::add: return kernels::BinaryOp::add;
    case params::Binary::sub: return kernels::BinaryOp::sub;
    case params::Binary::mul: return kernels::BinaryOp::mul;
    case params::Binary::div: return kernels::BinaryOp::div;
  }
  CUTRAIN_THROW("unknown Binary kind ", static_cast<int>(k));
}

}  // namespace

void unary(const std::string& op, params::Unary kind, double alpha, const Tensor& x, const Tensor& y,
           cudaStream_t stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::unary(kernel_op(kind), in_ptr<T>(x), out_ptr<T>(y), x.numel(), alpha, stream);
  });
}

void unary_grad(const std::string& op, params::UnaryGrad kind, double alpha, const Tensor& dy, const Tensor& saved,
                const Tensor& dx, cudaStream_t stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    kernels::cuda::unary_grad(kernel_op(kind), in_ptr<T>(dy), in_ptr<T>(saved), out_ptr<T>(dx), dy.numel(), alpha,
                              stream);
  });
}

void binary(const std::string& op, params::Binary kind, const Tensor& a, const Tensor& b, const Tensor& out,
            cudaStream_t stream) {
  const kernels::BroadcastIndex idx = kernels::make_broadcast_index(dims(out), dims(a), dims(b));
  by_float_dtype(op, out.dtype(), [&]<typename T>(T) {
    kernels::cuda::binary(kernel_op(kind), in_ptr<T>(a), in_ptr<T>(b), out_ptr<T>(out), out.numel(), idx, stream);
  });
}

void sum_to(const std::string& op, const Tensor& x, const Tensor& out, cudaStream_t stream) {
  const kernels::ReduceIndex idx = kernels::make_sum_to_index(dims(x), dims(out));
  by_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::reduce_axes(in_ptr<T>(x), idx, 1.0, out_ptr<T>(out), stream);
  });
}

void add_n(const std::string& op, const std::vector<Tensor>& xs, const Tensor& out, cudaStream_t stream) {
  by_float_dtype(op, out.dtype(), [&]<typename T>(T) {
    // 16-bit sums are carried in fp32 and rounded once: one launch of at most
    // kAddNMaxInputs inputs.
    CUTRAIN_CHECK(sizeof(T) != 2 || xs.size() <= static_cast<std::size_t>(kernels::kAddNMaxInputs), "op '", op,
                  "' on CUDA: ", xs.size(), " inputs in ", dtype_name(out.dtype()), ", at most ",
                  kernels::kAddNMaxInputs, " supported");
    std::vector<const T*> ptrs;
    for (const Tensor& t : xs) ptrs.push_back(in_ptr<T>(t));
    kernels::cuda::add_n(ptrs.data(), static_cast<int>(ptrs.size()), out_ptr<T>(out), out.numel(), stream);
  });
}

}  // namespace cutrain::cuda
