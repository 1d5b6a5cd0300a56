// CUDA kernels of the pooling family (kernels/pool.cu). The window comes from
// the same attrs and ops/padding.h rule as the CPU reference; our kernels
// handle TF SAME's asymmetric padding with the exclude-pad divisor, which
// cuDNN's pooling cannot express.
#include "glue.h"
#include "cutrain/ops/padding.h"
#include "pool.cuh"

namespace cutrain::cuda {

using namespace glue;

namespace {

kernels::PoolGeometry geometry(const ops::Attrs& a, const Shape& x, const Shape& y) {
  const std::vector<int64_t>& k = a.ints("window");
  const ops::Window2d w = ops::window_2d(a, x[1], x[2], k[0], k[1]);
  kernels::PoolGeometry g;
  g.n = x[0], g.in_h = x[1], g.in_w = x[2], g.c = x[3];
  g.out_h = y[1], g.out_w = y[2];
  g.kh = w.kh, g.kw = w.kw, g.sh = w.sh, g.sw = w.sw;
  g.pad_top = w.pad_top, g.pad_bottom = w.pad_bottom, g.pad_left = w.pad_left, g.pad_right = w.pad_right;
  return g;
}

}  // namespace

void register_pool_kernels(ops::OpRegistry& r) {
  r.add_kernel("max_pool", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::max_pool_forward(geometry(ctx.attrs, i[0].shape(), o[0].shape()), in_ptr<T>(i[0]), out_ptr<T>(o[0]),
                                      native(ctx));
    });
  });
  // (dy, x) -> dx
  r.add_kernel("max_pool_grad", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[1].dtype(), [&]<typename T>(T) {
      kernels::cuda::max_pool_backward(geometry(ctx.attrs, i[1].shape(), i[0].shape()), in_ptr<T>(i[0]), in_ptr<T>(i[1]),
                                       out_ptr<T>(o[0]), native(ctx));
    });
  });
  r.add_kernel("avg_pool", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::avg_pool_forward(geometry(ctx.attrs, i[0].shape(), o[0].shape()),
                                      ctx.attrs.b("count_include_pad", false), in_ptr<T>(i[0]), out_ptr<T>(o[0]),
                                      native(ctx));
    });
  });
  // (dy) -> dx; attr input_shape
  r.add_kernel("avg_pool_grad", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::avg_pool_backward(geometry(ctx.attrs, o[0].shape(), i[0].shape()),
                                       ctx.attrs.b("count_include_pad", false), in_ptr<T>(i[0]), out_ptr<T>(o[0]),
                                       native(ctx));
    });
  });
  r.add_kernel("global_avg_pool", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const Shape& x = i[0].shape();
                   kernels::cuda::global_avg_pool_forward(in_ptr<T>(i[0]), x[0], x[1] * x[2], x[3], out_ptr<T>(o[0]),
                                                          native(ctx));
                 });
               });
  r.add_kernel("global_avg_pool_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const Shape& x = o[0].shape();
                   kernels::cuda::global_avg_pool_backward(in_ptr<T>(i[0]), x[0], x[1] * x[2], x[3], out_ptr<T>(o[0]),
                                                           native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
