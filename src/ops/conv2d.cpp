// Convolution op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/conv2d.h"

#include "cutrain/core/error.h"
#include "cutrain/cpu/conv2d.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/ops/padding.h"
#include "cutrain/params/conv2d.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/conv2d_ops.h"
#endif

namespace cutrain::ops {

Attrs Conv2dOptions::attrs() const {
  Attrs a{{"strides", strides}, {"padding", padding}, {"dilations", dilations}};
  if (!pads.empty()) a.set("pads", pads);
  return a;
}

namespace {

void check_float_4d(const TensorSpec& t, const char* what) {
  CUTRAIN_CHECK(t.dtype == DType::f32 || t.dtype == DType::f64 || t.dtype == DType::f16 || t.dtype == DType::bf16,
                what, " ", t.str(), " must be f32, f64, f16 or bf16");
  CUTRAIN_CHECK(t.shape.rank() == 4, what, " ", t.str(), " must have rank 4 (",
                std::string(what) == "w" ? "OHWI" : "NHWC", ")");
}

// Checks x [N, H, W, C] against w [O, kh, kw, C] and returns the window.
Window2d conv_window(const Attrs& a, const Shape& x, const Shape& w) {
  CUTRAIN_CHECK(x[3] == w[3], "input channels differ: x ", x.str(), " has ", x[3], ", w ", w.str(),
                " (OHWI) expects ", w[3]);
  return window_2d(a, x[1], x[2], w[1], w[2]);
}

// The one parse of the family's attributes: x [N, H, W, C], w [O, kh, kw, C].
params::Conv2d conv2d_params(const Attrs& a, const Shape& x, const Shape& w) {
  params::Conv2d p;
  p.n = x[0], p.c = x[3], p.o = w[0];
  p.window = conv_window(a, x, w);
  p.allow_tf32 = a.b("allow_tf32", false);
  return p;
}

Shape shape_attr(const Attrs& a, const char* name) {
  const std::vector<int64_t>& d = a.ints(name);
  CUTRAIN_CHECK(d.size() == 4, name, " must have 4 dimensions, got ", d.size());
  return Shape(d);
}

void check_dy(const TensorSpec& dy, const Window2d& g, int64_t n, int64_t o, const Shape& x) {
  const Shape want{n, g.out_h, g.out_w, o};
  CUTRAIN_CHECK(dy.shape == want, "dy ", dy.str(), " does not match the convolution output ",
                want.str(), " of input ", x.str());
}

}  // namespace

void register_conv2d_ops(OpRegistry& r) {
  OpSchema conv;
  conv.name = "conv2d";
  conv.num_inputs = -1;
  conv.min_inputs = 2;
  conv.doc = "y = conv2d(x NHWC, w OHWI) (+ bias); strides, padding SAME|VALID|EXPLICIT, pads, dilations";
  conv.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    CUTRAIN_CHECK(in.size() <= 3, "expects x, w and an optional bias, got ", in.size(), " inputs");
    check_float_4d(in[0], "x");
    check_float_4d(in[1], "w");
    CUTRAIN_CHECK(in[1].dtype == in[0].dtype, "x ", in[0].str(), " and w ", in[1].str(),
                  " have different dtypes");
    const Shape& x = in[0].shape;
    const Shape& w = in[1].shape;
    if (in.size() == 3) {
      CUTRAIN_CHECK(in[2].dtype == in[0].dtype && in[2].shape == Shape{w[0]}, "bias ", in[2].str(),
                    " must be ", dtype_name(in[0].dtype), "[", w[0], "] for w ", w.str());
    }
    const Window2d g = conv_window(a, x, w);
    return std::vector<TensorSpec>{{Shape{x[0], g.out_h, g.out_w, w[0]}, in[0].dtype}};
  };
  conv.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::conv2d_forward(ctx.op_name, conv2d_params(ctx.attrs, in[0].shape(), in[1].shape()), in[0], in[1],
                            in.size() == 3 ? in[2] : Tensor(), out[0]);
      });
#if CUTRAIN_WITH_CUDA
  conv.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                      const std::vector<Tensor>& out) {
    cuda::conv2d(ctx.op_name, conv2d_params(ctx.attrs, in[0].shape(), in[1].shape()), in[0], in[1],
                 in.size() == 3 ? in[2] : Tensor(), out[0], ctx.stream);
  };
#endif
  r.add(std::move(conv));

  OpSchema bi;
  bi.name = "conv2d_backward_input";
  bi.num_inputs = 2;
  bi.doc = "dx of conv2d from (dy, w); attrs: conv2d's + input_shape";
  bi.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    check_float_4d(in[0], "dy");
    check_float_4d(in[1], "w");
    CUTRAIN_CHECK(in[0].dtype == in[1].dtype, "dy ", in[0].str(), " and w ", in[1].str(),
                  " have different dtypes");
    const Shape x = shape_attr(a, "input_shape");
    const Window2d g = conv_window(a, x, in[1].shape);
    check_dy(in[0], g, x[0], in[1].shape[0], x);
    return std::vector<TensorSpec>{{x, in[0].dtype}};
  };
  bi.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::conv2d_backward_input(ctx.op_name, conv2d_params(ctx.attrs, out[0].shape(), in[1].shape()), in[0],
                                   in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  bi.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                    const std::vector<Tensor>& out) {
    cuda::conv2d_backward_input(ctx.op_name, conv2d_params(ctx.attrs, out[0].shape(), in[1].shape()), in[0], in[1],
                                out[0], ctx.stream);
  };
#endif
  r.add(std::move(bi));

  OpSchema bf;
  bf.name = "conv2d_backward_filter";
  bf.num_inputs = 2;
  bf.doc = "dw of conv2d from (dy, x); attrs: conv2d's + filter_shape";
  bf.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    check_float_4d(in[0], "dy");
    check_float_4d(in[1], "x");
    CUTRAIN_CHECK(in[0].dtype == in[1].dtype, "dy ", in[0].str(), " and x ", in[1].str(),
                  " have different dtypes");
    const Shape w = shape_attr(a, "filter_shape");
    const Window2d g = conv_window(a, in[1].shape, w);
    check_dy(in[0], g, in[1].shape[0], w[0], in[1].shape);
    return std::vector<TensorSpec>{{w, in[0].dtype}};
  };
  bf.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::conv2d_backward_filter(ctx.op_name, conv2d_params(ctx.attrs, in[1].shape(), out[0].shape()), in[0],
                                    in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  bf.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                    const std::vector<Tensor>& out) {
    cuda::conv2d_backward_filter(ctx.op_name, conv2d_params(ctx.attrs, in[1].shape(), out[0].shape()), in[0], in[1],
                                 out[0], ctx.stream);
  };
#endif
  r.add(std::move(bf));

  OpSchema rs;
  rs.name = "reduce_nhw_sum";
  rs.num_inputs = 1;
  rs.doc = "sum over every axis but the last: [..., C] -> [C]";
  rs.infer = [](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_CHECK(in[0].shape.rank() >= 1, "x ", in[0].str(), " needs a channel axis");
    return std::vector<TensorSpec>{{Shape{in[0].shape[-1]}, in[0].dtype}};
  };
  rs.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::reduce_nhw_sum(ctx.op_name, in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  rs.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                    const std::vector<Tensor>& out) {
    cuda::reduce_nhw_sum(ctx.op_name, in[0], out[0], ctx.stream);
  };
#endif
  r.add(std::move(rs));
}

}  // namespace cutrain::ops
