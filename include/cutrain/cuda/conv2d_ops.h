// The conv2d family on CUDA, on the plain parameters of cutrain/params/conv2d.h:
// cuDNN (cutrain/cuda/conv.h) for the convolutions, kernels/bias.cu for the
// bias add, the bias gradient (reduce_nhw_sum) and the explicit zero padding
// that stands in for paddings cuDNN cannot express. Float and double; `op`
// names the op in errors.
//
// The work is queued on `stream`, which is the core Stream rather than its
// native handle: the padded copies and workspaces come from the device's
// stream-ordered caching allocator, which needs it.
#pragma once

#include <string>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/params/conv2d.h"

namespace cutrain::cuda {

// (x, w [, bias]) -> y; bias may be undefined.
void conv2d(const std::string& op, const params::Conv2d& p, const Tensor& x, const Tensor& w, const Tensor& bias,
            const Tensor& y, const Stream& stream);
// (dy, w) -> dx
void conv2d_backward_input(const std::string& op, const params::Conv2d& p, const Tensor& dy, const Tensor& w,
                           const Tensor& dx, const Stream& stream);
// (dy, x) -> dw
void conv2d_backward_filter(const std::string& op, const params::Conv2d& p, const Tensor& dy, const Tensor& x,
                            const Tensor& dw, const Stream& stream);
// x [..., C] -> out [C]
void reduce_nhw_sum(const std::string& op, const Tensor& x, const Tensor& out, const Stream& stream);

}  // namespace cutrain::cuda
