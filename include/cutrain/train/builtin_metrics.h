// The built-in stateful metrics (metric.h), as Keras defines them.
//
// MeanMetric (Keras' MeanMetricWrapper): a per-sample value v_i, reported as
// sum(w_i v_i) / sum(w_i) over everything seen since the last reset.
//
// Confusion-matrix metrics (Keras' Precision, Recall, AUC) count, per
// threshold t, the weighted elements with prediction > t (positive) against
// y_true != 0 (true): tp, fp, tn, fn. A sample's weight applies to each of
// its elements. from_logits: predictions are logits, turned into
// probabilities first (sigmoid; softmax when a [N, C] output, C > 1, is
// compared with class ids [N], which become one-hot rows).
//   Precision = tp / (tp + fp), Recall = tp / (tp + fn) (0 when the
//     denominator is 0: Keras' divide_no_nan).
//   AUC (ROC, summation "interpolation"): thresholds
//     [-1e-7, 1/(T-1), ..., (T-2)/(T-1), 1 + 1e-7]; tpr and fpr per threshold;
//     sum over i of (fpr_i - fpr_{i+1}) (tpr_i + tpr_{i+1}) / 2.
#pragma once

#include <functional>

#include "cutrain/train/metric.h"

namespace cutrain::train {

// Per-sample values of (y_true, y_pred), one per row of y_pred.
using SampleValues = std::function<std::vector<double>(const Tensor& y_true, const Tensor& y_pred)>;

class MeanMetric : public Metric {
 public:
  MeanMetric(std::string name, SampleValues values);
  void update_state(const Tensor& y_true, const Tensor& y_pred, std::span<const double> sample_weight = {}) override;
  double result() const override { return weight_ > 0 ? total_ / weight_ : 0.0; }
  void reset_state() override { total_ = weight_ = 0; }
  std::vector<double> variables() const override { return {total_, weight_}; }
  void assign_variables(std::span<const double> values) override;

 private:
  SampleValues values_;
  double total_ = 0;
  double weight_ = 0;
};

// Per-sample mean over the elements of |p - t| and (p - t)^2 (y_true shaped
// like y_pred, or class ids [N] against a [N] or [N, 1] output).
std::vector<double> absolute_errors(const Tensor& y_true, const Tensor& y_pred);
std::vector<double> squared_errors(const Tensor& y_true, const Tensor& y_pred);

class ConfusionMetric : public Metric {
 public:
  ConfusionMetric(std::string name, std::vector<double> thresholds, bool from_logits);
  void update_state(const Tensor& y_true, const Tensor& y_pred, std::span<const double> sample_weight = {}) override;
  void reset_state() override;
  // tp, fp, tn, fn, one value per threshold each.
  std::vector<double> variables() const override;
  void assign_variables(std::span<const double> values) override;
  const std::vector<double>& thresholds() const { return thresholds_; }
  const std::vector<double>& tp() const { return tp_; }
  const std::vector<double>& fp() const { return fp_; }
  const std::vector<double>& tn() const { return tn_; }
  const std::vector<double>& fn() const { return fn_; }

 private:
  std::vector<double> thresholds_;
  bool from_logits_;
  std::vector<double> tp_, fp_, tn_, fn_;
};

class Precision final : public ConfusionMetric {
 public:
  explicit Precision(std::string name = "precision", double threshold = 0.5, bool from_logits = false)
      : ConfusionMetric(std::move(name), {threshold}, from_logits) {}
  double result() const override;
};

class Recall final : public ConfusionMetric {
 public:
  explicit Recall(std::string name = "recall", double threshold = 0.5, bool from_logits = false)
      : ConfusionMetric(std::move(name), {threshold}, from_logits) {}
  double result() const override;
};

class AUC final : public ConfusionMetric {
 public:
  explicit AUC(std::string name = "auc", int num_thresholds = 200, bool from_logits = false);
  double result() const override;
};

}  // namespace cutrain::train
