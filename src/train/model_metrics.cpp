// The Model's stateful metrics as fit sees them (Trainable::reset_metrics,
// metric_results); their per-batch updates are in Model::step_logs.
#include "cutrain/train/metric_set.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

void Model::reset_metrics() {
  if (metric_set_) metric_set_->reset();
}

MetricVariables Model::metric_variables() const { return metric_set_ ? metric_set_->variables() : MetricVariables{}; }

void Model::assign_metric_variables(const MetricVariables& values) {
  if (metric_set_)
    metric_set_->assign_variables(values);
  else
    TrainingContext::assign_metric_variables(values);
}

// The loss scale after the latest step (not an average: fit's epoch logs
// take these values as they are), read when fit has the step's logs anyway.
Logs Model::metric_results() {
  Logs logs = metric_set_ ? metric_set_->results() : Logs{};
  if (options_.loss_scale.enabled() && !evaluating_) {
    auto it = leaves_.find("loss_scale/scale");
    if (it != leaves_.end()) logs.set("loss_scale", it->second.to(Device::cpu(), stream()).item());
  }
  return logs;
}

}  // namespace cutrain::train
