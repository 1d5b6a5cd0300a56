// The stateful metrics a compiled Model keeps (metric.h), bound to outputs.
//
// Keras names a metric by its own name on a single-output model ("auc") and
// prefixes the output's name on a multi-output one ("dense_1_accuracy");
// CompileOptions::metrics follow the first rule on the first output with a
// labels target, CompileOptions::output_metrics the second. Each binding
// keeps two instances: the running state fit reads (reset per epoch and per
// evaluation) and one reset every batch, for the batch's own logs.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cutrain/train/logs.h"
#include "cutrain/train/losses_api.h"
#include "cutrain/train/metric.h"

namespace cutrain::train {

class MetricSet {
 public:
  // Binds the registered metric `name` to output `head`, logged as
  // prefix + the metric's name; throws naming an unknown metric or a key
  // logged twice.
  void add(int head, const std::string& prefix, const std::string& name);
  bool empty() const { return bindings_.empty(); }
  // The outputs the metrics read, each once, in the order of first binding.
  const std::vector<int>& heads() const { return heads_; }

  // One batch: predictions and targets per entry of heads() (host tensors).
  // Updates the running state and returns the batch's values.
  Logs update(std::span<const Tensor> predictions, std::span<const Tensor> targets,
              std::span<const double> sample_weight);
  Logs results() const;
  void reset();
  // The running states, by logged key (metric.h); assign throws naming a
  // key that is missing or not bound.
  MetricVariables variables() const;
  void assign_variables(const MetricVariables& values);

 private:
  struct Binding {
    size_t slot;  // index into heads_
    std::string key;
    std::unique_ptr<Metric> running, batch;
  };
  std::vector<Binding> bindings_;
  std::vector<int> heads_;
};

// The Model's own per-batch metrics (accuracy, top_k, top5 in
// CompileOptions::metrics), averaged over batches as they always were.
bool is_batch_mean_metric(const std::string& name);

// Throws naming every metric name in `metrics` and `output_metrics` that is
// neither a batch-mean metric nor registered.
void check_metric_names(const std::vector<std::string>& metrics,
                        const std::map<std::string, std::vector<std::string>>& output_metrics);

// The stateful metrics of a compiled model: the registered names in
// `metrics` on the first output with a labels target, unprefixed, and
// `output_metrics` on their outputs, prefixed "<output>_". Throws naming an
// unknown output or one whose target is the input.
std::unique_ptr<MetricSet> bind_metrics(const std::vector<std::string>& metrics,
                                        const std::map<std::string, std::vector<std::string>>& output_metrics,
                                        const std::vector<std::string>& output_names,
                                        const std::vector<LossSpec>& losses);

}  // namespace cutrain::train
