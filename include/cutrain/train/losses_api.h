// Losses as the Model sees them: one per network output, by name, with a
// weight in the total (the Inception recipe: main 1.0 + aux 0.4).
//
// A loss maps (output, labels) to one value per sample ([N]); the Model then
// applies the per-sample weights and Keras' sum_over_batch_size reduction
// (ops::weighted_loss_reduce) and scales by LossSpec::weight. Custom losses
// are registered by name (register_loss) so a config naming them rebuilds.
// Built in: "sparse_categorical_crossentropy" (softmax cross-entropy on
// logits with integer labels; label_smoothing as Keras/TF: targets
// (1 - s) onehot + s / C).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::train {

struct LossSpec {
  std::string name = "sparse_categorical_crossentropy";
  double weight = 1.0;
  double label_smoothing = 0.0;
};

using LossFn = std::function<graph::Value(graph::Value output, graph::Value labels, const LossSpec&)>;

// Registers (or replaces) a loss; throws on an empty name.
void register_loss(const std::string& name, LossFn fn);
bool has_loss(const std::string& name);
// Per-sample loss [N]; throws naming the loss when it is unknown or its
// result is not [N].
graph::Value per_sample_loss(const LossSpec& spec, graph::Value output, graph::Value labels);

}  // namespace cutrain::train
