// Backward rules of the conv2d ops (their definition: src/ops/conv2d.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"

namespace cutrain::graph {

void register_conv2d_grads(GradientRegistry& r) {
  r.add("conv2d", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(n.inputs.size());
    const Value dy = dys[0];
    if (!dy.defined()) return grads;
    const Value x = n.inputs[0], w = n.inputs[1];
    grads[0] = conv2d_backward_input(dy, w, x.shape(), n.attrs);
    grads[1] = conv2d_backward_filter(dy, x, w.shape(), n.attrs);
    if (n.inputs.size() == 3) grads[2] = reduce_nhw_sum(dy);
    return grads;
  });
  // dx = A(w)^T dy is bilinear: <g, A(w)^T dy> = <A(w) g, dy>.
  r.add("conv2d_backward_input", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(2);
    if (!dys[0].defined()) return grads;
    const Value dy = n.inputs[0], w = n.inputs[1];
    grads[0] = dy.graph->apply1("conv2d", {dys[0], w}, conv2d_window_attrs(n.attrs));
    grads[1] = conv2d_backward_filter(dy, dys[0], w.shape(), n.attrs);
    return grads;
  });
  // dw = B(x)^T dy is bilinear: <G, dw> = <dy, conv2d(x, G)>.
  r.add("conv2d_backward_filter", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(2);
    if (!dys[0].defined()) return grads;
    const Value dy = n.inputs[0], x = n.inputs[1];
    grads[0] = dy.graph->apply1("conv2d", {x, dys[0]}, conv2d_window_attrs(n.attrs));
    grads[1] = conv2d_backward_input(dy, dys[0], x.shape(), n.attrs);
    return grads;
  });
  r.add("reduce_nhw_sum", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(1);
    if (!dys[0].defined()) return grads;
    // Broadcast dy [C] back over the leading axes.
    const Value x = n.inputs[0];
    grads[0] = add(g.constant(Tensor::zeros(x.shape(), x.dtype()), "zeros"), dys[0]);
    return grads;
  });
}

}  // namespace cutrain::graph
