// CUDA kernels of the batch-norm family (kernels/batch_norm.cu); IO order as
// src/ops/batch_norm.cpp.
#include "batch_norm.cuh"
#include "cutrain/ops/batch_norm.h"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

void register_batch_norm_kernels(ops::OpRegistry& r) {
  // (x, beta, running_mean, running_var [, gamma]) -> (y, saved_mean, saved_invstd)
  r.add_kernel("batch_norm", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
      const int64_t c = i[0].dim(-1), m = i[0].numel() / c;
      const double eps = ctx.attrs.f("epsilon", 0.001), decay = ctx.attrs.f("decay", 0.9997);
      if (ops::batch_norm_training(ctx)) {
        const Tensor ws = scratch(ctx, kernels::cuda::batch_norm_workspace(m, c), i[0].dtype());
        kernels::cuda::batch_norm_stats(in_ptr<T>(i[0]), m, c, eps, decay, out_ptr<T>(i[2]), out_ptr<T>(i[3]), out_ptr<T>(o[1]),
                                        out_ptr<T>(o[2]), out_ptr<T>(ws), native(ctx));
      } else {
        kernels::cuda::batch_norm_eval_stats(in_ptr<T>(i[2]), in_ptr<T>(i[3]), c, eps, out_ptr<T>(o[1]), out_ptr<T>(o[2]),
                                             native(ctx));
      }
      if (ctx.attrs.b("stats_only", false)) return;  // the fused Inception concat applies it
      kernels::cuda::batch_norm_apply(in_ptr<T>(i[0]), in_ptr<T>(o[1]), in_ptr<T>(o[2]), i.size() > 4 ? in_ptr<T>(i[4]) : nullptr,
                                      in_ptr<T>(i[1]), m, c, /*relu=*/false, out_ptr<T>(o[0]), native(ctx));
    });
  });
  // (dy, x, saved_mean, saved_invstd [, gamma]) -> (dx, dbeta [, dgamma])
  r.add_kernel("batch_norm_grad", DeviceType::cuda, [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
    by_dtype(ctx, i[1].dtype(), [&]<typename T>(T) {
      const int64_t c = i[1].dim(-1), m = i[1].numel() / c;
      const Tensor ws = scratch(ctx, kernels::cuda::batch_norm_workspace(m, c), i[1].dtype());
      kernels::cuda::batch_norm_backward(in_ptr<T>(i[0]), in_ptr<T>(i[1]), in_ptr<T>(i[2]), in_ptr<T>(i[3]),
                                         i.size() > 4 ? in_ptr<T>(i[4]) : nullptr, m, c, ops::batch_norm_training(ctx), out_ptr<T>(o[0]),
                                         out_ptr<T>(o[1]), o.size() > 2 ? out_ptr<T>(o[2]) : nullptr, out_ptr<T>(ws),
                                         native(ctx));
    });
  });
  // (x, saved_mean, saved_invstd, dmean, dinvstd) -> dx
  r.add_kernel("batch_norm_stats_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& i, const Tensors& o) {
                 by_dtype(ctx, i[0].dtype(), [&]<typename T>(T) {
                   const int64_t c = i[0].dim(-1), m = i[0].numel() / c;
                   kernels::cuda::batch_norm_stats_backward(in_ptr<T>(i[0]), in_ptr<T>(i[1]), in_ptr<T>(i[2]), in_ptr<T>(i[3]),
                                                            in_ptr<T>(i[4]), m, c, ops::batch_norm_training(ctx), out_ptr<T>(o[0]),
                                                            native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
