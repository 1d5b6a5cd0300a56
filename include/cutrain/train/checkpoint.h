// Checkpoint files: safetensors with PyTorch-style names and the training
// state in __metadata__.
//
// Names: graph (TF-slim scope) names map to dotted names, component by
// component: '/' becomes '.', and the slim leaf names become PyTorch's:
//   weights -> weight, biases -> bias, gamma -> weight, beta -> bias,
//   moving_mean -> running_mean, moving_variance -> running_var.
// So `Mixed_5b/Branch_1/Conv2d_0a_1x1/weights` is
// `Mixed_5b.Branch_1.Conv2d_0a_1x1.weight` and its BN shift
// `Mixed_5b.Branch_1.Conv2d_0a_1x1.BatchNorm.bias`. Optimizer slots
// ("<parameter>/<slot>") get the prefix "optimizer.":
// `optimizer.Conv2d_1a_3x3.weight.momentum`.
//
// Layout: tensors are stored as the engine holds them (conv weights OHWI,
// dense [out, in]), so a save/load round trip is exact; metadata "layout"
// says so. Converting to PyTorch's OIHW is the import/export script's job
// (a transpose (0, 3, 1, 2)), not the checkpoint's.
//
// Metadata: format=pt, layout, step (optimizer updates done), epoch (the last
// finished epoch, -1 before any), seed, weights_only, optimizer, config (the
// JSON the model was built and compiled from).
#pragma once

#include <cstdint>
#include <string>

#include "cutrain/io/safetensors.h"

namespace cutrain::train {

// Slim scope name -> dotted checkpoint name (see above).
std::string checkpoint_name(const std::string& graph_name);

inline constexpr const char* kCheckpointLayout = "NHWC activations; conv weights OHWI; dense [out, in]";

struct CheckpointState {
  io::TensorMap weights;    // parameters and BN statistics, checkpoint names
  io::TensorMap optimizer;  // slots, "optimizer." names
  int64_t step = 0;
  int64_t epoch = -1;
  uint64_t seed = 0;
  bool weights_only = false;
  double lr_override = -1;  // >= 0: a rate set by set_learning_rate replaced the schedule
  std::string optimizer_name;
  std::string config_json = "{}";
};

// Atomic write (temporary file + rename).
void save_checkpoint(const std::string& path, const CheckpointState& state);
// Throws cutrain::Error naming `path` when the file is missing, damaged or
// not a cutrain checkpoint.
CheckpointState load_checkpoint(const std::string& path);

}  // namespace cutrain::train
