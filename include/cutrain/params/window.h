// Output size and padding of a sliding 2-D window (convolution, pooling):
// the plain geometry the op inference computes once and the CPU and CUDA
// kernels take. Core-only, so that the backends need nothing of the ops layer.
//
// SAME follows TensorFlow: out = ceil(in / stride), pad_total =
// max((out - 1) * stride + k_eff - in, 0), pad_before = pad_total / 2 and the
// odd pixel goes after. VALID has no padding: out = ceil((in - k_eff + 1) /
// stride). EXPLICIT takes [top, bottom, left, right] from the `pads` attr.
// k_eff = (k - 1) * dilation + 1.
#pragma once

#include <cstdint>
#include <string>

namespace cutrain::params {

enum class Padding { same, valid, explicit_pads };

// "SAME" | "VALID" | "EXPLICIT" (case-sensitive, as in TensorFlow).
Padding parse_padding(const std::string& name);
const char* padding_name(Padding p);

// One spatial axis.
struct WindowAxis {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};
// Throws naming the sizes when the window does not fit.
WindowAxis window_axis(Padding padding, int64_t in, int64_t kernel, int64_t stride, int64_t dilation = 1,
                       int64_t explicit_before = 0, int64_t explicit_after = 0);

// Both spatial axes of an NHWC window op, with everything a kernel needs.
struct Window2d {
  int64_t in_h = 0, in_w = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t dh = 1, dw = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_h = 0, out_w = 0;
};

}  // namespace cutrain::params
