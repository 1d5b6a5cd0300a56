#include <map>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/train/builtin_metrics.h"
#include "cutrain/train/metric.h"
#include "cutrain/train/metrics.h"

namespace cutrain::train {
namespace {

MetricFactory mean(std::string name, SampleValues values) {
  return [name = std::move(name), values = std::move(values)] { return std::make_unique<MeanMetric>(name, values); };
}

struct MetricRegistry {
  std::mutex mu;
  std::map<std::string, MetricFactory> metrics;
  MetricRegistry() {
    metrics["accuracy"] = mean("accuracy", [](const Tensor& t, const Tensor& p) { return sparse_categorical_hits(p, t); });
    metrics["sparse_categorical_accuracy"] =
        mean("sparse_categorical_accuracy", [](const Tensor& t, const Tensor& p) { return sparse_categorical_hits(p, t); });
    metrics["top_k"] = mean("top_k_categorical_accuracy",
                            [](const Tensor& t, const Tensor& p) { return sparse_top_k_hits(p, t, 5); });
    metrics["mean_absolute_error"] = mean("mean_absolute_error", absolute_errors);
    metrics["mean_squared_error"] = mean("mean_squared_error", squared_errors);
    // The Model's outputs are logits.
    metrics["precision"] = [] { return std::make_unique<Precision>("precision", 0.5, true); };
    metrics["recall"] = [] { return std::make_unique<Recall>("recall", 0.5, true); };
    metrics["auc"] = [] { return std::make_unique<AUC>("auc", 200, true); };
  }
};

MetricRegistry& metric_registry() {
  static MetricRegistry r;
  return r;
}

}  // namespace

void register_metric(const std::string& name, MetricFactory factory) {
  CUTRAIN_CHECK(!name.empty(), "a metric needs a name");
  CUTRAIN_CHECK(factory != nullptr, "metric '", name, "' has no factory");
  std::lock_guard lock(metric_registry().mu);
  metric_registry().metrics[name] = std::move(factory);
}

bool has_metric(const std::string& name) {
  std::lock_guard lock(metric_registry().mu);
  return metric_registry().metrics.count(name) != 0;
}

std::vector<std::string> registered_metrics() {
  std::lock_guard lock(metric_registry().mu);
  std::vector<std::string> names;
  for (const auto& [n, f] : metric_registry().metrics) names.push_back(n);
  return names;
}

std::unique_ptr<Metric> make_metric(const std::string& name) {
  MetricFactory f;
  {
    std::lock_guard lock(metric_registry().mu);
    auto it = metric_registry().metrics.find(name);
    if (it != metric_registry().metrics.end()) f = it->second;
  }
  if (!f) {
    std::string known;
    for (const std::string& n : registered_metrics()) known += (known.empty() ? "" : ", ") + n;
    CUTRAIN_THROW("unknown metric '", name, "' (", known, "; register custom metrics with train::register_metric)");
  }
  std::unique_ptr<Metric> m = f();
  CUTRAIN_CHECK(m != nullptr, "metric '", name, "': its factory returned nothing");
  return m;
}

}  // namespace cutrain::train
