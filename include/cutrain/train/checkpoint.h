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
// JSON the model was built and compiled from), schedule_steps (the planned
// length of the learning-rate schedule in steps, 0 when unknown: a resumed
// run rebuilds the same schedule from it), and the checksums
// tensor_crc32c / header_crc32c (checkpoint_verify.cpp).
//
// Loading verifies by default: the checksums (when present: older files have
// none), finite floating-point weights and optimizer slots, non-negative
// batch-norm variances, step >= 0. Each failure names the file and the tensor.
#pragma once

#include <cstdint>
#include <string>

#include "cutrain/io/safetensors.h"

namespace cutrain::train {

// Slim scope name -> dotted checkpoint name (see above).
std::string checkpoint_name(const std::string& graph_name);

// With gradient accumulation (CompileOptions::accumulate_steps > 1): the
// micro-batches accumulated toward the next update (f64 []), among the
// optimizer tensors; the accumulators are slots "<parameter>.grad_accum".
inline constexpr const char* kMicroStepTensor = "optimizer.accumulate.micro_step";

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
  int64_t schedule_steps = 0;  // planned LR schedule length in steps; 0: unknown
};

inline constexpr const char* kTensorCrcKey = "tensor_crc32c";
inline constexpr const char* kHeaderCrcKey = "header_crc32c";

// Atomic write (temporary file + rename).
void save_checkpoint(const std::string& path, const CheckpointState& state);
// Throws cutrain::Error naming `path` when the file is missing, damaged or
// not a cutrain checkpoint; `verify` false skips the checksum and value
// checks (to salvage a damaged file).
CheckpointState load_checkpoint(const std::string& path, bool verify = true);

// The pieces of load_checkpoint's verification (checkpoint_verify.cpp).
// The canonical text header_crc32c is computed over.
std::string checkpoint_header_text(const io::TensorMap& tensors, const io::Metadata& metadata);
// Adds tensor_crc32c and header_crc32c for these tensors to `metadata`.
void add_checksums(const io::TensorMap& tensors, io::Metadata& metadata);
void verify_checksums(const io::TensorMap& tensors, const io::Metadata& metadata,
                      const std::string& path);
void verify_checkpoint_values(const CheckpointState& state, const std::string& path);

}  // namespace cutrain::train
