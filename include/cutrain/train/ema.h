// Exponential moving average of the trainable parameters, used for
// evaluation (TF's ExponentialMovingAverage as in the slim Inception recipe,
// Keras' use_ema).
//
// With CompileOptions::ema_decay > 0 the training step ends with one
// ema_update(shadow, parameter) per trainable parameter, placed after the
// optimizer's update ops in graph order, so each shadow averages the updated
// weights:  shadow -= (1 - d_t) (shadow - w_t).  The shadows are state leaves
// named "ema/<parameter>" (checkpoint name "ema.<parameter>"), created when
// the training part of the step is first built and initialised to the
// parameters' values at that moment.
//
// Warm-up (ema_warmup, default on; TF's ExponentialMovingAverage with
// num_updates = the global step): d_t = min(decay, (1 + t) / (10 + t)) where
// t is the 1-based number of the optimizer update just done (the step count
// after it). Early on the average then follows the weights closely instead of
// staying near the initialisation.
//
// Only trainable parameters are averaged: batch-norm running statistics are
// already moving averages, so evaluation uses them as they are.
//
// Evaluation (evaluate, predict, test_on_batch, predict_on_batch, and the
// validation inside fit) swaps the shadows into the parameter tensors and
// swaps the raw weights back afterwards; training always continues on the
// raw weights. Scopes nest: only the outermost one copies.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cutrain/graph/graph.h"
#include "cutrain/graph/ops/optimizers.h"

namespace cutrain::graph {
class PlannedExecutor;
}

namespace cutrain::train {

// "ema/<parameter graph name>".
std::string ema_shadow_name(const std::string& parameter_name);

// The decay applied at the 1-based update `num_updates` (see above).
double ema_decay_at(double decay, bool warmup, int64_t num_updates);

struct EmaGraph {
  std::vector<graph::Value> shadows;  // state leaves, one per parameter
  std::vector<graph::Value> tokens;   // fetch these to run the averages
  int decay_slot = -1;                // per-step scalar "ema/decay" (ops/step_scalars.h)
};

// Appends the shadows (copies of the parameters' current tensors) and their
// ema_update ops. Call after the optimizer's updates are in the graph.
// A defined guard.found_inf skips the averages of a skipped loss-scaled step.
EmaGraph build_ema(graph::Graph& g, const std::vector<graph::Value>& params, double decay,
                   const graph::UpdateGuard& guard = {});

// Sets the decay of the next step (a per-step scalar: replayed steps read it).
void set_ema_decay(graph::PlannedExecutor& exec, const EmaGraph& ema, double decay);

// Swaps averaged weights into parameter tensors for the length of a scope.
class EmaSwap {
 public:
  // (parameter, shadow) tensor pairs, same device, shape and dtype.
  void set_pairs(std::vector<std::pair<Tensor, Tensor>> pairs);
  bool has_pairs() const { return !pairs_.empty(); }
  bool swapped() const { return depth_ > 0; }
  void enter();
  void exit();
  // Restores the raw weights whatever the nesting (after an exception).
  void reset();

  class Scope {
   public:
    explicit Scope(EmaSwap& s) : s_(s) { s_.enter(); }
    ~Scope() { s_.exit(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    EmaSwap& s_;
  };

 private:
  void restore();
  std::vector<std::pair<Tensor, Tensor>> pairs_;
  std::vector<Tensor> backup_;
  int depth_ = 0;
};

}  // namespace cutrain::train
