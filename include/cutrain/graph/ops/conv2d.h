// Graph builders of the conv2d ops (their definition: cutrain/ops/conv2d.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/conv2d.h"

namespace cutrain::graph {

Value conv2d(Value x, Value w, const ops::Conv2dOptions& options = {}, Value bias = {});
Value conv2d_backward_input(Value dy, Value w, const Shape& input_shape, const Attrs& conv_attrs);
Value conv2d_backward_filter(Value dy, Value x, const Shape& filter_shape, const Attrs& conv_attrs);
Value reduce_nhw_sum(Value x);

// Only the window attributes of a conv2d-family node (strides, padding, pads,
// dilations), so the backward ops built from it carry nothing stale.
Attrs conv2d_window_attrs(const Attrs& a);

}  // namespace cutrain::graph
