// CUDA kernels of the elementwise family (kernels/elementwise.cu, sum_to via
// the axis reduction of kernels/reduce.cu).
#include "elementwise.cuh"
#include "glue.h"
#include "reduce.cuh"

namespace cutrain::cuda {

namespace {

using namespace glue;
using kernels::BinaryOp;
using kernels::UnaryGradOp;
using kernels::UnaryOp;

void add_unary(ops::OpRegistry& r, const char* name, UnaryOp op) {
  r.add_kernel(name, DeviceType::cuda, [op](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::unary(op, in_ptr<T>(in[0]), out_ptr<T>(out[0]), in[0].numel(), ctx.attrs.f("alpha", 0.0),
                           native(ctx));
    });
  });
}

// (dy, saved) -> dx
void add_unary_grad(ops::OpRegistry& r, const char* name, UnaryGradOp op) {
  r.add_kernel(name, DeviceType::cuda, [op](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::unary_grad(op, in_ptr<T>(in[0]), in_ptr<T>(in[1]), out_ptr<T>(out[0]), in[0].numel(),
                                ctx.attrs.f("alpha", 0.0), native(ctx));
    });
  });
}

void add_binary(ops::OpRegistry& r, const char* name, BinaryOp op) {
  r.add_kernel(name, DeviceType::cuda, [op](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    const kernels::BroadcastIndex idx = kernels::make_broadcast_index(dims(out[0]), dims(in[0]), dims(in[1]));
    by_dtype(ctx, out[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::binary(op, in_ptr<T>(in[0]), in_ptr<T>(in[1]), out_ptr<T>(out[0]), out[0].numel(), idx,
                            native(ctx));
    });
  });
}

}  // namespace

void register_elementwise_kernels(ops::OpRegistry& r) {
  add_unary(r, "relu", UnaryOp::relu);
  add_unary(r, "leaky_relu", UnaryOp::leaky_relu);
  add_unary(r, "sigmoid", UnaryOp::sigmoid);
  add_unary(r, "tanh", UnaryOp::tanh);
  add_unary(r, "square", UnaryOp::square);
  add_unary(r, "exp", UnaryOp::exp);
  add_unary(r, "log", UnaryOp::log);
  add_unary(r, "sqrt", UnaryOp::sqrt);
  add_unary(r, "neg", UnaryOp::neg);
  add_unary(r, "scale", UnaryOp::scale);
  add_unary(r, "add_scalar", UnaryOp::add_scalar);
  add_unary_grad(r, "relu_grad", UnaryGradOp::relu);
  add_unary_grad(r, "leaky_relu_grad", UnaryGradOp::leaky_relu);
  add_unary_grad(r, "sigmoid_grad", UnaryGradOp::sigmoid);
  add_unary_grad(r, "tanh_grad", UnaryGradOp::tanh);
  add_binary(r, "add", BinaryOp::add);
  add_binary(r, "sub", BinaryOp::sub);
  add_binary(r, "mul", BinaryOp::mul);
  add_binary(r, "div", BinaryOp::div);
  r.add_kernel("sum_to", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    const kernels::ReduceIndex idx = kernels::make_sum_to_index(dims(in[0]), dims(out[0]));
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::reduce_axes(in_ptr<T>(in[0]), idx, 1.0, out_ptr<T>(out[0]), native(ctx));
    });
  });
  r.add_kernel("add_n", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    by_dtype(ctx, out[0].dtype(), [&]<typename T>(T) {
      std::vector<const T*> xs;
      for (const Tensor& t : in) xs.push_back(in_ptr<T>(t));
      kernels::cuda::add_n(xs.data(), static_cast<int>(xs.size()), out_ptr<T>(out[0]), out[0].numel(), native(ctx));
    });
  });
}

}  // namespace cutrain::cuda
