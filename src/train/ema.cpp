#include "cutrain/train/ema.h"

#include <algorithm>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/planned_executor.h"

namespace cutrain::train {

std::string ema_shadow_name(const std::string& parameter_name) { return "ema/" + parameter_name; }

double ema_decay_at(double decay, bool warmup, int64_t num_updates) {
  CUTRAIN_CHECK(decay >= 0 && decay <= 1, "EMA decay must be in [0, 1], got ", decay);
  if (!warmup) return decay;
  const double t = static_cast<double>(num_updates);
  return std::min(decay, (1.0 + t) / (10.0 + t));
}

EmaGraph build_ema(graph::Graph& g, const std::vector<graph::Value>& params, double decay,
                   const graph::UpdateGuard& guard) {
  EmaGraph out;
  // The parameter may already be a device leaf (Model::share_leaves): its
  // copy is ordered on that device's default stream, the executors' main one.
  for (const graph::Value& p : params) {
    const Tensor& w = g.tensor_of(p);
    out.shadows.push_back(g.state(ema_shadow_name(g.node(p.node).name), w.clone(Stream::default_stream(w.device()))));
  }
  out.decay_slot = g.step_scalar("ema/decay");
  out.tokens = graph::ema_update(out.shadows, params, decay, out.decay_slot, guard);
  return out;
}

void set_ema_decay(graph::PlannedExecutor& exec, const EmaGraph& ema, double decay) {
  exec.set_step_scalar(ema.decay_slot, decay);
}

void EmaSwap::set_pairs(std::vector<std::pair<Tensor, Tensor>> pairs) {
  CUTRAIN_CHECK(depth_ == 0, "EMA: the shadows changed while swapped in");
  for (const auto& [w, s] : pairs)
    CUTRAIN_CHECK(w.shape() == s.shape() && w.dtype() == s.dtype() && w.device() == s.device(),
                  "EMA: a shadow does not match its parameter");
  pairs_ = std::move(pairs);
  backup_.clear();
}

// Copies on the device's default stream, then waits, so the executor's
// streams see the new values and the shadows are untouched afterwards.
void EmaSwap::enter() {
  if (depth_++ > 0 || pairs_.empty()) return;
  if (backup_.empty())
    for (const auto& [w, s] : pairs_) backup_.push_back(Tensor::empty(w.shape(), w.dtype(), w.device()));
  const Stream st = Stream::default_stream(pairs_[0].first.device());
  for (size_t i = 0; i < pairs_.size(); ++i) {
    backup_[i].copy_from(pairs_[i].first, st);
    pairs_[i].first.copy_from(pairs_[i].second, st);
  }
  st.synchronize();
}

// No throw on an unbalanced exit: scopes exit from destructors, possibly after reset().
void EmaSwap::exit() {
  if (depth_ > 0 && --depth_ == 0) restore();
}

void EmaSwap::reset() {
  if (depth_ == 0) return;
  depth_ = 0;
  restore();
}

void EmaSwap::restore() {
  if (pairs_.empty()) return;
  const Stream st = Stream::default_stream(pairs_[0].first.device());
  for (size_t i = 0; i < pairs_.size(); ++i) pairs_[i].first.copy_from(backup_[i], st);
  st.synchronize();
}

}  // namespace cutrain::train
