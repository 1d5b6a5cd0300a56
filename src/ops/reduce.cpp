// Reduction op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/reduce.h"

#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/reduce.h"
#include "cutrain/ops/elementwise.h"

namespace cutrain::ops {

// reduced[d] = 1 for each axis in attr axes (all axes when empty).
std::vector<char> reduced_axes(const std::string& op, const Attrs& a, const Shape& s) {
  const std::vector<int64_t> axes = a.ints("axes", {});
  std::vector<char> red(static_cast<size_t>(s.rank()), axes.empty() ? 1 : 0);
  for (int64_t ax : axes) {
    const int64_t d = ax < 0 ? ax + s.rank() : ax;
    CUTRAIN_OP_CHECK(op, d >= 0 && d < s.rank(), "axis ", ax, " out of range for ", s.str());
    CUTRAIN_OP_CHECK(op, !red[static_cast<size_t>(d)], "axis ", ax, " listed twice for ", s.str());
    red[static_cast<size_t>(d)] = 1;
  }
  return red;
}

Shape reduced_shape(const Shape& s, const std::vector<char>& red, bool keepdims) {
  std::vector<int64_t> out;
  for (int d = 0; d < s.rank(); ++d) {
    if (!red[static_cast<size_t>(d)]) out.push_back(s[d]);
    else if (keepdims) out.push_back(1);
  }
  return Shape(out);
}

int64_t reduced_count(const Shape& s, const std::vector<char>& red) {
  int64_t n = 1;
  for (int d = 0; d < s.rank(); ++d)
    if (red[static_cast<size_t>(d)]) n *= s[d];
  return n;
}

namespace {

void add_reduction(OpRegistry& r, const std::string& name, bool is_mean) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = [name](const Attrs& a, const std::vector<TensorSpec>& in) {
    const std::vector<char> red = reduced_axes(name, a, in[0].shape);
    return std::vector<TensorSpec>{{reduced_shape(in[0].shape, red, a.b("keepdims", false)), in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [is_mean](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        const std::vector<char> red = reduced_axes(ctx.op_name, ctx.attrs, in[0].shape());
        const int64_t count = reduced_count(in[0].shape(), red);
        const double scale = is_mean ? 1.0 / static_cast<double>(count > 0 ? count : 1) : 1.0;
        cpu::reduce_sum(ctx.op_name, in[0], red, scale, out[0]);
      });
  r.add(std::move(s));
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  add_reduction(r, "sum", false);
  add_reduction(r, "mean", true);

  OpSchema b;
  b.name = "broadcast_to";
  b.num_inputs = 1;
  b.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape target(a.ints("shape"));
    CUTRAIN_OP_CHECK("broadcast_to", in[0].shape.rank() <= target.rank() &&
                                         broadcast_shapes(in[0].shape, target, "broadcast_to") == target,
                     "cannot broadcast ", in[0].shape.str(), " to ", target.str());
    return std::vector<TensorSpec>{{target, in[0].dtype}};
  };
  b.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::broadcast_to(ctx.op_name, in[0], out[0]);
      });
  r.add(std::move(b));
}

}  // namespace cutrain::ops
