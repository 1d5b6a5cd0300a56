// CUDA kernels of the loss family (cutrain/cuda/losses.h, kernels/losses.cu).
#include "cutrain/cuda/losses.h"

#include <type_traits>

#include "glue.h"
#include "losses.cuh"

namespace cutrain::cuda {

using namespace glue;
using kernels::LabelKind;
using kernels::LossReductionMode;
using kernels::SampleLoss;
using kernels::SampleLossArgs;

namespace {

LabelKind label_kind(const Tensor& labels) {
  if (labels.dtype() == DType::i32) return LabelKind::i32;
  if (labels.dtype() == DType::i64) return LabelKind::i64;
  return LabelKind::dense;
}

// By name, not by value: the two enums may be reordered independently.
LossReductionMode kernel_mode(params::LossReduction m) {
  switch (m) {
    case params::LossReduction::sum_over_batch_size: return LossReductionMode::sum_over_batch_size;
    case params::LossReduction::mean_weighted: return LossReductionMode::mean_weighted;
    case params::LossReduction::sum: return LossReductionMode::sum;
  }
  CUTRAIN_THROW("unknown loss reduction ", static_cast<int>(m));
}

SampleLossArgs args_of(SampleLoss kind, double label_smoothing = 0.0, bool sum_features = false) {
  SampleLossArgs a;
  a.kind = kind;
  a.label_smoothing = label_smoothing;
  a.sum_features = sum_features;
  return a;
}

// (a, b) -> loss [N]
void sample_loss(const std::string& op, const SampleLossArgs& args, const Tensor& a, const Tensor& b,
                 const Tensor& loss, cudaStream_t stream) {
  by_dtype(op, a.dtype(), [&]<typename T>(T) {
    kernels::cuda::sample_loss(args, in_ptr<T>(a), in_ptr<T>(b), loss.numel(), per_sample(a), out_ptr<T>(loss),
                               stream);
  });
}

// (dloss, a, b) -> da [, db]
void sample_loss_grad(const std::string& op, const SampleLossArgs& args, const Tensor& dloss, const Tensor& a,
                      const Tensor& b, const Tensor& da, const Tensor& db, cudaStream_t stream) {
  by_dtype(op, a.dtype(), [&]<typename T>(T) {
    kernels::cuda::sample_loss_grad(args, in_ptr<T>(dloss), in_ptr<T>(a), in_ptr<T>(b), dloss.numel(), per_sample(a),
                                    out_ptr<T>(da), out_ptr<T>(db), stream);
  });
}

}  // namespace

namespace {

// The kernel reads dense labels of 16-bit logits as fp32.
void check_xent_lowp_labels(const std::string& op, const Tensor& logits, const Tensor& labels) {
  const bool lowp = logits.dtype() == DType::f16 || logits.dtype() == DType::bf16;
  const bool index = labels.dtype() == DType::i32 || labels.dtype() == DType::i64;
  CUTRAIN_CHECK(!lowp || index || labels.dtype() == DType::f32, "op '", op, "' on CUDA: ", dtype_name(logits.dtype()),
                " logits need i32/i64 class ids or f32 probability labels, got ", dtype_name(labels.dtype()));
}

}  // namespace

void softmax_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels, double label_smoothing,
                           const Tensor& loss, cudaStream_t stream) {
  by_float_dtype(op, logits.dtype(), [&]<typename T>(T) {
    using L = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit logits: the loss in fp32
    check_xent_lowp_labels(op, logits, labels);
    kernels::cuda::softmax_cross_entropy(in_ptr<T>(logits), label_kind(labels), labels.raw_data(), logits.dim(0),
                                         logits.dim(1), label_smoothing, out_ptr<L>(loss), static_cast<const L*>(nullptr),
                                         static_cast<T*>(nullptr), stream);
  });
}

void softmax_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                const Tensor& labels, double label_smoothing, const Tensor& dlogits,
                                cudaStream_t stream) {
  by_float_dtype(op, logits.dtype(), [&]<typename T>(T) {
    using L = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit logits: dloss in fp32
    check_xent_lowp_labels(op, logits, labels);
    kernels::cuda::softmax_cross_entropy(in_ptr<T>(logits), label_kind(labels), labels.raw_data(), logits.dim(0),
                                         logits.dim(1), label_smoothing, static_cast<L*>(nullptr), in_ptr<L>(dloss),
                                         out_ptr<T>(dlogits), stream);
  });
}

void sigmoid_binary_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels,
                                  double label_smoothing, bool sum_features, const Tensor& loss, cudaStream_t stream) {
  sample_loss(op, args_of(SampleLoss::sigmoid_bce, label_smoothing, sum_features), logits, labels, loss, stream);
}

void sigmoid_binary_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                       const Tensor& labels, double label_smoothing, bool sum_features,
                                       const Tensor& dlogits, cudaStream_t stream) {
  sample_loss_grad(op, args_of(SampleLoss::sigmoid_bce, label_smoothing, sum_features), dloss, logits, labels,
                   dlogits, Tensor(), stream);
}

void mean_squared_error(const std::string& op, const Tensor& pred, const Tensor& target, const Tensor& loss,
                        cudaStream_t stream) {
  sample_loss(op, args_of(SampleLoss::mse), pred, target, loss, stream);
}

void mean_squared_error_grad(const std::string& op, const Tensor& dloss, const Tensor& pred, const Tensor& target,
                             const Tensor& dpred, cudaStream_t stream) {
  sample_loss_grad(op, args_of(SampleLoss::mse), dloss, pred, target, dpred, Tensor(), stream);
}

void gaussian_kl(const std::string& op, const Tensor& mu, const Tensor& logvar, const Tensor& loss,
                 cudaStream_t stream) {
  sample_loss(op, args_of(SampleLoss::gaussian_kl), mu, logvar, loss, stream);
}

void gaussian_kl_grad(const std::string& op, const Tensor& dloss, const Tensor& mu, const Tensor& logvar,
                      const Tensor& dmu, const Tensor& dlogvar, cudaStream_t stream) {
  sample_loss_grad(op, args_of(SampleLoss::gaussian_kl), dloss, mu, logvar, dmu, dlogvar, stream);
}

void weighted_loss_reduce(const std::string& op, params::LossReduction mode, const Tensor& per_sample,
                          const Tensor& weights, const Tensor& out, cudaStream_t stream) {
  by_dtype(op, per_sample.dtype(), [&]<typename T>(T) {
    kernels::cuda::weighted_loss_reduce(kernel_mode(mode), in_ptr<T>(per_sample), in_ptr<T>(weights),
                                        per_sample.numel(), out_ptr<T>(out), stream);
  });
}

void weighted_loss_reduce_grad(const std::string& op, params::LossReduction mode, const Tensor& dy,
                               const Tensor& weights, const Tensor& dper_sample, cudaStream_t stream) {
  by_dtype(op, dper_sample.dtype(), [&]<typename T>(T) {
    kernels::cuda::weighted_loss_reduce_grad(kernel_mode(mode), in_ptr<T>(dy), in_ptr<T>(weights),
                                             dper_sample.numel(), out_ptr<T>(dper_sample), stream);
  });
}

}  // namespace cutrain::cuda
