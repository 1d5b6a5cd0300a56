// Backward rules of the shape_ops ops (their definition: src/ops/shape_ops.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::graph {

namespace {

// Every reshape-like op: same data, a new shape; dy is reshaped back.
void add_view_grad(GradientRegistry& r, const std::string& name) {
  r.add(name, [](Graph&, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{reshape(dys[0], n.input(0).shape())};
  });
}

}  // namespace

void register_shape_ops_grads(GradientRegistry& r) {
  add_view_grad(r, "reshape");
  add_view_grad(r, "flatten");
  add_view_grad(r, "squeeze");
  add_view_grad(r, "expand_dims");
  r.add("concat", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    const int ax = n.outputs[0].shape.normalize_axis(static_cast<int>(n.attrs.i("axis")));
    std::vector<int64_t> sizes;
    for (const Value& v : n.inputs) sizes.push_back(v.shape()[ax]);
    if (sizes.size() == 1) return std::vector<Value>{dys[0]};
    return split(dys[0], ax, sizes);
  });
  r.add("split", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> parts;
    for (size_t k = 0; k < dys.size(); ++k) {
      const TensorSpec& spec = n.outputs[k];
      parts.push_back(dys[k].defined() ? dys[k] : g.constant(Tensor::zeros(spec.shape, spec.dtype), "zeros"));
    }
    return std::vector<Value>{parts.size() == 1 ? parts[0] : concat(parts, n.attrs.i("axis"))};
  });
  r.add("transpose", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    const Shape& s = n.input(0).shape();
    const std::vector<int64_t> perm = ops::transpose_perm(n.attrs, s.rank(), s);
    std::vector<int64_t> inv(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) inv[static_cast<size_t>(perm[d])] = static_cast<int64_t>(d);
    return std::vector<Value>{transpose(dys[0], inv)};
  });
}

}  // namespace cutrain::graph
