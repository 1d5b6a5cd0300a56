#include "cutrain/train/builtin_metrics.h"

#include <algorithm>
#include <cmath>

#include "cutrain/core/error.h"

namespace cutrain::train {
namespace {

int64_t rows_of(const Tensor& y_pred) { return y_pred.rank() == 0 ? 1 : y_pred.dim(0); }

void check_sample_weight(const std::string& name, int64_t n, std::span<const double> w) {
  CUTRAIN_CHECK(w.empty() || static_cast<int64_t>(w.size()) == n, "metric '", name, "': ", w.size(),
                " sample weights for ", n, " samples");
}

// y_true elementwise against y_pred (same element count).
void check_elementwise(const char* what, const Tensor& y_true, const Tensor& y_pred) {
  CUTRAIN_CHECK(y_true.numel() == y_pred.numel(), what, ": y_true ", y_true.shape().str(),
                " does not match y_pred ", y_pred.shape().str());
}

std::vector<double> per_sample_mean(const Tensor& y_true, const Tensor& y_pred, bool squared) {
  check_elementwise(squared ? "mean_squared_error" : "mean_absolute_error", y_true, y_pred);
  const int64_t n = rows_of(y_pred);
  const int64_t per = n > 0 ? y_pred.numel() / n : 0;
  std::vector<double> out(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < per; ++j) {
      const double d = y_pred.flat(i * per + j) - y_true.flat(i * per + j);
      s += squared ? d * d : std::abs(d);
    }
    out[static_cast<size_t>(i)] = per > 0 ? s / static_cast<double>(per) : 0.0;
  }
  return out;
}

double divide_no_nan(double a, double b) { return b == 0 ? 0.0 : a / b; }

}  // namespace

MeanMetric::MeanMetric(std::string name, SampleValues values) : Metric(std::move(name)), values_(std::move(values)) {
  CUTRAIN_CHECK(values_ != nullptr, "metric '", this->name(), "' has no value function");
}

void MeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred, std::span<const double> w) {
  const std::vector<double> v = values_(y_true, y_pred);
  check_sample_weight(name(), static_cast<int64_t>(v.size()), w);
  for (size_t i = 0; i < v.size(); ++i) {
    const double wi = w.empty() ? 1.0 : w[i];
    total_ += v[i] * wi;
    weight_ += wi;
  }
}

std::vector<double> absolute_errors(const Tensor& y_true, const Tensor& y_pred) {
  return per_sample_mean(y_true, y_pred, false);
}
std::vector<double> squared_errors(const Tensor& y_true, const Tensor& y_pred) {
  return per_sample_mean(y_true, y_pred, true);
}

ConfusionMetric::ConfusionMetric(std::string name, std::vector<double> thresholds, bool from_logits)
    : Metric(std::move(name)), thresholds_(std::move(thresholds)), from_logits_(from_logits) {
  CUTRAIN_CHECK(!thresholds_.empty(), "metric '", this->name(), "' needs thresholds");
  reset_state();
}

void ConfusionMetric::reset_state() {
  tp_.assign(thresholds_.size(), 0.0);
  fp_ = tn_ = fn_ = tp_;
}

void ConfusionMetric::update_state(const Tensor& y_true, const Tensor& y_pred, std::span<const double> w) {
  const int64_t n = rows_of(y_pred);
  check_sample_weight(name(), n, w);
  const int64_t classes = y_pred.rank() == 2 ? y_pred.dim(1) : 1;
  // Class ids against a [N, C] output: one-hot rows, softmax probabilities.
  const bool one_hot = classes > 1 && y_true.numel() == n;
  if (!one_hot) check_elementwise(name().c_str(), y_true, y_pred);
  const int64_t per = n > 0 ? y_pred.numel() / n : 0;
  std::vector<double> prob(static_cast<size_t>(per));
  for (int64_t i = 0; i < n; ++i) {
    const double wi = w.empty() ? 1.0 : w[static_cast<size_t>(i)];
    for (int64_t j = 0; j < per; ++j) prob[static_cast<size_t>(j)] = y_pred.flat(i * per + j);
    if (from_logits_ && one_hot) {
      const double mx = *std::max_element(prob.begin(), prob.end());
      double z = 0;
      for (double& p : prob) z += (p = std::exp(p - mx));
      for (double& p : prob) p /= z;
    } else if (from_logits_) {
      for (double& p : prob) p = 1.0 / (1.0 + std::exp(-p));
    }
    int64_t label = -1;
    if (one_hot) {
      const double l = y_true.flat(i);
      label = static_cast<int64_t>(l);
      CUTRAIN_CHECK(static_cast<double>(label) == l && label >= 0 && label < classes, "metric '", name(),
                    "': label ", l, " of sample ", i, " is not a class index in [0, ", classes, ")");
    }
    for (int64_t j = 0; j < per; ++j) {
      const bool truth = one_hot ? j == label : y_true.flat(i * per + j) != 0;
      const double p = prob[static_cast<size_t>(j)];
      for (size_t t = 0; t < thresholds_.size(); ++t) {
        const bool pos = p > thresholds_[t];
        (truth ? (pos ? tp_ : fn_) : (pos ? fp_ : tn_))[t] += wi;
      }
    }
  }
}

double Precision::result() const { return divide_no_nan(tp()[0], tp()[0] + fp()[0]); }
double Recall::result() const { return divide_no_nan(tp()[0], tp()[0] + fn()[0]); }

namespace {
std::vector<double> auc_thresholds(int num_thresholds) {
  CUTRAIN_CHECK(num_thresholds > 1, "AUC: num_thresholds must be > 1, got ", num_thresholds);
  constexpr double epsilon = 1e-7;  // Keras' backend.epsilon()
  std::vector<double> t{0.0 - epsilon};
  for (int i = 0; i < num_thresholds - 2; ++i) t.push_back((i + 1) * 1.0 / (num_thresholds - 1));
  t.push_back(1.0 + epsilon);
  return t;
}
}  // namespace

AUC::AUC(std::string name, int num_thresholds, bool from_logits)
    : ConfusionMetric(std::move(name), auc_thresholds(num_thresholds), from_logits) {}

double AUC::result() const {
  double auc = 0;
  for (size_t i = 0; i + 1 < thresholds().size(); ++i) {
    const double tpr0 = divide_no_nan(tp()[i], tp()[i] + fn()[i]);
    const double tpr1 = divide_no_nan(tp()[i + 1], tp()[i + 1] + fn()[i + 1]);
    const double fpr0 = divide_no_nan(fp()[i], fp()[i] + tn()[i]);
    const double fpr1 = divide_no_nan(fp()[i + 1], fp()[i + 1] + tn()[i + 1]);
    auc += (fpr0 - fpr1) * (tpr0 + tpr1) / 2.0;
  }
  return auc;
}

}  // namespace cutrain::train
