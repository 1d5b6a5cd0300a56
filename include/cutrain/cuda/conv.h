// cuDNN convolutions for NHWC activations and OHWI (cuDNN's KRSC) filters:
// forward, backward data and backward filter, with the algorithm chosen per
// (shape, dtype, direction) from cuDNN's heuristics and cached for the
// process, workspace from the device's caching allocator under a cap, a
// fall-back to the smallest-workspace algorithm on out-of-memory, and a
// deterministic mode that only accepts deterministic algorithms.
#pragma once

#include <cstddef>
#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain::cuda {

struct ConvGeometry {
  int n = 0, h = 0, w = 0, c = 0;  // input NHWC
  int o = 0, kh = 0, kw = 0;        // filter OHWI
  int oh = 0, ow = 0;               // output
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  bool allow_tf32 = false;  // this model's TF32 choice (params::Conv2d), or-ed with conv_settings()'s
  std::string str() const;
};

struct ConvSettings {
  bool deterministic = false;
  bool allow_tf32 = false;                       // fp32 exact by default
  std::size_t workspace_cap = std::size_t{1} << 30;  // bytes
};
ConvSettings& conv_settings();  // process-wide; set before the first convolution

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& y, const ConvGeometry& g,
                    const Stream& stream);
void conv2d_backward_data(const Tensor& dy, const Tensor& w, const Tensor& dx, const ConvGeometry& g,
                          const Stream& stream);
void conv2d_backward_filter(const Tensor& dy, const Tensor& x, const Tensor& dw,
                            const ConvGeometry& g, const Stream& stream);

// Which algorithm the cache picked for a direction ("fwd", "bwd_data",
// "bwd_filter") and geometry, for tests and reports; -1 if none yet.
int chosen_algorithm(const std::string& direction, const ConvGeometry& g);

}  // namespace cutrain::cuda
