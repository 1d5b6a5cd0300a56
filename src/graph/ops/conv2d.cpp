// Graph builders of the conv2d ops.
#include "cutrain/graph/ops/conv2d.h"

namespace cutrain::graph {

Attrs conv2d_window_attrs(const Attrs& a) {
  Attrs w;
  for (const char* k : {"strides", "padding", "pads", "dilations"})
    if (a.has(k)) w.set(k, a.values().at(k));
  return w;
}

Value conv2d(Value x, Value w, const ops::Conv2dOptions& options, Value bias) {
  std::vector<Value> in{x, w};
  if (bias.defined()) in.push_back(bias);
  return x.graph->apply1("conv2d", in, options.attrs());
}
Value conv2d_backward_input(Value dy, Value w, const Shape& input_shape, const Attrs& conv_attrs) {
  Attrs a = conv2d_window_attrs(conv_attrs);
  a.set("input_shape", input_shape.dims());
  return dy.graph->apply1("conv2d_backward_input", {dy, w}, a);
}
Value conv2d_backward_filter(Value dy, Value x, const Shape& filter_shape, const Attrs& conv_attrs) {
  Attrs a = conv2d_window_attrs(conv_attrs);
  a.set("filter_shape", filter_shape.dims());
  return dy.graph->apply1("conv2d_backward_filter", {dy, x}, a);
}
Value reduce_nhw_sum(Value x) { return x.graph->apply1("reduce_nhw_sum", {x}); }

}  // namespace cutrain::graph
