// Metric accumulators over host tensors, kept apart from the loss.
//
// Each accumulates weighted per-sample values across batches and reports
// sum(w_i * v_i) / sum(w_i) (Keras' MeanMetricWrapper; weights default to 1).
//   Mean: any per-sample values.
//   SparseCategoricalAccuracy: argmax(logits) == label; ties pick the first
//     maximum (numpy argmax).
//   SparseTopKCategoricalAccuracy: the label is in the top k when fewer than
//     k classes score strictly higher (TF in_top_k: ties straddling the
//     boundary count as in); a non-finite score for the label counts as out.
// Logits are [N, C] and labels [N] (any numeric dtype; integral values).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::train {

class Mean {
 public:
  explicit Mean(std::string name = "mean") : name_(std::move(name)) {}
  void update(double value, double weight = 1.0);
  void update(std::span<const double> values, std::span<const double> weights = {});
  double result() const { return weight_ > 0 ? total_ / weight_ : 0.0; }
  void reset() { total_ = weight_ = 0; }
  const std::string& name() const { return name_; }
  double total() const { return total_; }
  double count() const { return weight_; }

 private:
  std::string name_;
  double total_ = 0;
  double weight_ = 0;
};

// Per-sample 0/1 hits.
std::vector<double> sparse_categorical_hits(const Tensor& logits, const Tensor& labels);
std::vector<double> sparse_top_k_hits(const Tensor& logits, const Tensor& labels, int k);

class SparseCategoricalAccuracy {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "accuracy") : mean_(std::move(name)) {}
  void update(const Tensor& logits, const Tensor& labels, std::span<const double> weights = {});
  double result() const { return mean_.result(); }
  void reset() { mean_.reset(); }
  const std::string& name() const { return mean_.name(); }

 private:
  Mean mean_;
};

class SparseTopKCategoricalAccuracy {
 public:
  explicit SparseTopKCategoricalAccuracy(int k = 5, std::string name = "top_k_categorical_accuracy");
  void update(const Tensor& logits, const Tensor& labels, std::span<const double> weights = {});
  double result() const { return mean_.result(); }
  void reset() { mean_.reset(); }
  const std::string& name() const { return mean_.name(); }
  int k() const { return k_; }

 private:
  int k_;
  Mean mean_;
};

// Keras' default loss reduction ("sum_over_batch_size"): sum(loss_i * w_i) / N,
// divided by the batch size, not by the sum of the weights.
double reduce_sum_over_batch_size(std::span<const double> losses, std::span<const double> weights = {});

}  // namespace cutrain::train
