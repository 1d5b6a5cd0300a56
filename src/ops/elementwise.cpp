// Elementwise op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/elementwise.h"

#include <cmath>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/elementwise.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::ops {

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

void add_unary(OpRegistry& r, const std::string& name, cpu::Unary kind) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = same_as_first;
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::unary(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], out[0]);
      });
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
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::unary_grad(ctx.op_name, kind, ctx.attrs.f("alpha", 0.0), in[0], in[1], out[0]);
      });
  r.add(std::move(s));
}

void add_binary(OpRegistry& r, const std::string& name, cpu::Binary kind) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 2;
  s.infer = [name](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_OP_CHECK(name, in[0].dtype == in[1].dtype, "dtypes ", dtype_name(in[0].dtype), " and ",
                     dtype_name(in[1].dtype), " differ");
    return std::vector<TensorSpec>{{broadcast_shapes(in[0].shape, in[1].shape, name.c_str()), in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [kind](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::binary(ctx.op_name, kind, in[0], in[1], out[0]);
      });
  r.add(std::move(s));
}

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  using cpu::Unary;
  add_unary(r, "relu", Unary::relu);
  add_unary(r, "leaky_relu", Unary::leaky_relu);
  add_unary(r, "sigmoid", Unary::sigmoid);
  add_unary(r, "tanh", Unary::tanh);
  add_unary(r, "square", Unary::square);
  add_unary(r, "exp", Unary::exp);
  add_unary(r, "log", Unary::log);
  add_unary(r, "sqrt", Unary::sqrt);
  add_unary(r, "neg", Unary::neg);
  add_unary(r, "scale", Unary::scale);
  add_unary(r, "add_scalar", Unary::add_scalar);
  add_unary_grad(r, "relu_grad", cpu::UnaryGrad::relu);
  add_unary_grad(r, "leaky_relu_grad", cpu::UnaryGrad::leaky_relu);
  add_unary_grad(r, "sigmoid_grad", cpu::UnaryGrad::sigmoid);
  add_unary_grad(r, "tanh_grad", cpu::UnaryGrad::tanh);

  using cpu::Binary;
  add_binary(r, "add", Binary::add);
  add_binary(r, "sub", Binary::sub);
  add_binary(r, "mul", Binary::mul);
  add_binary(r, "div", Binary::div);

  OpSchema s;
  s.name = "sum_to";
  s.num_inputs = 1;
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape target(a.ints("shape"));
    CUTRAIN_CHECK(broadcast_shapes(target, in[0].shape, "sum_to") == in[0].shape, "cannot sum ",
                  in[0].shape.str(), " to ", target.str());
    return std::vector<TensorSpec>{{target, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& ctx, const std::vector<Tensor>& in,
                                                 const std::vector<Tensor>& out) {
    cpu::sum_to(ctx.op_name, in[0], out[0]);
  });
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
  an.kernels[DeviceType::cpu] = cpu::on_stream([](const OpContext& ctx, const std::vector<Tensor>& in,
                                                  const std::vector<Tensor>& out) {
    cpu::add_n(ctx.op_name, in, out[0]);
  });
  r.add(std::move(an));
}

}  // namespace cutrain::ops
