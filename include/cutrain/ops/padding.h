// Reads the window of a convolution or pooling op from its attributes into
// the plain geometry of cutrain/params/window.h (where the SAME / VALID /
// EXPLICIT arithmetic is spelled out).
#pragma once

#include <cstdint>

#include "cutrain/ops/attrs.h"
#include "cutrain/params/window.h"

namespace cutrain::ops {

using params::Padding;
using params::padding_name;
using params::parse_padding;
using params::Window2d;
using params::window_axis;
using params::WindowAxis;

// Reads the attrs `strides` [sh, sw], `padding`, `pads` [top, bottom, left,
// right] (EXPLICIT only) and `dilations` [dh, dw] (default 1). Throws naming
// the sizes when the window does not fit (op inference adds the op and shapes).
Window2d window_2d(const Attrs& attrs, int64_t in_h, int64_t in_w,
                   int64_t kh, int64_t kw);

}  // namespace cutrain::ops
