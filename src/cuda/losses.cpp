// CUDA kernels of the loss family (kernels/losses.cu).
#include "glue.h"
#include "losses.cuh"

namespace cutrain::cuda {

namespace {

using namespace glue;
using kernels::LabelKind;
using kernels::LossReductionMode;
using kernels::SampleLoss;
using kernels::SampleLossArgs;

LabelKind label_kind(const Tensor& labels) {
  if (labels.dtype() == DType::i32) return LabelKind::i32;
  if (labels.dtype() == DType::i64) return LabelKind::i64;
  return LabelKind::dense;
}

LossReductionMode mode_of(const ops::OpContext& ctx) {
  const std::string m = ctx.attrs.s("mode", "sum_over_batch_size");
  if (m == "mean_weighted") return LossReductionMode::mean_weighted;
  if (m == "sum") return LossReductionMode::sum;
  CUTRAIN_OP_CHECK(ctx.op_name, m == "sum_over_batch_size", "unknown reduction mode '", m, "'");
  return LossReductionMode::sum_over_batch_size;
}

SampleLossArgs args_of(const ops::OpContext& ctx, SampleLoss kind) {
  SampleLossArgs a;
  a.kind = kind;
  if (kind == SampleLoss::sigmoid_bce) {
    a.label_smoothing = ctx.attrs.f("label_smoothing", 0.0);
    a.sum_features = ctx.attrs.b("sum_features", false);
  }
  return a;
}

void add_sample_loss(ops::OpRegistry& r, const std::string& name, SampleLoss kind) {
  r.add_kernel(name, DeviceType::cuda, [kind](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
    by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
      kernels::cuda::sample_loss(args_of(ctx, kind), in_ptr<T>(in[0]), in_ptr<T>(in[1]), out[0].numel(),
                                 per_sample(in[0]), out_ptr<T>(out[0]), native(ctx));
    });
  });
  // (dloss, a, b) -> da[, db]
  r.add_kernel(name + "_grad", DeviceType::cuda,
               [kind](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 by_dtype(ctx, in[1].dtype(), [&]<typename T>(T) {
                   kernels::cuda::sample_loss_grad(args_of(ctx, kind), in_ptr<T>(in[0]), in_ptr<T>(in[1]),
                                                   in_ptr<T>(in[2]), in[0].numel(), per_sample(in[1]),
                                                   out_ptr<T>(out[0]), out.size() > 1 ? out_ptr<T>(out[1]) : nullptr,
                                                   native(ctx));
                 });
               });
}

}  // namespace

void register_loss_kernels(ops::OpRegistry& r) {
  // (logits [N, C], labels) -> loss [N]
  r.add_kernel("softmax_cross_entropy", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
                   kernels::cuda::softmax_cross_entropy(in_ptr<T>(in[0]), label_kind(in[1]), in[1].raw_data(),
                                                        in[0].dim(0), in[0].dim(1),
                                                        ctx.attrs.f("label_smoothing", 0.0), out_ptr<T>(out[0]),
                                                        nullptr, nullptr, native(ctx));
                 });
               });
  // (dloss [N], logits, labels) -> dlogits
  r.add_kernel("softmax_cross_entropy_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 by_dtype(ctx, in[1].dtype(), [&]<typename T>(T) {
                   kernels::cuda::softmax_cross_entropy(in_ptr<T>(in[1]), label_kind(in[2]), in[2].raw_data(),
                                                        in[1].dim(0), in[1].dim(1),
                                                        ctx.attrs.f("label_smoothing", 0.0), nullptr,
                                                        in_ptr<T>(in[0]), out_ptr<T>(out[0]), native(ctx));
                 });
               });
  add_sample_loss(r, "sigmoid_binary_cross_entropy", SampleLoss::sigmoid_bce);
  add_sample_loss(r, "mean_squared_error", SampleLoss::mse);
  add_sample_loss(r, "gaussian_kl", SampleLoss::gaussian_kl);
  // (per_sample [N], [weights [N]]) -> out []
  r.add_kernel("weighted_loss_reduce", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 by_dtype(ctx, in[0].dtype(), [&]<typename T>(T) {
                   kernels::cuda::weighted_loss_reduce(mode_of(ctx), in_ptr<T>(in[0]),
                                                       in.size() > 1 ? in_ptr<T>(in[1]) : nullptr, in[0].numel(),
                                                       out_ptr<T>(out[0]), native(ctx));
                 });
               });
  // (dy [], [weights [N]]) -> dper_sample [N]
  r.add_kernel("weighted_loss_reduce_grad", DeviceType::cuda,
               [](const ops::OpContext& ctx, const Tensors& in, const Tensors& out) {
                 by_dtype(ctx, out[0].dtype(), [&]<typename T>(T) {
                   kernels::cuda::weighted_loss_reduce_grad(mode_of(ctx), in_ptr<T>(in[0]),
                                                            in.size() > 1 ? in_ptr<T>(in[1]) : nullptr,
                                                            out[0].numel(), out_ptr<T>(out[0]), native(ctx));
                 });
               });
}

}  // namespace cutrain::cuda
