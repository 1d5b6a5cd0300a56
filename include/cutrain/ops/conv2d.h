// 2-D convolution ops (NHWC activations, OHWI weights).
//
//   conv2d(x [N, H, W, C], w [O, kh, kw, C] [, bias [O]]) -> y [N, OH, OW, O]
//     attrs: strides [sh, sw], padding "SAME" | "VALID" | "EXPLICIT",
//            pads [top, bottom, left, right] (EXPLICIT only), dilations [dh, dw] (default 1)
//   conv2d_backward_input(dy, w) -> dx         attrs: conv2d's + input_shape [N, H, W, C]
//   conv2d_backward_filter(dy, x) -> dw        attrs: conv2d's + filter_shape [O, kh, kw, C]
//   reduce_nhw_sum(x [..., C]) -> [C]          sum over every axis but the last (bias grads)
//
// Output sizes and padding follow ops/padding.h (TensorFlow's SAME rule).
// The backward ops have backward rules too (they are linear in each input).
//
// Graph builders: graph/ops/conv2d.h; backward rules: src/graph/grads/conv2d_grad.cpp.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

struct Conv2dOptions {
  std::vector<int64_t> strides{1, 1};
  std::string padding = "SAME";  // slim's conv2d default
  std::vector<int64_t> pads{};   // [top, bottom, left, right], EXPLICIT only
  std::vector<int64_t> dilations{1, 1};

  Attrs attrs() const;
};

}  // namespace cutrain::ops
