// Loss op family: per-sample losses with fused backward ops, and the weighted
// reduction to a scalar.
#include "cutrain/ops/losses.h"

#include "cutrain/core/error.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/cpu/losses.h"
#include "cuda_binding.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/losses.h"
#endif

namespace cutrain::ops {

namespace {

using Specs = std::vector<TensorSpec>;
using Tensors = std::vector<Tensor>;

bool is_index(DType t) { return t == DType::i32 || t == DType::i64; }

void require_float(const std::string& op, const TensorSpec& s, const char* what) {
  CUTRAIN_OP_CHECK(op, is_floating(s.dtype), what, " must be floating point, got ", s.str());
}

// The dtype losses over x are computed and returned in: x's, or f32 for the
// 16-bit types (mixed precision computes every loss in fp32).
DType loss_dtype(DType x) { return x == DType::f16 || x == DType::bf16 ? DType::f32 : x; }

// [N] in the loss dtype of x, for a loss over x with batch dimension 0.
TensorSpec per_sample_spec(const std::string& op, const TensorSpec& x) {
  CUTRAIN_OP_CHECK(op, x.shape.rank() >= 1, "needs a batch dimension, got ", x.str());
  return {Shape{x.shape[0]}, loss_dtype(x.dtype)};
}

// Two inputs of one elementwise loss: same shape and dtype.
void require_pair(const std::string& op, const TensorSpec& a, const TensorSpec& b) {
  require_float(op, a, "the prediction");
  CUTRAIN_OP_CHECK(op, a == b, "inputs ", a.str(), " and ", b.str(), " must have the same shape and dtype");
}

void require_dloss(const std::string& op, const TensorSpec& dloss, const TensorSpec& x) {
  CUTRAIN_OP_CHECK(op, dloss == per_sample_spec(op, x), "dloss ", dloss.str(), " must be ",
                   per_sample_spec(op, x).str());
}

Specs infer_softmax_ce(const std::string& op, const TensorSpec& logits, const TensorSpec& labels) {
  require_float(op, logits, "logits");
  CUTRAIN_OP_CHECK(op, logits.shape.rank() == 2 && logits.shape[1] > 0, "logits must be [N, C] with C > 0, got ",
                   logits.str());
  if (is_index(labels.dtype)) {
    CUTRAIN_OP_CHECK(op, labels.shape == Shape{logits.shape[0]}, "class-id labels must be [N] = [",
                     logits.shape[0], "], got ", labels.str());
  } else {
    const TensorSpec want{logits.shape, loss_dtype(logits.dtype)};
    CUTRAIN_OP_CHECK(op, labels == logits || labels == want, "one-hot/probability labels must match logits ",
                     logits.str(), " (or be ", want.str(), "), got ", labels.str());
  }
  return {per_sample_spec(op, logits)};
}

cpu::LossReduction parse_reduction(const std::string& op, const std::string& mode) {
  if (mode == "sum_over_batch_size") return cpu::LossReduction::sum_over_batch_size;
  if (mode == "mean_weighted") return cpu::LossReduction::mean_weighted;
  if (mode == "sum") return cpu::LossReduction::sum;
  CUTRAIN_THROW("op '", op, "': unknown reduction mode '", mode,
                "' (expected sum_over_batch_size, mean_weighted or sum)");
}

OpSchema schema(const std::string& name, int num_inputs, int num_outputs, const std::string& doc) {
  OpSchema s;
  s.name = name;
  s.num_inputs = num_inputs;
  s.num_outputs = num_outputs;
  s.doc = doc;
  return s;
}


void add_softmax_ce(OpRegistry& r) {
  OpSchema s = schema("softmax_cross_entropy", 2, 1,
                      "(logits [N, C], labels [N] ids or [N, C]) -> loss [N]; attr label_smoothing");
  s.nondifferentiable_inputs = {1};
  s.infer = [](const Attrs&, const Specs& in) { return infer_softmax_ce("softmax_cross_entropy", in[0], in[1]); };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::softmax_cross_entropy(c.op_name, in[0], in[1], c.attrs.f("label_smoothing", 0.0), out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::softmax_cross_entropy(c.op_name, in[0], in[1], c.attrs.f("label_smoothing", 0.0), out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(s));

  OpSchema b = schema("softmax_cross_entropy_grad", 3, 1,
                      "(dloss [N], logits, labels) -> dlogits = dloss_i (softmax - target), one pass");
  b.nondifferentiable_inputs = {2};
  b.infer = [](const Attrs&, const Specs& in) {
    const std::string op = "softmax_cross_entropy_grad";
    infer_softmax_ce(op, in[1], in[2]);
    require_dloss(op, in[0], in[1]);
    return Specs{in[1]};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::softmax_cross_entropy_grad(c.op_name, in[0], in[1], in[2], c.attrs.f("label_smoothing", 0.0), out[0]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::softmax_cross_entropy_grad(c.op_name, in[0], in[1], in[2], c.attrs.f("label_smoothing", 0.0), out[0],
                                     cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

void add_bce(OpRegistry& r) {
  OpSchema s = schema("sigmoid_binary_cross_entropy", 2, 1,
                      "(logits [N, ...], targets) -> loss [N], mean over features; attrs "
                      "label_smoothing, sum_features");
  s.nondifferentiable_inputs = {1};
  s.infer = [](const Attrs&, const Specs& in) {
    require_pair("sigmoid_binary_cross_entropy", in[0], in[1]);
    return Specs{per_sample_spec("sigmoid_binary_cross_entropy", in[0])};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::sigmoid_binary_cross_entropy(c.op_name, in[0], in[1], c.attrs.f("label_smoothing", 0.0),
                                      c.attrs.b("sum_features", false), out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::sigmoid_binary_cross_entropy(c.op_name, in[0], in[1], c.attrs.f("label_smoothing", 0.0),
                                       c.attrs.b("sum_features", false), out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(s));

  OpSchema b = schema("sigmoid_binary_cross_entropy_grad", 3, 1,
                      "(dloss [N], logits, targets) -> dlogits = dloss_i (sigmoid(x) - t) / F");
  b.nondifferentiable_inputs = {2};
  b.infer = [](const Attrs&, const Specs& in) {
    const std::string op = "sigmoid_binary_cross_entropy_grad";
    require_pair(op, in[1], in[2]);
    require_dloss(op, in[0], in[1]);
    return Specs{in[1]};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::sigmoid_binary_cross_entropy_grad(c.op_name, in[0], in[1], in[2], c.attrs.f("label_smoothing", 0.0),
                                           c.attrs.b("sum_features", false), out[0]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::sigmoid_binary_cross_entropy_grad(c.op_name, in[0], in[1], in[2], c.attrs.f("label_smoothing", 0.0),
                                            c.attrs.b("sum_features", false), out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

void add_mse(OpRegistry& r) {
  OpSchema s = schema("mean_squared_error", 2, 1, "(pred [N, ...], target) -> loss [N], mean over features");
  s.infer = [](const Attrs&, const Specs& in) {
    require_pair("mean_squared_error", in[0], in[1]);
    return Specs{per_sample_spec("mean_squared_error", in[0])};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::mean_squared_error(c.op_name, in[0], in[1], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::mean_squared_error(c.op_name, in[0], in[1], out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(s));

  OpSchema b = schema("mean_squared_error_grad", 3, 1, "(dloss [N], pred, target) -> dpred");
  b.infer = [](const Attrs&, const Specs& in) {
    require_pair("mean_squared_error_grad", in[1], in[2]);
    require_dloss("mean_squared_error_grad", in[0], in[1]);
    return Specs{in[1]};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::mean_squared_error_grad(c.op_name, in[0], in[1], in[2], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::mean_squared_error_grad(c.op_name, in[0], in[1], in[2], out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

void add_gaussian_kl(OpRegistry& r) {
  OpSchema s = schema("gaussian_kl", 2, 1, "(mu [N, ...], logvar) -> KL(N(mu, exp(logvar)) || N(0, 1)) [N]");
  s.infer = [](const Attrs&, const Specs& in) {
    require_pair("gaussian_kl", in[0], in[1]);
    return Specs{per_sample_spec("gaussian_kl", in[0])};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::gaussian_kl(c.op_name, in[0], in[1], out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::gaussian_kl(c.op_name, in[0], in[1], out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(s));

  OpSchema b = schema("gaussian_kl_grad", 3, 2, "(dloss [N], mu, logvar) -> (dmu, dlogvar)");
  b.infer = [](const Attrs&, const Specs& in) {
    require_pair("gaussian_kl_grad", in[1], in[2]);
    require_dloss("gaussian_kl_grad", in[0], in[1]);
    return Specs{in[1], in[2]};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::gaussian_kl_grad(c.op_name, in[0], in[1], in[2], out[0], out[1]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::gaussian_kl_grad(c.op_name, in[0], in[1], in[2], out[0], out[1], cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

void add_reduce(OpRegistry& r) {
  OpSchema s = schema("weighted_loss_reduce", -1, 1,
                      "(per_sample [N], [weights [N]]) -> scalar []; attr mode sum_over_batch_size | "
                      "mean_weighted | sum");
  s.min_inputs = 1;
  s.nondifferentiable_inputs = {1};
  s.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "weighted_loss_reduce";
    CUTRAIN_OP_CHECK(op, in.size() <= 2, "takes per_sample and optional weights, got ", specs_str(in));
    parse_reduction(op, a.s("mode", "sum_over_batch_size"));
    require_float(op, in[0], "per_sample");
    CUTRAIN_OP_CHECK(op, in[0].shape.rank() == 1, "per_sample must be [N], got ", in[0].str());
    if (in.size() == 2)
      CUTRAIN_OP_CHECK(op, in[1] == in[0], "weights ", in[1].str(), " must match per_sample ", in[0].str());
    return Specs{{Shape{}, in[0].dtype}};
  };
  s.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::weighted_loss_reduce(c.op_name, parse_reduction(c.op_name, c.attrs.s("mode", "sum_over_batch_size")),
                              in[0], in.size() > 1 ? in[1] : Tensor{}, out[0]);
  });
#if CUTRAIN_WITH_CUDA
  s.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::weighted_loss_reduce(c.op_name, parse_reduction(c.op_name, c.attrs.s("mode", "sum_over_batch_size")),
                               in[0], in.size() > 1 ? in[1] : Tensor{}, out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(s));

  OpSchema b = schema("weighted_loss_reduce_grad", -1, 1,
                      "(dy [], [weights [N]]) -> dper_sample [N]; attrs mode, n (batch size)");
  b.min_inputs = 1;
  b.nondifferentiable_inputs = {1};
  b.infer = [](const Attrs& a, const Specs& in) {
    const std::string op = "weighted_loss_reduce_grad";
    CUTRAIN_OP_CHECK(op, in.size() <= 2, "takes dy and optional weights, got ", specs_str(in));
    parse_reduction(op, a.s("mode", "sum_over_batch_size"));
    CUTRAIN_OP_CHECK(op, in[0].shape.numel() == 1, "dy must have one element, got ", in[0].str());
    const TensorSpec out{Shape{a.i("n")}, in[0].dtype};
    if (in.size() == 2) CUTRAIN_OP_CHECK(op, in[1] == out, "weights ", in[1].str(), " must be ", out.str());
    return Specs{out};
  };
  b.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const OpContext& c, const Tensors& in, const Tensors& out) {
    cpu::weighted_loss_reduce_grad(c.op_name, parse_reduction(c.op_name, c.attrs.s("mode", "sum_over_batch_size")),
                                   in[0], in.size() > 1 ? in[1] : Tensor{}, out[0]);
  });
#if CUTRAIN_WITH_CUDA
  b.kernels[DeviceType::cuda] = [](const OpContext& c, const Tensors& in, const Tensors& out) {
    cuda::weighted_loss_reduce_grad(c.op_name,
                                    parse_reduction(c.op_name, c.attrs.s("mode", "sum_over_batch_size")), in[0],
                                    in.size() > 1 ? in[1] : Tensor{}, out[0], cuda_stream(c));
  };
#endif
  r.add(std::move(b));
}

}  // namespace

void register_loss_ops(OpRegistry& r) {
  add_softmax_ce(r);
  add_bce(r);
  add_mse(r);
  add_gaussian_kl(r);
  add_reduce(r);
}

}  // namespace cutrain::ops
