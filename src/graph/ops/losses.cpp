// Graph builders of the losses ops.
#include "cutrain/graph/ops/losses.h"

namespace cutrain::graph {

Value softmax_cross_entropy(Value logits, Value labels, double label_smoothing) {
  return logits.graph->apply1("softmax_cross_entropy", {logits, labels}, {{"label_smoothing", label_smoothing}});
}
Value sigmoid_binary_cross_entropy(Value logits, Value targets, double label_smoothing, bool sum_features) {
  return logits.graph->apply1("sigmoid_binary_cross_entropy", {logits, targets},
                              {{"label_smoothing", label_smoothing}, {"sum_features", sum_features}});
}
Value mean_squared_error(Value pred, Value target) {
  return pred.graph->apply1("mean_squared_error", {pred, target});
}
Value gaussian_kl(Value mu, Value logvar) { return mu.graph->apply1("gaussian_kl", {mu, logvar}); }
Value weighted_loss_reduce(Value per_sample, Value weights, const std::string& mode) {
  std::vector<Value> in{per_sample};
  if (weights.defined()) in.push_back(weights);
  return per_sample.graph->apply1("weighted_loss_reduce", in, {{"mode", mode}});
}

}  // namespace cutrain::graph
