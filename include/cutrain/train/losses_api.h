// Losses as the Model sees them: one per network output, by name, with a
// weight in the total (the Inception recipe: main 1.0 + aux 0.4) and a
// target saying what the output is compared with.
//
// A loss maps (output, target) to one value per sample ([N]); the Model then
// applies the per-sample weights and Keras' sum_over_batch_size reduction
// (graph::weighted_loss_reduce) and scales by LossSpec::weight. Custom losses
// are registered by name (register_loss) so a config naming them rebuilds
// (a checkpoint naming an unregistered loss does not load).
//
// Targets (Keras' y per output):
//   labels  integer class ids, i32 [N]: the data set's labels, or a per-output
//           label tensor (ImageData::targets / train_on_batch's map);
//   input   the network's input images, nothing fed (autoencoders: Keras'
//           fit(x, x));
//   tensor  a float tensor shaped like the output, fed per output by name
//           (ImageData::targets rows, train_on_batch's map).
//
// Built in:
//   "sparse_categorical_crossentropy": softmax cross-entropy on logits with
//     integer labels; label_smoothing as Keras/TF: (1 - s) onehot + s / C.
//   "binary_crossentropy": sigmoid cross-entropy on logits (from_logits) with
//     0/1 (or soft) targets, mean over each sample's elements (Keras).
//   "mean_squared_error": mean over each sample's elements.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::train {

enum class TargetKind { labels, input, tensor };

struct LossSpec {
  std::string name = "sparse_categorical_crossentropy";
  double weight = 1.0;
  double label_smoothing = 0.0;
  TargetKind target = TargetKind::labels;
};

std::string target_kind_name(TargetKind k);                  // "labels", "input", "tensor"
TargetKind target_kind_from_name(const std::string& name);  // throws naming the value

// (y_pred, y_true, spec) -> per-sample loss [N]. y_true is what the spec's
// target says: i32 labels [N], the input images, or a tensor like y_pred.
using LossFn = std::function<graph::Value(graph::Value output, graph::Value target, const LossSpec&)>;

// Registers (or replaces) a loss; throws on an empty name.
void register_loss(const std::string& name, LossFn fn);
bool has_loss(const std::string& name);
// Per-sample loss [N]; throws naming the loss when it is unknown or its
// result is not [N].
graph::Value per_sample_loss(const LossSpec& spec, graph::Value output, graph::Value target);

}  // namespace cutrain::train
