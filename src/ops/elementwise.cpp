// Elementwise op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/elementwise.h"

#include <cmath>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/elementwise.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/elementwise.h"
#endif
#include "cutrain/graph/autodiff.h"

namespace cutrain::ops {

using graph::Graph;
using graph::Node;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int r = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(static_cast<size_t>(r));
  for (int i = 0; i < r; ++i) {
    const int ia = a.rank() - r + i, ib = b.rank() - r + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    CUTRAIN_OP_CHECK(op, da == db || da == 1 || db == 1, "shapes ", a.str(), " and ", b.str(),
                     " do not broadcast");
    out[static_cast<size_t>(i)] = da == 1 ? db : da;
  }
  return Shape(out);
}

namespace {

std::vector<TensorSpec> same_as_first(const Attrs&, const std::vector<TensorSpec>& in) {
  return {in[0]};
}

Value unary_op(const char* op, Value x, Attrs attrs = {}) { return x.graph->apply1(op, {x}, attrs); }

// Registers a unary op; `grad` maps (g, node, dy) to dx.
void add_unary(OpRegistry& r, const std::string& name, cpu::Unary kind,
               std::function<Value(Graph&, const Node&, Value)> grad) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = same_as_first;
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::unary(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [kind](const OpContext& ctx, const std::vector<Tensor>& in,
                                       const std::vector<Tensor>& out) {
    cuda::unary(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], out[0], cuda_stream(ctx));
  };
#endif
  s.grad = [grad](Graph& g, const Node& n, const std::vector<Value>& dys) -> std::vector<Value> {
    return {grad(g, n, dys[0])};
  };
  r.add(std::move(s));
}

void add_unary_grad(OpRegistry& r, const std::string& name, cpu::UnaryGrad kind) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 2;  // (dy, saved): saved is y or x depending on the op
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_OP_CHECK(name, in[0] == in[1], "dy ", in[0].str(), " and saved ", in[1].str(), " differ");
    return std::vector<TensorSpec>{in[0]};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::unary_grad(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [kind](const OpContext& ctx, const std::vector<Tensor>& in,
                                       const std::vector<Tensor>& out) {
    cuda::unary_grad(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], in[1], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(s));
}

Value out_of(Graph& g, const Node& n, int i = 0) { return Value{&g, n.id, i}; }

