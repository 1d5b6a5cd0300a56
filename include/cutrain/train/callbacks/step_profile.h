// Profiles a window of training steps (Keras' TensorBoard profile_batch, as a
// table): from the `first`-th batch of training (0-based, counted across
// epochs; the default 1 skips the step that plans and allocates) it times
// `steps` steps kernel by kernel (graph/profiler.h), then prints the table to
// `out` and stops timing.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "cutrain/graph/profiler.h"
#include "cutrain/train/callback.h"

namespace cutrain::train {

class Model;

class StepProfile final : public Callback {
 public:
  StepProfile(Model& model, int64_t steps, std::ostream* out, int64_t first = 1, int top_nodes = 15);
  void on_train_batch_begin(int64_t batch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  void on_train_end(Logs& logs) override;
  const graph::StepProfiler& profiler() const { return profiler_; }

 private:
  void finish();
  Model& model_;
  int64_t steps_, first_;
  std::ostream* out_;
  int top_nodes_;
  int64_t seen_ = 0;  // training batches begun so far
  bool active_ = false, done_ = false;
  graph::StepProfiler profiler_;
};

}  // namespace cutrain::train
