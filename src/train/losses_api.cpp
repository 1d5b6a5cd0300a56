#include "cutrain/train/losses_api.h"

#include <map>
#include <mutex>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/losses.h"

namespace cutrain::train {

namespace {

struct LossRegistry {
  std::mutex mu;
  std::map<std::string, LossFn> losses;
  LossRegistry() {
    losses["sparse_categorical_crossentropy"] = [](graph::Value out, graph::Value labels,
                                                    const LossSpec& s) {
      return graph::softmax_cross_entropy(out, labels, s.label_smoothing);
    };
    losses["binary_crossentropy"] = [](graph::Value out, graph::Value target, const LossSpec& s) {
      return graph::sigmoid_binary_cross_entropy(out, target, s.label_smoothing);
    };
    losses["mean_squared_error"] = [](graph::Value out, graph::Value target, const LossSpec&) {
      return graph::mean_squared_error(out, target);
    };
  }
};

LossRegistry& registry() {
  static LossRegistry r;
  return r;
}

}  // namespace

std::string target_kind_name(TargetKind k) {
  switch (k) {
    case TargetKind::labels: return "labels";
    case TargetKind::input: return "input";
    case TargetKind::tensor: return "tensor";
  }
  return "labels";
}

TargetKind target_kind_from_name(const std::string& name) {
  for (TargetKind k : {TargetKind::labels, TargetKind::input, TargetKind::tensor})
    if (target_kind_name(k) == name) return k;
  CUTRAIN_THROW("unknown loss target '", name, "' (labels, input, tensor)");
}

void register_loss(const std::string& name, LossFn fn) {
  CUTRAIN_CHECK(!name.empty(), "a loss needs a name");
  CUTRAIN_CHECK(fn != nullptr, "loss '", name, "' has no function");
  std::lock_guard lock(registry().mu);
  registry().losses[name] = std::move(fn);
}

bool has_loss(const std::string& name) {
  std::lock_guard lock(registry().mu);
  return registry().losses.count(name) != 0;
}

graph::Value per_sample_loss(const LossSpec& spec, graph::Value output, graph::Value target) {
  LossFn fn;
  {
    std::lock_guard lock(registry().mu);
    auto it = registry().losses.find(spec.name);
    CUTRAIN_CHECK(it != registry().losses.end(), "unknown loss '", spec.name,
                  "' (register custom losses with train::register_loss)");
    fn = it->second;
  }
  graph::Value v = fn(output, target, spec);
  CUTRAIN_CHECK(v.shape().rank() == 1 && v.shape()[0] == output.shape()[0], "loss '", spec.name,
                "' must return one value per sample [", output.shape()[0], "], got ", v.shape().str());
  return v;
}

}  // namespace cutrain::train
