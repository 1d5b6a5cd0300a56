// Backward rules of the spectral_norm ops (their definition: src/ops/spectral_norm.cpp).
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

void register_spectral_norm_grads(GradientRegistry& r) {
  r.add("spectral_norm", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    const Value w = n.inputs[0];
    Value gw = dys[0];
    if (!gw.defined()) gw = g.constant(Tensor::zeros(w.shape(), w.dtype()), "zeros");
    std::vector<Value> args{gw, Value{&g, n.id, 0}, n.inputs[1], n.inputs[2], Value{&g, n.id, 1}};
    if (dys.size() > 1 && dys[1].defined()) args.push_back(dys[1]);
    const Value dw = g.apply1("spectral_norm_grad", args, {{"dim", n.attrs.i("dim", 0)}});
    return std::vector<Value>{dw, Value{}, Value{}};
  });
}

}  // namespace cutrain::graph
