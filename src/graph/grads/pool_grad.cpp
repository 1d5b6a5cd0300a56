// Backward rules of the pool ops (their definition: src/ops/pool.cpp).
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

namespace {

Attrs window_attrs(const Attrs& a) {
  Attrs w;
  for (const char* k : {"window", "strides", "padding", "pads", "count_include_pad"})
    if (a.has(k)) w.set(k, a.values().at(k));
  return w;
}

Value avg_pool_grad(Value dy, const Shape& input_shape, const Attrs& pool_attrs) {
  Attrs a = window_attrs(pool_attrs);
  a.set("input_shape", input_shape.dims());
  return dy.graph->apply1("avg_pool_grad", {dy}, a);
}

Value global_avg_pool_grad(Value dy, const Shape& input_shape) {
  return dy.graph->apply1("global_avg_pool_grad", {dy}, {{"input_shape", input_shape.dims()}});
}

std::vector<Value> no_grads(size_t n) { return std::vector<Value>(n); }

}  // namespace

void register_pool_grads(GradientRegistry& r) {
  r.add("max_pool", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    if (!dys[0].defined()) return no_grads(1);
    return std::vector<Value>{g.apply1("max_pool_grad", {dys[0], n.inputs[0]}, window_attrs(n.attrs))};
  });
  r.add("avg_pool", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    if (!dys[0].defined()) return no_grads(1);
    return std::vector<Value>{avg_pool_grad(dys[0], n.inputs[0].shape(), n.attrs)};
  });
  // Linear in dy: its adjoint is avg_pool itself.
  r.add("avg_pool_grad", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    if (!dys[0].defined()) return no_grads(1);
    Attrs a = window_attrs(n.attrs);
    return std::vector<Value>{g.apply1("avg_pool", {dys[0]}, a)};
  });
  r.add("global_avg_pool", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    if (!dys[0].defined()) return no_grads(1);
    return std::vector<Value>{global_avg_pool_grad(dys[0], n.inputs[0].shape())};
  });
  r.add("global_avg_pool_grad", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    if (!dys[0].defined()) return no_grads(1);
    const bool keepdims = n.inputs[0].shape().rank() == 4;
    return std::vector<Value>{g.apply1("global_avg_pool", {dys[0]}, {{"keepdims", keepdims}})};
  });
}

}  // namespace cutrain::graph
