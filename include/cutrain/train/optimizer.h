// Optimizers as graph builders: the slots (graph state) and one update op per
// parameter, plus the per-step attribute refresh.
//
// The learning rate and Adam's 1-based step count change every step, so the
// update ops read them from the executor's per-step scalars (slots
// "optimizer/lr" and "optimizer/step", ops/step_scalars.h): before each step
// the Model sets them with set_step_scalars, and a recorded (replayed) step
// sees the new values. The ops' lr/step attrs hold the initial values, used
// only by executors without per-step scalars (set_step_attrs refreshes them).
//
// Slots are state leaves named "<parameter>/<slot>": "momentum" (SGD with
// momentum), "rms" and "momentum" (RMSProp), "m" and "v" (Adam/AdamW).
// RMSProp's "rms" starts at ONES as in TF1's RMSPropOptimizer (the TF-slim
// Inception recipe) unless rmsprop_ms_init_ones is false (Keras: zeros).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"
#include "cutrain/graph/ops/optimizers.h"

namespace cutrain::graph {
class PlannedExecutor;
}
#include "cutrain/train/schedules.h"

namespace cutrain::train {

enum class OptimizerKind { sgd, rmsprop, adam, adamw };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
  SchedulePtr learning_rate = constant_schedule(0.01);
  double momentum = 0.0;  // SGD and RMSProp
  bool nesterov = false;  // SGD
  double rho = 0.9;       // RMSProp decay
  double epsilon = -1;    // < 0: the kind's default (RMSProp 1e-10, Adam 1e-8)
  double beta1 = 0.9, beta2 = 0.999;
  double weight_decay = 0.0;  // in the update: coupled (SGD, Adam) or decoupled (AdamW)
  bool rmsprop_ms_init_ones = true;
  double initial_lr() const { return (*learning_rate)(0, 0); }
};

OptimizerConfig sgd(SchedulePtr lr, double momentum = 0.0, bool nesterov = false);
OptimizerConfig rmsprop(SchedulePtr lr, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-10);
OptimizerConfig adam(SchedulePtr lr, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8);
OptimizerConfig adamw(SchedulePtr lr, double weight_decay, double beta1 = 0.9, double beta2 = 0.999,
                      double epsilon = 1e-8);

// "sgd", "momentum" (SGD, momentum 0.9), "nesterov", "rmsprop" (the slim
// recipe: rho 0.9, momentum 0.9, epsilon 1.0), "adam", "adamw"; throws on others.
OptimizerConfig optimizer_by_name(const std::string& name, SchedulePtr lr);
std::string optimizer_name(OptimizerKind kind);

struct OptimizerGraph {
  std::vector<graph::Value> tokens;  // fetch these to run the updates
  std::vector<graph::Value> slots;   // state leaves, in creation order
  int lr_slot = -1, step_slot = -1;  // per-step scalar slots (Graph::step_scalar)
};

// Creates the slots and the update ops of `params` given `grads`; a
// defined guard.found_inf makes them skip a loss-scaled step with inf/NaN
// gradients (loss_scale.h).
OptimizerGraph build_optimizer(graph::Graph& g, const OptimizerConfig& config,
                               const std::vector<graph::Value>& params,
                               const std::vector<graph::Value>& grads, const graph::UpdateGuard& guard = {});

// Sets the learning rate and the 1-based step of the next step's updates.
void set_step_scalars(graph::PlannedExecutor& exec, const OptimizerGraph& opt, double lr, int64_t step);

// Writes them into the update nodes' attrs instead (executors without
// per-step scalars, e.g. the reference Executor).
void set_step_attrs(graph::Graph& g, const OptimizerGraph& opt, double lr, int64_t step);

}  // namespace cutrain::train
