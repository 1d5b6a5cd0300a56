// Backward rules of the regularizers ops (their definition: src/ops/regularizers.cpp).
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

void register_regularizers_grads(GradientRegistry& r) {
  r.add("l2_loss", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{g.apply1("l2_loss_grad", {dys[0], n.inputs[0]},
                                       {{"weight_decay", n.attrs.f("weight_decay", 1.0)}})};
  });
}

}  // namespace cutrain::graph
