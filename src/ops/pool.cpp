// Pooling op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/pool.h"

#include "cutrain/core/error.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/pool.h"
#include "cutrain/ops/padding.h"
#include "cutrain/params/pool.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/pool.h"
#endif

namespace cutrain::ops {

Attrs PoolOptions::attrs() const {
  Attrs a{{"window", window}, {"strides", strides}, {"padding", padding}};
  if (!pads.empty()) a.set("pads", pads);
  if (count_include_pad) a.set("count_include_pad", true);
  return a;
}

namespace {

bool pool_float_dtype(DType t) {
  return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::bf16;
}

void check_float_nhwc(const TensorSpec& t, const char* what) {
  CUTRAIN_CHECK(pool_float_dtype(t.dtype), what, " ", t.str(), " must be f32, f64, f16 or bf16");
  CUTRAIN_CHECK(t.shape.rank() == 4, what, " ", t.str(), " must have rank 4 (NHWC)");
}

// The pooling window over x [N, H, W, C]; every window keeps an in-bounds element.
Window2d pool_window(const Attrs& a, const Shape& x) {
  const std::vector<int64_t>& k = a.ints("window");
  CUTRAIN_CHECK(k.size() == 2, "window must be [kh, kw], got ", k.size(), " values");
  CUTRAIN_CHECK(a.ints("dilations", {1, 1}) == std::vector<int64_t>({1, 1}),
                "pooling does not support dilations");
  const Window2d g = window_2d(a, x[1], x[2], k[0], k[1]);
  CUTRAIN_CHECK(g.pad_top < g.kh && g.pad_bottom < g.kh && g.pad_left < g.kw && g.pad_right < g.kw,
                "pads [", g.pad_top, ", ", g.pad_bottom, ", ", g.pad_left, ", ", g.pad_right,
                "] must be smaller than the window [", g.kh, ", ", g.kw, "]");
  return g;
}

// The one parse of a windowed pooling op's attributes, over x [N, H, W, C].
params::Pool2d pool_params(const Attrs& a, const Shape& x) {
  params::Pool2d p;
  p.n = x[0], p.c = x[3];
  p.window = pool_window(a, x);
  p.count_include_pad = a.b("count_include_pad", false);
  return p;
}

TensorSpec pooled(const Attrs& a, const TensorSpec& x) {
  check_float_nhwc(x, "x");
  const Window2d g = pool_window(a, x.shape);
  return {Shape{x.shape[0], g.out_h, g.out_w, x.shape[3]}, x.dtype};
}

void check_pooled_dy(const Attrs& a, const TensorSpec& dy, const Shape& x) {
  check_float_nhwc(dy, "dy");
  const Window2d g = pool_window(a, x);
  const Shape want{x[0], g.out_h, g.out_w, x[3]};
  CUTRAIN_CHECK(dy.shape == want, "dy ", dy.str(), " does not match the pooled shape ", want.str(),
                " of input ", x.str());
}

Shape nhwc_attr(const Attrs& a) {
  const std::vector<int64_t>& d = a.ints("input_shape");
  CUTRAIN_CHECK(d.size() == 4, "input_shape must be [N, H, W, C], got ", d.size(), " values");
  return Shape(d);
}

void register_max_pool(OpRegistry& r) {
  OpSchema s;
  s.name = "max_pool";
  s.num_inputs = 1;
  s.doc = "max over windows of x (NHWC); window, strides, padding SAME|VALID|EXPLICIT, pads";
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    return std::vector<TensorSpec>{pooled(a, in[0])};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::max_pool(ctx.op_name, pool_params(ctx.attrs, in[0].shape()), in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::max_pool(ctx.op_name, pool_params(ctx.attrs, in[0].shape()), in[0], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(s));

  OpSchema d;
  d.name = "max_pool_grad";
  d.num_inputs = 2;
  d.doc = "dx of max_pool from (dy, x): dy goes to each window's first argmax";
  d.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    check_float_nhwc(in[1], "x");
    check_pooled_dy(a, in[0], in[1].shape);
    CUTRAIN_CHECK(in[0].dtype == in[1].dtype, "dy ", in[0].str(), " and x ", in[1].str(),
                  " have different dtypes");
    return std::vector<TensorSpec>{in[1]};
  };
  d.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::max_pool_grad(ctx.op_name, pool_params(ctx.attrs, in[1].shape()), in[0], in[1], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  d.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::max_pool_grad(ctx.op_name, pool_params(ctx.attrs, in[1].shape()), in[0], in[1], out[0],
                        cuda_stream(ctx));
  };
#endif
  r.add(std::move(d));
}

void register_avg_pool(OpRegistry& r) {
  OpSchema s;
  s.name = "avg_pool";
  s.num_inputs = 1;
  s.doc = "mean over windows of x (NHWC); max_pool's attrs + count_include_pad (default false)";
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    return std::vector<TensorSpec>{pooled(a, in[0])};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::avg_pool(ctx.op_name, pool_params(ctx.attrs, in[0].shape()), in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::avg_pool(ctx.op_name, pool_params(ctx.attrs, in[0].shape()), in[0], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(s));

  OpSchema d;
  d.name = "avg_pool_grad";
  d.num_inputs = 1;
  d.doc = "dx of avg_pool from dy; avg_pool's attrs + input_shape";
  d.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape x = nhwc_attr(a);
    check_pooled_dy(a, in[0], x);
    return std::vector<TensorSpec>{{x, in[0].dtype}};
  };
  d.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::avg_pool_grad(ctx.op_name, pool_params(ctx.attrs, out[0].shape()), in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  d.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::avg_pool_grad(ctx.op_name, pool_params(ctx.attrs, out[0].shape()), in[0], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(d));
}

void register_global_avg_pool(OpRegistry& r) {
  OpSchema s;
  s.name = "global_avg_pool";
  s.num_inputs = 1;
  s.doc = "mean of x [N, H, W, C] over H, W -> [N, C] ([N, 1, 1, C] with keepdims)";
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    check_float_nhwc(in[0], "x");
    const Shape& x = in[0].shape;
    const Shape y = a.b("keepdims", false) ? Shape{x[0], 1, 1, x[3]} : Shape{x[0], x[3]};
    return std::vector<TensorSpec>{{y, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::global_avg_pool(ctx.op_name, in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::global_avg_pool(ctx.op_name, in[0], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(s));

  OpSchema d;
  d.name = "global_avg_pool_grad";
  d.num_inputs = 1;
  d.doc = "dx of global_avg_pool: dy / (H * W) broadcast; attr input_shape";
  d.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    const Shape x = nhwc_attr(a);
    const Shape& dy = in[0].shape;
    CUTRAIN_CHECK(pool_float_dtype(in[0].dtype), "dy ", in[0].str(), " must be f32, f64, f16 or bf16");
    CUTRAIN_CHECK(dy == (Shape{x[0], x[3]}) || dy == (Shape{x[0], 1, 1, x[3]}), "dy ", in[0].str(),
                  " does not match the pooled shape of input ", x.str());
    return std::vector<TensorSpec>{{x, in[0].dtype}};
  };
  d.kernels[DeviceType::cpu] = ops::on_cpu_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::global_avg_pool_grad(ctx.op_name, in[0], out[0]);
      });
#if CUTRAIN_WITH_CUDA
  d.kernels[DeviceType::cuda] = [](const OpContext& ctx, const std::vector<Tensor>& in,
                                   const std::vector<Tensor>& out) {
    cuda::global_avg_pool_grad(ctx.op_name, in[0], out[0], cuda_stream(ctx));
  };
#endif
  r.add(std::move(d));
}

}  // namespace

void register_pool_ops(OpRegistry& r) {
  register_max_pool(r);
  register_avg_pool(r);
  register_global_avg_pool(r);
}

}  // namespace cutrain::ops
