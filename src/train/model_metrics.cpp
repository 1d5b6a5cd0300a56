// The Model's stateful metrics as fit sees them (Trainable::reset_metrics,
// metric_results); their per-batch updates are in Model::step_logs.
#include "cutrain/train/metric_set.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

void Model::reset_metrics() {
  if (metric_set_) metric_set_->reset();
}

Logs Model::metric_results() { return metric_set_ ? metric_set_->results() : Logs{}; }

}  // namespace cutrain::train
