// Parameters of the conv2d family (conv2d, conv2d_backward_input,
// conv2d_backward_filter), parsed once by ops::conv2d_params from the attrs
// and the input shapes, taken as they are by the CPU and CUDA kernels.
#pragma once

#include "cutrain/params/window.h"

namespace cutrain::params {

// x [N, H, W, C] (NHWC), w [O, kh, kw, C] (OHWI).
struct Conv2d {
  int64_t n = 0, c = 0, o = 0;
  Window2d window;
  // TF32 tensor cores for f32 on CUDA (attribute "allow_tf32", set per model
  // by graph::allow_tf32 under Precision::tf32); no effect on the CPU.
  bool allow_tf32 = false;
};

}  // namespace cutrain::params
