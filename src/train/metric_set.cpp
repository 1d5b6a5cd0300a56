#include "cutrain/train/metric_set.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::train {

void MetricSet::add(int head, const std::string& prefix, const std::string& name) {
  Binding b;
  b.running = make_metric(name);
  b.batch = make_metric(name);
  b.key = prefix + b.running->name();
  for (const Binding& o : bindings_)
    CUTRAIN_CHECK(o.key != b.key, "compile: metric '", b.key, "' is logged twice");
  auto it = std::find(heads_.begin(), heads_.end(), head);
  b.slot = static_cast<size_t>(it - heads_.begin());
  if (it == heads_.end()) heads_.push_back(head);
  bindings_.push_back(std::move(b));
}

Logs MetricSet::update(std::span<const Tensor> predictions, std::span<const Tensor> targets,
                       std::span<const double> sample_weight) {
  CUTRAIN_CHECK(predictions.size() == heads_.size() && targets.size() == heads_.size(), "metrics: ",
                predictions.size(), " predictions and ", targets.size(), " targets for ", heads_.size(), " outputs");
  Logs logs;
  for (Binding& b : bindings_) {
    const Tensor& p = predictions[b.slot];
    const Tensor& t = targets[b.slot];
    b.batch->reset_state();
    b.batch->update_state(t, p, sample_weight);
    b.running->update_state(t, p, sample_weight);
    logs.set(b.key, b.batch->result());
  }
  return logs;
}

Logs MetricSet::results() const {
  Logs logs;
  for (const Binding& b : bindings_) logs.set(b.key, b.running->result());
  return logs;
}

void MetricSet::reset() {
  for (Binding& b : bindings_) b.running->reset_state();
}

MetricVariables MetricSet::variables() const {
  MetricVariables out;
  for (const Binding& b : bindings_) out.emplace_back(b.key, b.running->variables());
  return out;
}

void MetricSet::assign_variables(const MetricVariables& values) {
  CUTRAIN_CHECK(values.size() == bindings_.size(), "metrics: ", values.size(), " metric states to restore for ",
                bindings_.size(), " metrics");
  for (Binding& b : bindings_) {
    auto it = std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == b.key; });
    CUTRAIN_CHECK(it != values.end(), "metrics: no state to restore for metric '", b.key, "'");
    b.running->assign_variables(it->second);
  }
}

bool is_batch_mean_metric(const std::string& name) {
  return name == "accuracy" || name == "top_k" || name == "top5";
}

void check_metric_names(const std::vector<std::string>& metrics,
                        const std::map<std::string, std::vector<std::string>>& output_metrics) {
  auto check = [](const std::string& m, const std::string& where) {
    if (is_batch_mean_metric(m) || has_metric(m)) return;
    std::string known;
    for (const std::string& n : registered_metrics()) known += ", " + n;
    CUTRAIN_THROW("compile: unknown metric '", m, "'", where, " (top5", known,
                  "; register custom metrics with train::register_metric)");
  };
  for (const std::string& m : metrics) check(m, "");
  for (const auto& [out, ms] : output_metrics)
    for (const std::string& m : ms) check(m, " for output '" + out + "'");
}

std::unique_ptr<MetricSet> bind_metrics(const std::vector<std::string>& metrics,
                                        const std::map<std::string, std::vector<std::string>>& output_metrics,
                                        const std::vector<std::string>& output_names,
                                        const std::vector<LossSpec>& losses) {
  auto set = std::make_unique<MetricSet>();
  int first_labels = -1;
  for (size_t i = 0; i < losses.size() && first_labels < 0; ++i)
    if (losses[i].target == TargetKind::labels) first_labels = static_cast<int>(i);
  for (const std::string& m : metrics)
    if (!is_batch_mean_metric(m) && first_labels >= 0) set->add(first_labels, "", m);
  for (const auto& [out, ms] : output_metrics) {
    auto it = std::find(output_names.begin(), output_names.end(), out);
    CUTRAIN_CHECK(it != output_names.end(), "compile: metrics for output '", out,
                  "', but the model has no output of that name");
    const auto head = static_cast<size_t>(it - output_names.begin());
    CUTRAIN_CHECK(head < losses.size() && losses[head].target != TargetKind::input, "compile: metrics for output '",
                  out, "' need a compiled loss with a labels or tensor target");
    for (const std::string& m : ms) set->add(static_cast<int>(head), out + "_", m == "top5" ? "top_k" : m);
  }
  return set;
}

}  // namespace cutrain::train
