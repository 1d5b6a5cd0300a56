// Pooling ops (NHWC).
//
//   max_pool(x) -> y             attrs: window [kh, kw], strides [sh, sw],
//                                       padding "SAME" | "VALID" | "EXPLICIT", pads
//   max_pool_grad(dy, x) -> dx   the gradient goes to each window's argmax
//                                (ties: the first in scan order)
//   avg_pool(x) -> y             attrs: max_pool's + count_include_pad (default false:
//                                TensorFlow, padding is left out of the divisor;
//                                true: torchvision's count_include_pad=True)
//   avg_pool_grad(dy) -> dx      attrs: avg_pool's + input_shape [N, H, W, C]
//   global_avg_pool(x [N, H, W, C]) -> [N, C], or [N, 1, 1, C] with attr keepdims
//   global_avg_pool_grad(dy) -> dx  attrs: input_shape
//
// Padding never wins a max. EXPLICIT pads must be smaller than the window.
//
// Graph builders: graph/ops/pool.h; backward rules: src/graph/grads/pool_grad.cpp.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::ops {

struct PoolOptions {
  std::vector<int64_t> window{3, 3};
  std::vector<int64_t> strides{1, 1};
  std::string padding = "VALID";  // slim's pooling default
  std::vector<int64_t> pads{};    // [top, bottom, left, right], EXPLICIT only
  bool count_include_pad = false;  // avg_pool only

  Attrs attrs() const;
};

}  // namespace cutrain::ops
