// Metric state as numbers (metric.h), for mid-epoch backups.
#include "cutrain/core/error.h"
#include "cutrain/train/builtin_metrics.h"
#include "cutrain/train/metric.h"

namespace cutrain::train {
namespace {

void check_count(const Metric& m, std::span<const double> values, size_t expected) {
  CUTRAIN_CHECK(values.size() == expected, "metric '", m.name(), "': ", values.size(),
                " state values to restore, expected ", expected, " (a backup of a different metric?)");
}

}  // namespace

std::vector<double> Metric::variables() const {
  CUTRAIN_THROW("metric '", name_, "' does not expose its state (override Metric::variables and "
                "Metric::assign_variables), so it cannot be backed up mid-epoch; back up at epoch ends "
                "(BackupAndRestore save_freq \"epoch\") or give the metric its variables");
}

void Metric::assign_variables(std::span<const double> /*values*/) {
  CUTRAIN_THROW("metric '", name_, "' cannot restore its state (override Metric::assign_variables)");
}

void MeanMetric::assign_variables(std::span<const double> values) {
  check_count(*this, values, 2);
  total_ = values[0];
  weight_ = values[1];
}

std::vector<double> ConfusionMetric::variables() const {
  std::vector<double> v;
  for (const auto* part : {&tp_, &fp_, &tn_, &fn_}) v.insert(v.end(), part->begin(), part->end());
  return v;
}

void ConfusionMetric::assign_variables(std::span<const double> values) {
  const size_t t = thresholds_.size();
  check_count(*this, values, 4 * t);
  size_t at = 0;
  for (auto* part : {&tp_, &fp_, &tn_, &fn_}) {
    part->assign(values.begin() + static_cast<std::ptrdiff_t>(at), values.begin() + static_cast<std::ptrdiff_t>(at + t));
    at += t;
  }
}

}  // namespace cutrain::train
