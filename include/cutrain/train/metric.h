// Stateful metrics (Keras' keras.metrics.Metric): update_state(y_true,
// y_pred, sample_weight) accumulates over batches, result() reports, and
// reset_state() starts over (fit resets at every epoch and every evaluation).
//
// Metrics are registered by name like losses (losses_api.h), so a compile
// config naming a custom metric rebuilds once the metric is registered again
// (a checkpoint naming an unregistered metric does not load).
//
// What a metric sees: y_pred is a network output as the Model produces it,
// on the host: logits (every built-in loss is from_logits); y_true is that
// output's target: i32 class ids [N] or a tensor like y_pred. sample_weight
// is one weight per sample (empty: all 1).
//
// Built in (metric_registry.cpp), all reading logits:
//   "accuracy", "sparse_categorical_accuracy": argmax(y_pred) == y_true.
//   "top_k": the label among the 5 highest scores ("top_k_categorical_accuracy").
//   "precision", "recall": Keras' Precision/Recall at threshold 0.5 on the
//     probabilities (sigmoid; softmax against one-hot labels for [N, C]
//     outputs with class ids).
//   "auc": Keras' AUC: ROC, 200 thresholds, interpolation.
//   "mean_absolute_error", "mean_squared_error": per-sample mean over the
//     elements of |y_pred - y_true| and (y_pred - y_true)^2.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::train {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;

  virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                            std::span<const double> sample_weight = {}) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  const std::string& name() const { return name_; }

  // The state as numbers (Keras' metric variables) and its restoration, so
  // a mid-epoch backup (BackupAndRestore) resumes the epoch's metric. The
  // defaults throw naming the metric: a custom metric that does not
  // override them trains as before but cannot be backed up mid-epoch.
  virtual std::vector<double> variables() const;
  virtual void assign_variables(std::span<const double> values);

 private:
  std::string name_;
};

// The variables of several metrics, by the key each is logged under.
using MetricVariables = std::vector<std::pair<std::string, std::vector<double>>>;

using MetricFactory = std::function<std::unique_ptr<Metric>()>;

// Registers (or replaces) a metric; throws on an empty name or no factory.
void register_metric(const std::string& name, MetricFactory factory);
bool has_metric(const std::string& name);
// A fresh metric; throws naming the metric and the registered ones when it is unknown.
std::unique_ptr<Metric> make_metric(const std::string& name);
std::vector<std::string> registered_metrics();  // sorted

}  // namespace cutrain::train
