// CUDA kernels of the convolution family: cuDNN (include/cutrain/cuda/conv.h)
// for the convolutions, kernels/bias.cu for the bias add, the bias gradient
// (reduce_nhw_sum) and the explicit zero padding that stands in for paddings
// cuDNN cannot express (TF SAME's asymmetric split: the input is padded, the
// convolution runs unpadded, and the data gradient is cropped back).
#include "bias.cuh"
#include "cutrain/cuda/conv.h"
#include "cutrain/ops/padding.h"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

namespace {

ConvGeometry geometry(const ops::Attrs& a, const Shape& x, const Shape& w) {
  const ops::Window2d win = ops::window_2d(a, x[1], x[2], w[1], w[2]);
  ConvGeometry g;
  g.n = static_cast<int>(x[0]), g.h = static_cast<int>(x[1]), g.w = static_cast<int>(x[2]);
  g.c = static_cast<int>(x[3]);
  g.o = static_cast<int>(w[0]), g.kh = static_cast<int>(w[1]), g.kw = static_cast<int>(w[2]);
  g.oh = static_cast<int>(win.out_h), g.ow = static_cast<int>(win.out_w);
  g.stride_h = static_cast<int>(win.sh), g.stride_w = static_cast<int>(win.sw);
  g.pad_top = static_cast<int>(win.pad_top), g.pad_bottom = static_cast<int>(win.pad_bottom);
  g.pad_left = static_cast<int>(win.pad_left), g.pad_right = static_cast<int>(win.pad_right);
  g.dilation_h = static_cast<int>(win.dh), g.dilation_w = static_cast<int>(win.dw);
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
Tensor padded_input(const ops::OpContext& ctx, const Tensor& x, const ConvGeometry& g) {
  const ConvGeometry p = unpadded(g);
  Tensor xp = Tensor::empty(Shape{g.n, p.h, p.w, g.c}, x.dtype(), ctx.device, ctx.stream);
  kernels::cuda::pad_nhwc(in_ptr<T>(x), g.n, g.h, g.w, g.c, g.pad_top, g.pad_bottom, g.pad_left, g.pad_right,
                          out_ptr<T>(xp), native(ctx));
  return xp;
}

}  // namespace

void register_conv2d_kernels(ops::OpRegistry& r) {
  // (x, w [, bias]) -> y
  r.add_kernel("conv2d", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      const ConvGeometry g = geometry(ctx.attrs, i[0].shape(), i[1].shape());
      if (symmetric(g)) {
        conv2d_forward(i[0], i[1], o[0], g, ctx.stream);
      } else {
        conv2d_forward(padded_input<T>(ctx, i[0], g), i[1], o[0], unpadded(g), ctx.stream);
      }
      if (i.size() == 3)
        kernels::cuda::bias_add(out_ptr<T>(o[0]), in_ptr<T>(i[2]), o[0].numel() / g.o, g.o, native(ctx));
    });
  });
  // (dy, w) -> dx; attr input_shape
  r.add_kernel("conv2d_backward_input", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const ConvGeometry g = geometry(ctx.attrs, o[0].shape(), i[1].shape());
                   if (symmetric(g)) {
                     conv2d_backward_data(i[0], i[1], o[0], g, ctx.stream);
                     return;
                   }
                   const ConvGeometry p = unpadded(g);
                   const Tensor dxp = Tensor::empty(Shape{g.n, p.h, p.w, g.c}, o[0].dtype(), ctx.device, ctx.stream);
                   conv2d_backward_data(i[0], i[1], dxp, p, ctx.stream);
                   kernels::cuda::crop_nhwc(in_ptr<T>(dxp), g.n, g.h, g.w, g.c, g.pad_top, g.pad_bottom, g.pad_left,
                                            g.pad_right, out_ptr<T>(o[0]), native(ctx));
                 });
               });
  // (dy, x) -> dw; attr filter_shape
  r.add_kernel("conv2d_backward_filter", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const ConvGeometry g = geometry(ctx.attrs, i[1].shape(), o[0].shape());
                   if (symmetric(g)) {
                     conv2d_backward_filter(i[0], i[1], o[0], g, ctx.stream);
                   } else {
                     conv2d_backward_filter(i[0], padded_input<T>(ctx, i[1], g), o[0], unpadded(g), ctx.stream);
                   }
                 });
               });
  // x [..., C] -> [C]
  r.add_kernel("reduce_nhw_sum", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      const int64_t c = i[0].dim(-1), m = c > 0 ? i[0].numel() / c : 0;
      const Tensor ws = scratch(ctx, kernels::cuda::channel_sum_workspace(m > 0 ? m : 1, c), i[0].dtype());
      kernels::cuda::channel_sum(in_ptr<T>(i[0]), m, c, out_ptr<T>(o[0]), out_ptr<T>(ws), native(ctx));
    });
  });
}

}  // namespace cutrain::cuda
