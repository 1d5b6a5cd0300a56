// Parameters of the windowed pooling ops (max_pool, avg_pool and their
// gradients), parsed once by ops::pool_params from the attrs and the input
// shape, taken as they are by the CPU and CUDA kernels.
#pragma once

#include "cutrain/params/window.h"

namespace cutrain::params {

// x [N, H, W, C] (NHWC).
struct Pool2d {
  int64_t n = 0, c = 0;
  Window2d window;
  // Average only: divide by the window's extent inside the padded input
  // (torchvision's count_include_pad) instead of its in-bounds elements.
  bool count_include_pad = false;
};

}  // namespace cutrain::params
