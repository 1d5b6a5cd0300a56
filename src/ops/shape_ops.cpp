// Shape op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/shape_ops.h"

#include <algorithm>
#include <numeric>

#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/shape_ops.h"

namespace cutrain::ops {

namespace {


std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Resolves a normalized axis in [0, rank) from a possibly negative one.
int axis_in(const char* op, int64_t axis, int rank, const Shape& shape) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  CUTRAIN_OP_CHECK(op, a >= 0 && a < rank, "axis ", axis, " out of range for ", shape.str());
  return static_cast<int>(a);
}

Shape reshape_target(const Shape& in, const std::vector<int64_t>& dims) {
  std::vector<int64_t> out = dims;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      CUTRAIN_OP_CHECK("reshape", infer < 0, "at most one -1 in shape ", ints_str(dims));
      infer = static_cast<int>(i);
    } else {
      CUTRAIN_OP_CHECK("reshape", out[i] >= 0, "negative dimension in shape ", ints_str(dims));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    CUTRAIN_OP_CHECK("reshape", known > 0 && in.numel() % known == 0, "cannot reshape ", in.str(),
                     " to ", ints_str(dims));
    out[static_cast<size_t>(infer)] = in.numel() / known;
  }
  CUTRAIN_OP_CHECK("reshape", Shape(out).numel() == in.numel(), "cannot reshape ", in.str(), " (",
                   in.numel(), " elements) to ", ints_str(dims));
  return Shape(out);
}

std::vector<int64_t> squeeze_axes(const Attrs& a, const Shape& in) {
  std::vector<int64_t> axes;
  for (int64_t ax : a.ints("axes", {})) axes.push_back(axis_in("squeeze", ax, in.rank(), in));
  if (a.ints("axes", {}).empty())
    for (int d = 0; d < in.rank(); ++d)
      if (in[d] == 1) axes.push_back(d);
  for (int64_t ax : axes)
    CUTRAIN_OP_CHECK("squeeze", in[static_cast<int>(ax)] == 1, "axis ", ax, " of ", in.str(),
                     " has size ", in[static_cast<int>(ax)], ", not 1");
  return axes;
}

}  // namespace

std::vector<int64_t> transpose_perm(const Attrs& a, int rank, const Shape& in) {
  std::vector<int64_t> perm = a.ints("perm", {});
  if (perm.empty()) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
    return perm;
  }
  CUTRAIN_OP_CHECK("transpose", static_cast<int>(perm.size()) == rank, "perm ", ints_str(perm),
                   " does not match ", in.str());
  std::vector<char> seen(static_cast<size_t>(rank), 0);
  for (int64_t& p : perm) {
    p = axis_in("transpose", p, rank, in);
    CUTRAIN_OP_CHECK("transpose", !seen[static_cast<size_t>(p)], "perm ", ints_str(a.ints("perm")),
                     " is not a permutation");
    seen[static_cast<size_t>(p)] = 1;
  }
  return perm;
}

namespace {

// Every reshape-like op: same data, a new shape; dy is reshaped back.
void add_view_op(OpRegistry& r, const std::string& name, std::function<Shape(const Attrs&, const Shape&)> shape) {
  OpSchema s;
  s.name = name;
  s.num_inputs = 1;
  s.infer = [shape](const Attrs& a, const std::vector<TensorSpec>& in) {
    return std::vector<TensorSpec>{{shape(a, in[0].shape), in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::copy_elements(ctx.op_name, in[0], out[0]);
      });
  r.add(std::move(s));
}

}  // namespace

void register_shape_ops(OpRegistry& r) {
  add_view_op(r, "reshape", [](const Attrs& a, const Shape& in) { return reshape_target(in, a.ints("shape")); });
  add_view_op(r, "flatten", [](const Attrs&, const Shape& in) {
    CUTRAIN_OP_CHECK("flatten", in.rank() >= 1, "needs at least one dimension, got ", in.str());
    int64_t inner = 1;
    for (int d = 1; d < in.rank(); ++d) inner *= in[d];
    return Shape{in[0], inner};
  });
  add_view_op(r, "squeeze", [](const Attrs& a, const Shape& in) {
    const std::vector<int64_t> axes = squeeze_axes(a, in);
    std::vector<int64_t> out;
    for (int d = 0; d < in.rank(); ++d)
      if (std::find(axes.begin(), axes.end(), d) == axes.end()) out.push_back(in[d]);
    return Shape(out);
  });
  add_view_op(r, "expand_dims", [](const Attrs& a, const Shape& in) {
    const int ax = axis_in("expand_dims", a.i("axis"), in.rank() + 1, in);
    std::vector<int64_t> out = in.dims();
    out.insert(out.begin() + ax, 1);
    return Shape(out);
  });

  OpSchema c;
  c.name = "concat";
  c.num_inputs = -1;
  c.min_inputs = 1;
  c.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape& s0 = in[0].shape;
    const int ax = axis_in("concat", a.i("axis"), s0.rank(), s0);
    std::vector<int64_t> out = s0.dims();
    out[static_cast<size_t>(ax)] = 0;
    for (const TensorSpec& t : in) {
      bool ok = t.dtype == in[0].dtype && t.shape.rank() == s0.rank();
      for (int d = 0; ok && d < s0.rank(); ++d) ok = d == ax || t.shape[d] == s0[d];
      CUTRAIN_OP_CHECK("concat", ok, "inputs ", specs_str(in), " differ outside axis ", ax);
      out[static_cast<size_t>(ax)] += t.shape[ax];
    }
    return std::vector<TensorSpec>{{Shape(out), in[0].dtype}};
  };
  c.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::concat(ctx.op_name, in, out[0].shape().normalize_axis(static_cast<int>(ctx.attrs.i("axis"))), out[0]);
      });
  r.add(std::move(c));

  OpSchema sp;
  sp.name = "split";
  sp.num_inputs = 1;
  sp.num_outputs = -1;
  sp.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape& s = in[0].shape;
    const int ax = axis_in("split", a.i("axis"), s.rank(), s);
    const std::vector<int64_t>& sizes = a.ints("sizes");
    CUTRAIN_OP_CHECK("split", !sizes.empty(), "needs at least one size");
    int64_t total = 0;
    std::vector<TensorSpec> out;
    for (int64_t k : sizes) {
      CUTRAIN_OP_CHECK("split", k >= 0, "negative size in ", ints_str(sizes));
      total += k;
      std::vector<int64_t> d = s.dims();
      d[static_cast<size_t>(ax)] = k;
      out.push_back({Shape(d), in[0].dtype});
    }
    CUTRAIN_OP_CHECK("split", total == s[ax], "sizes ", ints_str(sizes), " sum to ", total,
                     ", but axis ", ax, " of ", s.str(), " has ", s[ax]);
    return out;
  };
  sp.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::split(ctx.op_name, in[0], in[0].shape().normalize_axis(static_cast<int>(ctx.attrs.i("axis"))), out);
      });
  r.add(std::move(sp));

  OpSchema t;
  t.name = "transpose";
  t.num_inputs = 1;
  t.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape& s = in[0].shape;
    const std::vector<int64_t> perm = transpose_perm(a, s.rank(), s);
    std::vector<int64_t> out;
    for (int64_t p : perm) out.push_back(s[static_cast<int>(p)]);
    return std::vector<TensorSpec>{{Shape(out), in[0].dtype}};
  };
  t.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::transpose(ctx.op_name, in[0], transpose_perm(ctx.attrs, in[0].rank(), in[0].shape()), out[0]);
      });
  r.add(std::move(t));
}

}  // namespace cutrain::ops
