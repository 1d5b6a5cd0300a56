// Backward rules of the reduce ops (their definition: src/ops/reduce.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::graph {

namespace {

void add_reduction_grad(GradientRegistry& r, const std::string& name, bool is_mean) {
  r.add(name, [name, is_mean](Graph&, const Node& n, const std::vector<Value>& dys) {
    const Shape& xs = n.inputs[0].shape();
    const std::vector<char> red = ops::reduced_axes(name, n.attrs, xs);
    Value dx = broadcast_to(reshape(dys[0], ops::reduced_shape(xs, red, true)), xs);
    if (is_mean) {
      const int64_t count = ops::reduced_count(xs, red);
      dx = scale(dx, 1.0 / static_cast<double>(count > 0 ? count : 1));
    }
    return std::vector<Value>{dx};
  });
}

}  // namespace

void register_reduce_grads(GradientRegistry& r) {
  add_reduction_grad(r, "sum", false);
  add_reduction_grad(r, "mean", true);
  r.add("broadcast_to", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{sum_to(dys[0], n.inputs[0].shape())};
  });
}

}  // namespace cutrain::graph
