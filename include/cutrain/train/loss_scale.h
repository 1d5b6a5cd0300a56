// Loss scaling for fp16 training, with torch.amp.GradScaler's semantics.
//
// The step multiplies the loss by the scale S before backward, so small fp16
// gradients do not flush to zero; the gradients are then divided by S (after
// a data-parallel all-reduce, before clipping and the update), and the same
// multi-tensor pass raises a found_inf flag when any gradient is inf or NaN.
// The whole update is then skipped: every optimizer update, the applied-step
// count Adam's bias correction reads and the EMA leave their tensors as they
// were (GradScaler skips optimizer.step). The decision is made where the
// kernels run, from the device flag (ops/optimizers.h "guarded updates"), so
// a GPU step never waits for the host. Batch-norm moving statistics are
// updated by the forward pass as usual, as under GradScaler.
//
// Dynamic scaling (GradScaler's defaults): S starts at init_scale (2^16),
// halves (backoff_factor) on a step with inf/NaN gradients, doubles
// (growth_factor) after growth_interval (2000) consecutive finite steps.
// A fixed scale never changes but still skips non-finite steps.
//
// State: leaves "loss_scale/scale" (the model's dtype, as GradScaler's f32
// scale), "loss_scale/growth_tracker" and "loss_scale/optimizer_steps" (f64:
// counts held exactly), checkpointed with the optimizer slots as
// "optimizer.loss_scale.scale" etc. and restored on resume. The fit logs
// carry "loss_scale" (the scale after the latest step) only when scaling is on.
//
// The learning-rate schedule and the EMA warm-up keep counting batches run
// (Model::step), as a PyTorch scheduler stepped every iteration does; only
// Adam's step count is the applied updates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/params/optimizers.h"

namespace cutrain::train {

// automatic: decided by the precision (resolve_loss_scale).
enum class LossScaleMode { automatic, off, dynamic, fixed };

struct LossScaleOptions {
  LossScaleMode mode = LossScaleMode::automatic;
  double init_scale = 65536.0;  // dynamic: the initial scale; fixed: the scale
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool enabled() const { return mode == LossScaleMode::dynamic || mode == LossScaleMode::fixed; }
};

// The mode a step uses: automatic is dynamic for fp16 (bf16 and fp32 need
// none) and off otherwise; an explicit mode is kept. Checks the values.
LossScaleOptions resolve_loss_scale(const LossScaleOptions& requested, bool is_fp16);

// "off", "dynamic" or a fixed scale N > 0 (the CLI's --loss-scale); throws
// an Error naming the text otherwise.
LossScaleOptions parse_loss_scale(const std::string& text);
// The inverse: "off", "dynamic", or the fixed scale.
std::string loss_scale_name(const LossScaleOptions& o);

struct LossScaleGraph {
  graph::Value scale, growth_tracker, steps;  // state leaves
  graph::Value found_inf;                     // set by unscale()
  std::vector<graph::Value> slots() const { return {scale, growth_tracker, steps}; }
  graph::UpdateGuard guard() const { return {found_inf, steps}; }
};

// Creates the state leaves (scale in `dtype`).
LossScaleGraph build_loss_scale(graph::Graph& g, const LossScaleOptions& o, DType dtype);
// loss * scale.
graph::Value scale_loss(const LossScaleGraph& ls, graph::Value loss);
// The gradients divided by the scale; sets ls.found_inf.
std::vector<graph::Value> unscale(LossScaleGraph& ls, const std::vector<graph::Value>& grads);
// The scale update, after every update in `tokens`; returns its token.
graph::Value update_scale(const LossScaleGraph& ls, const LossScaleOptions& o,
                          const std::vector<graph::Value>& tokens);

}  // namespace cutrain::train
