// Model::StepGraph: the graph of one batch size and what the step fetches
// from it. The forward part (network, per-head losses, added losses, L2)
// serves evaluation and prediction; the training part (gradients, optional
// accumulation, all-reduce, unscale and clipping, the optimizer's updates,
// the EMA, the loss-scale update) is added on the first training step
// (model_step_graph.cpp).
#pragma once

#include <memory>
#include <vector>

#include "cutrain/graph/autocast.h"
#include "cutrain/graph/fusion.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/train/ema.h"
#include "cutrain/train/model.h"
#include "cutrain/train/optimizer.h"

namespace cutrain::train {

struct Model::StepGraph {
  std::unique_ptr<graph::Graph> g;
  Network net;
  struct Head {
    graph::Value target;   // labels/tensor input, or the network input
    graph::Value weights;  // per-sample weights [B]
    graph::Value loss;     // sum_n l_n w_n / B, before the loss weight
  };
  std::vector<Head> heads;      // per compiled loss
  graph::Value sample_weights;  // plain weights of the added per-sample losses
  graph::Value loss;            // the total
  bool has_train = false;
  OptimizerGraph opt;
  EmaGraph ema;  // empty when EMA is off
  LossScaleGraph loss_scale;  // leaves undefined when loss scaling is off
  graph::Value loss_scale_token;
  // loss, head losses (two or more heads), metric output (with metrics); then tokens.
  std::vector<graph::Value> eval_fetches, train_fetches;
  // Gradient accumulation: a micro-batch that is not the last fetches these
  // (eval_fetches, then one accumulate token per parameter).
  std::vector<graph::Value> accumulate_fetches;
  std::unique_ptr<graph::PlannedExecutor> exec;
  graph::FusionReport fusion;
  graph::AutocastReport autocast;  // casts and f32 fallbacks under bf16 / fp16
};

// Index of the first compiled loss with a labels target (the head the
// metrics read), -1 when there is none.
int first_labels_head(const std::vector<LossSpec>& losses);

inline Tensor on_host(const Tensor& t) {
  return t.device().is_cpu() ? t : t.to(Device::cpu(), Stream::default_stream(t.device()));
}

}  // namespace cutrain::train
