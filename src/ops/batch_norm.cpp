// Batch-norm op family: schemas, inference, CPU kernels and backward rules.
#include "cutrain/ops/batch_norm.h"

#include "cutrain/core/error.h"
#include "cutrain/cpu/batch_norm.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::ops {

bool batch_norm_training(const OpContext& ctx) { return ctx.training && !ctx.attrs.b("inference", false); }

Attrs BatchNormOptions::attrs() const { return Attrs{{"epsilon", epsilon}, {"decay", decay}}; }

namespace {

constexpr int kRunningMean = 2;
constexpr int kRunningVar = 3;
constexpr int kGamma = 4;

void check_channel_vector(const TensorSpec& t, const char* what, const TensorSpec& x) {
  const int64_t c = x.shape[-1];
  CUTRAIN_CHECK(t.dtype == x.dtype && t.shape == Shape{c}, what, " ", t.str(), " must be ",
                dtype_name(x.dtype), "[", c, "] for x ", x.str(), " (channels last)");
}

void check_x(const TensorSpec& x) {
  CUTRAIN_CHECK(x.dtype == DType::f32 || x.dtype == DType::f64, "x ", x.str(), " must be f32 or f64");
  CUTRAIN_CHECK(x.shape.rank() >= 2, "x ", x.str(), " must have a batch and a channel axis");
  CUTRAIN_CHECK(x.shape.numel() > 0, "x ", x.str(), " is empty");
}

Tensor optional(const std::vector<Tensor>& v, size_t i) { return i < v.size() ? v[i] : Tensor(); }

}  // namespace

void register_batch_norm_ops(OpRegistry& r) {
  OpSchema s;
  s.name = "batch_norm";
  s.num_inputs = -1;
  s.min_inputs = 4;
  s.num_outputs = 3;
  s.mutated_inputs = {kRunningMean, kRunningVar};
  s.nondifferentiable_inputs = {kRunningMean, kRunningVar};
  s.doc = "(x, beta, running_mean, running_var [, gamma]) -> (y, saved_mean, saved_invstd); "
          "epsilon, decay, has_gamma";
  s.infer = [](const Attrs& a, const std::vector<TensorSpec>& in) {
    CUTRAIN_CHECK(in.size() <= 5, "expects x, beta, running_mean, running_var and an optional gamma, got ",
                  in.size(), " inputs");
    if (a.has("has_gamma"))
      CUTRAIN_CHECK(a.b("has_gamma") == (in.size() == 5), "has_gamma=", a.b("has_gamma"), " but ",
                    in.size(), " inputs were given");
    CUTRAIN_CHECK(a.f("epsilon", 0.001) > 0, "epsilon must be positive");
    const double decay = a.f("decay", 0.9997);
    CUTRAIN_CHECK(decay >= 0 && decay <= 1, "decay ", decay, " must lie in [0, 1]");
    check_x(in[0]);
    check_channel_vector(in[1], "beta", in[0]);
    check_channel_vector(in[kRunningMean], "running_mean", in[0]);
    check_channel_vector(in[kRunningVar], "running_var", in[0]);
    if (in.size() == 5) check_channel_vector(in[kGamma], "gamma", in[0]);
    const TensorSpec stat{Shape{in[0].shape[-1]}, in[0].dtype};
    // stats_only (set by the fusion pass, which applies the normalisation
    // elsewhere): y has no elements and is not computed.
    const TensorSpec y = a.b("stats_only", false) ? TensorSpec{Shape{0}, in[0].dtype} : in[0];
    return std::vector<TensorSpec>{y, stat, stat};
  };
  s.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::batch_norm(ctx.op_name, batch_norm_training(ctx), ctx.attrs.f("epsilon", 0.001),
                        ctx.attrs.f("decay", 0.9997), in[0], in[1], optional(in, kGamma),
                        in[kRunningMean], in[kRunningVar],
                        ctx.attrs.b("stats_only", false) ? Tensor() : out[0], out[1], out[2]);
      });
  r.add(std::move(s));

  OpSchema d;
  d.name = "batch_norm_grad";
  d.num_inputs = -1;
  d.min_inputs = 4;
  d.num_outputs = -1;
  d.doc = "(dy, x, saved_mean, saved_invstd [, gamma]) -> (dx, dbeta [, dgamma])";
  d.infer = [](const Attrs&, const std::vector<TensorSpec>& in) {
    CUTRAIN_CHECK(in.size() <= 5, "expects dy, x, saved_mean, saved_invstd and an optional gamma, got ",
                  in.size(), " inputs");
    check_x(in[1]);
    CUTRAIN_CHECK(in[0] == in[1], "dy ", in[0].str(), " and x ", in[1].str(), " differ");
    check_channel_vector(in[2], "saved_mean", in[1]);
    check_channel_vector(in[3], "saved_invstd", in[1]);
    const TensorSpec stat{Shape{in[1].shape[-1]}, in[1].dtype};
    std::vector<TensorSpec> out{in[1], stat};
    if (in.size() == 5) {
      check_channel_vector(in[4], "gamma", in[1]);
      out.push_back(stat);
    }
    return out;
  };
  d.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::batch_norm_grad(ctx.op_name, batch_norm_training(ctx), in[0], in[1], in[2], in[3], optional(in, 4),
                             out[0], out[1], optional(out, 2));
      });
  r.add(std::move(d));

  OpSchema sg;
  sg.name = "batch_norm_stats_grad";
  sg.num_inputs = 5;
  sg.doc = "(x, saved_mean, saved_invstd, dmean, dinvstd) -> dx through the batch statistics";
  sg.infer = [](const Attrs&, const std::vector<TensorSpec>& in) {
    check_x(in[0]);
    check_channel_vector(in[1], "saved_mean", in[0]);
    check_channel_vector(in[2], "saved_invstd", in[0]);
    check_channel_vector(in[3], "dmean", in[0]);
    check_channel_vector(in[4], "dinvstd", in[0]);
    return std::vector<TensorSpec>{in[0]};
  };
  sg.kernels[DeviceType::cpu] = cpu::on_stream(
      [](const OpContext& ctx, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        cpu::batch_norm_stats_grad(ctx.op_name, batch_norm_training(ctx), in[0], in[1], in[2], in[3], in[4], out[0]);
      });
  r.add(std::move(sg));
}

}  // namespace cutrain::ops
