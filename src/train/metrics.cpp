#include "cutrain/train/metrics.h"

#include <cmath>

#include "cutrain/core/error.h"

namespace cutrain::train {
namespace {

void check_weights(std::size_t n, std::span<const double> weights, const char* what) {
  CUTRAIN_CHECK(weights.empty() || weights.size() == n, what, ": ", weights.size(),
                " weights for ", n, " samples");
}

int64_t check_logits_labels(const Tensor& logits, const Tensor& labels, const char* what) {
  CUTRAIN_CHECK(logits.rank() == 2, what, ": logits must be [N, C], got ", logits.shape().str());
  CUTRAIN_CHECK(labels.numel() == logits.dim(0), what, ": ", labels.numel(), " labels for ",
                logits.dim(0), " rows of logits");
  return logits.dim(1);
}

int64_t label_at(const Tensor& labels, int64_t i, int64_t classes, const char* what) {
  const double l = labels.flat(i);
  const auto c = static_cast<int64_t>(l);
  CUTRAIN_CHECK(static_cast<double>(c) == l && c >= 0 && c < classes, what, ": label ", l,
                " of sample ", i, " is not a class index in [0, ", classes, ")");
  return c;
}

}  // namespace

void Mean::update(double value, double weight) {
  total_ += value * weight;
  weight_ += weight;
}

void Mean::update(std::span<const double> values, std::span<const double> weights) {
  check_weights(values.size(), weights, "Mean::update");
  for (std::size_t i = 0; i < values.size(); ++i) update(values[i], weights.empty() ? 1.0 : weights[i]);
}

std::vector<double> sparse_categorical_hits(const Tensor& logits, const Tensor& labels) {
  const char* what = "sparse_categorical_accuracy";
  const int64_t classes = check_logits_labels(logits, labels, what);
  const int64_t n = logits.dim(0);
  std::vector<double> hits(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    double best_v = logits.flat(i * classes);
    for (int64_t c = 1; c < classes; ++c) {
      const double v = logits.flat(i * classes + c);
      if (v > best_v || (std::isnan(v) && !std::isnan(best_v))) {
        best_v = v;
        best = c;
      }
    }
    hits[static_cast<std::size_t>(i)] = best == label_at(labels, i, classes, what) ? 1.0 : 0.0;
  }
  return hits;
}

std::vector<double> sparse_top_k_hits(const Tensor& logits, const Tensor& labels, int k) {
  const char* what = "sparse_top_k_categorical_accuracy";
  const int64_t classes = check_logits_labels(logits, labels, what);
  const int64_t n = logits.dim(0);
  std::vector<double> hits(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = label_at(labels, i, classes, what);
    const double target = logits.flat(i * classes + label);
    bool in = std::isfinite(target);
    if (in) {
      int64_t higher = 0;
      for (int64_t c = 0; c < classes; ++c)
        if (logits.flat(i * classes + c) > target) ++higher;
      in = higher < k;
    }
    hits[static_cast<std::size_t>(i)] = in ? 1.0 : 0.0;
  }
  return hits;
}

void SparseCategoricalAccuracy::update(const Tensor& logits, const Tensor& labels,
                                       std::span<const double> weights) {
  mean_.update(sparse_categorical_hits(logits, labels), weights);
}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(int k, std::string name)
    : k_(k), mean_(std::move(name)) {
  CUTRAIN_CHECK(k > 0, "top-k accuracy: k must be positive, got ", k);
}

void SparseTopKCategoricalAccuracy::update(const Tensor& logits, const Tensor& labels,
                                           std::span<const double> weights) {
  mean_.update(sparse_top_k_hits(logits, labels, k_), weights);
}

double reduce_sum_over_batch_size(std::span<const double> losses, std::span<const double> weights) {
  check_weights(losses.size(), weights, "reduce_sum_over_batch_size");
  if (losses.empty()) return 0.0;
  double s = 0;
  for (std::size_t i = 0; i < losses.size(); ++i) s += losses[i] * (weights.empty() ? 1.0 : weights[i]);
  return s / static_cast<double>(losses.size());
}

}  // namespace cutrain::train
