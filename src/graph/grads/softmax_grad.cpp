// Backward rules of the softmax ops (their definition: src/ops/softmax.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"

namespace cutrain::graph {

namespace {

Value softmax_output(Graph& g, const Node& n) { return Value{&g, n.id, 0}; }
// Sum over the last axis, kept as size 1 so it broadcasts against the rows.
Value row_sum(Value v) { return sum(v, {-1}, true); }

void add_forward_grad(GradientRegistry& r, const std::string& name) {
  const std::string grad_op = name + "_grad";
  r.add(name, [grad_op](Graph& g, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{g.apply1(grad_op, {dys[0], softmax_output(g, n)})};
  });
}

void add_backward_grad(GradientRegistry& r, const std::string& name, bool log) {
  r.add(name, [name, log](Graph& g, const Node& n, const std::vector<Value>& dgs) {
    // dx is linear in dy with a symmetric (softmax) or transposed (log) Jacobian.
    const Value gg = dgs[0], dy = n.input(0), y = n.input(1);
    if (!log) {
      // dx = y*dy - y*S, S = sum(dy*y):  d/d dy = softmax_grad(gg, y);
      // d/dy = gg*(dy - S) - dy*sum(gg*y).
      const Value d_dy = g.apply1(name, {gg, y});
      const Value d_y = sub(mul(gg, sub(dy, row_sum(mul(dy, y)))), mul(dy, row_sum(mul(gg, y))));
      return std::vector<Value>{d_dy, d_y};
    }
    // dx = dy - exp(y)*S, S = sum(dy):  d/d dy = gg - sum(gg*exp(y));
    // d/dy = -gg*exp(y)*S.
    const Value e = exp(y);
    const Value d_dy = sub(gg, row_sum(mul(gg, e)));
    const Value d_y = neg(mul(mul(gg, e), row_sum(dy)));
    return std::vector<Value>{d_dy, d_y};
  });
}

}  // namespace

void register_softmax_grads(GradientRegistry& r) {
  add_forward_grad(r, "softmax");
  add_forward_grad(r, "log_softmax");
  add_backward_grad(r, "softmax_grad", false);
  add_backward_grad(r, "log_softmax_grad", true);
}

}  // namespace cutrain::graph