void add_binary(OpRegistry& r, const std::string& name, cpu::Binary kind,
                std::function<std::vector<Value>(Graph&, const Node&, Value)> grad) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 2;
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_OP_CHECK(name, in[0].dtype == in[1].dtype, "dtypes ", dtype_name(in[0].dtype), " and ",
                     dtype_name(in[1].dtype), " differ");
    return std::vector<TensorSpec>{{broadcast_shapes(in[0].shape, in[1].shape, name.c_str()), in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::binary(ctx.op_name, kind, in[0], in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [kind](const OpContext& ctx, const std::vector<Tensor>& in,
                                       const std::vector<Tensor>& out) {
    cuda::binary(ctx.op_name, kind, in[0], in[1], out[0], cuda_stream(ctx));
  };
#endif
  s.grad = [grad](Graph& g, const Node& n, const std::vector<Value>& dys) { return grad(g, n, dys[0]); };
  r.add(std::move(s));
}

}  // namespace

Value add(Value a, Value b) { return a.graph->apply1("add", {a, b}); }
Value sub(Value a, Value b) { return a.graph->apply1("sub", {a, b}); }
Value mul(Value a, Value b) { return a.graph->apply1("mul", {a, b}); }
Value div(Value a, Value b) { return a.graph->apply1("div", {a, b}); }
Value relu(Value x) { return unary_op("relu", x); }
Value leaky_relu(Value x, double alpha) { return unary_op("leaky_relu", x, {{"alpha", alpha}}); }
Value sigmoid(Value x) { return unary_op("sigmoid", x); }
Value tanh(Value x) { return unary_op("tanh", x); }
Value square(Value x) { return unary_op("square", x); }
Value exp(Value x) { return unary_op("exp", x); }
Value log(Value x) { return unary_op("log", x); }
Value sqrt(Value x) { return unary_op("sqrt", x); }
Value neg(Value x) { return unary_op("neg", x); }
Value scale(Value x, double alpha) { return unary_op("scale", x, {{"alpha", alpha}}); }
Value add_scalar(Value x, double alpha) { return unary_op("add_scalar", x, {{"alpha", alpha}}); }
Value sum_to(Value x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return x.graph->apply1("sum_to", {x}, {{"shape", shape.dims()}});
}

void register_elementwise_ops(OpRegistry& r) {
  using cpu::Unary;
  add_unary(r, "relu", Unary::relu, [](Graph& g, const Node& n, Value dy) {
    return g.apply1("relu_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "leaky_relu", Unary::leaky_relu, [](Graph& g, const Node& n, Value dy) {
    return g.apply1("leaky_relu_grad", {dy, n.input(0)}, {{"alpha", n.attrs.f("alpha")}});
  });
  add_unary(r, "sigmoid", Unary::sigmoid, [](Graph& g, const Node& n, Value dy) {
    return g.apply1("sigmoid_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "tanh", Unary::tanh, [](Graph& g, const Node& n, Value dy) {
    return g.apply1("tanh_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "square", Unary::square, [](Graph&, const Node& n, Value dy) {
    return mul(dy, scale(n.input(0), 2.0));
  });
  add_unary(r, "exp", Unary::exp, [](Graph& g, const Node& n, Value dy) { return mul(dy, out_of(g, n)); });
  add_unary(r, "log", Unary::log, [](Graph&, const Node& n, Value dy) { return div(dy, n.input(0)); });
  add_unary(r, "sqrt", Unary::sqrt, [](Graph& g, const Node& n, Value dy) {
    return div(scale(dy, 0.5), out_of(g, n));
  });
  add_unary(r, "neg", Unary::neg, [](Graph&, const Node&, Value dy) { return neg(dy); });
  add_unary(r, "scale", Unary::scale, [](Graph&, const Node& n, Value dy) {
    return scale(dy, n.attrs.f("alpha"));
  });
  add_unary(r, "add_scalar", Unary::add_scalar, [](Graph&, const Node&, Value dy) { return dy; });
  add_unary_grad(r, "relu_grad", cpu::UnaryGrad::relu);
  add_unary_grad(r, "leaky_relu_grad", cpu::UnaryGrad::leaky_relu);
  add_unary_grad(r, "sigmoid_grad", cpu::UnaryGrad::sigmoid);
  add_unary_grad(r, "tanh_grad", cpu::UnaryGrad::tanh);

  using cpu::Binary;
  add_binary(r, "add", Binary::add, [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(dy, n.input(0).shape()), sum_to(dy, n.input(1).shape())};
  });
  add_binary(r, "sub", Binary::sub, [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(dy, n.input(0).shape()), sum_to(neg(dy), n.input(1).shape())};
  });
  add_binary(r, "mul", Binary::mul, [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(mul(dy, n.input(1)), n.input(0).shape()),
                              sum_to(mul(dy, n.input(0)), n.input(1).shape())};
  });
  add_binary(r, "div", Binary::div, [](Graph& g, const Node& n, Value dy) {
    // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
    const Value a = n.input(0), b = n.input(1), y = out_of(g, n);
    return std::vector<Value>{sum_to(div(dy, b), a.shape()), sum_to(neg(div(mul(dy, y), b)), b.shape())};
  });

  OpSchema s;
  s.name = "sum_to";
  s.num_inputs = 1;
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape target(a.ints("shape"));
    CUTRAIN_CHECK(broadcast_shapes(target, in[0].shape, "sum_to") == in[0].shape, "cannot sum ",
                  in[0].shape.str(), " to ", target.str());
    return std::vector<TensorSpec>{{target, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& ctx, const std::vector<Tensor>& in,
                                                 const std::vector<Tensor>& out) {
    cpu::sum_to(ctx.op_name, in[0], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::sum_to(ctx.op_name, in[0], out[0], cuda_stream(ctx));
  };
#endif
  s.grad = [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    // Broadcasting dy back up: add it to zeros of the input's shape.
    const Value x = n.input(0);
    Value zeros = g.constant(Tensor::zeros(x.shape(), x.dtype()), "zeros");
    return std::vector<Value>{add(zeros, dys[0])};
  };
  r.add(std::move(s));

  OpSchema an;
  an.name = "add_n";
  an.num_inputs = -1;
  an.min_inputs = 1;
  an.infer = [](const Attrs&, const std::vector<TensorSpec>& in) {
    for (const TensorSpec& t : in)
      CUTRAIN_CHECK(t == in[0], "all inputs must have the same shape and dtype, got ", specs_str(in));
    return std::vector<TensorSpec>{in[0]};
  };
  an.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& ctx, const std::vector<Tensor>& in,
                                                  const std::vector<Tensor>& out) {
    cpu::add_n(ctx.op_name, in, out[0]);
  });
#if CUTRAIN_WITH_CUDA
  an.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                    const std::vector<Tensor>& out) {
    cuda::add_n(ctx.op_name, in, out[0], cuda_stream(ctx));
  };
#endif
  an.grad = [](Graph&, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>(n.inputs.size(), dys[0]);
  };
  r.add(std::move(an));
}

}  // namespace cutrain::ops
