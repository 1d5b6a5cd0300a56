// Backward rules of the dropout ops (their definition: src/ops/dropout.cpp).
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

void register_dropout_grads(GradientRegistry& r) {
  r.add("dropout", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    // The mask output carries no gradient; dys[1] is ignored.
    if (!dys[0].defined()) return std::vector<Value>{Value{}};
    const Value mask{&g, n.id, 1};
    return std::vector<Value>{g.apply1("dropout_grad", {dys[0], mask}, {{"rate", n.attrs.f("rate")}})};
  });
  r.add("dropout_grad", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{g.apply1("dropout_grad", {dys[0], n.inputs[1]}, {{"rate", n.attrs.f("rate")}}),
                              Value{}};
  });
}

}  // namespace cutrain::graph
