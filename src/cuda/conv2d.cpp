// CUDA kernels of the convolution family (cutrain/cuda/conv2d_ops.h): cuDNN
// (include/cutrain/cuda/conv.h) for the convolutions, kernels/bias.cu for the
// bias add, the bias gradient (reduce_nhw_sum) and the explicit zero padding
// that stands in for paddings cuDNN cannot express (TF SAME's asymmetric
// split: the input is padded, the convolution runs unpadded, and the data
// gradient is cropped back). f16/bf16 run cuDNN in the 16-bit type with fp32
// compute and the helpers above in fp32 arithmetic.
#include <type_traits>

#include "bias.cuh"
#include "cutrain/cuda/conv.h"
#include "cutrain/cuda/conv2d_ops.h"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

namespace {

ConvGeometry geometry(const params::Conv2d& p) {
  const params::Window2d& win = p.window;
  ConvGeometry g;
  g.n = static_cast<int>(p.n), g.h = static_cast<int>(win.in_h), g.w = static_cast<int>(win.in_w);
  g.c = static_cast<int>(p.c);
  g.o = static_cast<int>(p.o), g.kh = static_cast<int>(win.kh), g.kw = static_cast<int>(win.kw);
  g.oh = static_cast<int>(win.out_h), g.ow = static_cast<int>(win.out_w);
  g.stride_h = static_cast<int>(win.sh), g.stride_w = static_cast<int>(win.sw);
  g.pad_top = static_cast<int>(win.pad_top), g.pad_bottom = static_cast<int>(win.pad_bottom);
  g.pad_left = static_cast<int>(win.pad_left), g.pad_right = static_cast<int>(win.pad_right);
  g.dilation_h = static_cast<int>(win.dh), g.dilation_w = static_cast<int>(win.dw);
  g.allow_tf32 = p.allow_tf32;
  return g;
}

bool symmetric(const ConvGeometry& g) { return g.pad_top == g.pad_bottom && g.pad_left == g.pad_right; }

// The geometry over the explicitly padded input.
ConvGeometry unpadded(ConvGeometry g) {
  g.h += g.pad_top + g.pad_bottom, g.w += g.pad_left + g.pad_right;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 0;
  return g;
}

template <typename T>
Tensor padded_input(const Tensor& x, const ConvGeometry& g, const Stream& stream) {
  const ConvGeometry p = unpadded(g);
  Tensor xp = Tensor::empty(Shape{g.n, p.h, p.w, g.c}, x.dtype(), x.device(), stream);
  kernels::cuda::pad_nhwc(in_ptr<T>(x), g.n, g.h, g.w, g.c, g.pad_top, g.pad_bottom, g.pad_left, g.pad_right,
                          out_ptr<T>(xp), native(stream));
  return xp;
}

}  // namespace

void conv2d(const std::string& op, const params::Conv2d& p, const Tensor& x, const Tensor& w, const Tensor& bias,
            const Tensor& y, const Stream& stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    const ConvGeometry g = geometry(p);
    if (symmetric(g)) {
      conv2d_forward(x, w, y, g, stream);
    } else {
      conv2d_forward(padded_input<T>(x, g, stream), w, y, unpadded(g), stream);
    }
    if (bias.defined()) kernels::cuda::bias_add(out_ptr<T>(y), in_ptr<T>(bias), y.numel() / g.o, g.o, native(stream));
  });
}

void conv2d_backward_input(const std::string& op, const params::Conv2d& p, const Tensor& dy, const Tensor& w,
                           const Tensor& dx, const Stream& stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    const ConvGeometry g = geometry(p);
    if (symmetric(g)) {
      conv2d_backward_data(dy, w, dx, g, stream);
      return;
    }
    const ConvGeometry u = unpadded(g);
    const Tensor dxp = Tensor::empty(Shape{g.n, u.h, u.w, g.c}, dx.dtype(), dx.device(), stream);
    conv2d_backward_data(dy, w, dxp, u, stream);
    kernels::cuda::crop_nhwc(in_ptr<T>(dxp), g.n, g.h, g.w, g.c, g.pad_top, g.pad_bottom, g.pad_left, g.pad_right,
                             out_ptr<T>(dx), native(stream));
  });
}

void conv2d_backward_filter(const std::string& op, const params::Conv2d& p, const Tensor& dy, const Tensor& x,
                            const Tensor& dw, const Stream& stream) {
  by_float_dtype(op, dy.dtype(), [&]<typename T>(T) {
    const ConvGeometry g = geometry(p);
    if (symmetric(g)) {
      conv2d_backward_filter(dy, x, dw, g, stream);
    } else {
      conv2d_backward_filter(dy, padded_input<T>(x, g, stream), dw, unpadded(g), stream);
    }
  });
}

void reduce_nhw_sum(const std::string& op, const Tensor& x, const Tensor& out, const Stream& stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    const int64_t c = x.dim(-1), m = c > 0 ? x.numel() / c : 0;
    // 16-bit inputs: partial sums in an fp32 workspace, one rounding at the end.
    using W = std::conditional_t<sizeof(T) == 2, float, T>;
    const Tensor ws = scratch(x.device(), stream, kernels::cuda::channel_sum_workspace(m > 0 ? m : 1, c),
                              sizeof(T) == 2 ? DType::f32 : x.dtype());
    kernels::cuda::channel_sum(in_ptr<T>(x), m, c, out_ptr<T>(out), out_ptr<W>(ws), native(stream));
  });
}

}  // namespace cutrain::cuda
