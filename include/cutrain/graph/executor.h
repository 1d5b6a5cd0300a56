// The reference executor: runs the nodes a set of fetched values needs, in
// graph order, on one device and one stream, allocating every output fresh.
// It is the "unplanned step" the planned executor is compared against.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::graph {

class NumericsCheck;

// A run is inference unless training is asked for: batch norm uses (and does
// not touch) its moving statistics and dropout is the identity. Training
// (batch statistics, moving averages updated in place, dropout masks) takes
// RunOptions{.training = true}; graph::kTraining names it.
struct RunOptions {
  bool training = false;
};
inline constexpr RunOptions kTraining{.training = true};
inline constexpr RunOptions kInference{.training = false};

class Executor {
 public:
  // Moves every parameter, state and constant of `g` to `device` (once).
  Executor(Graph& g, Device device, Stream stream = {});

  // Feeds map input values to tensors (on any device); returns the fetched
  // values as tensors on the executor's device. Parameters and state are
  // updated in place by ops that mutate them.
  std::vector<Tensor> run(const std::map<int, Tensor>& feeds, const std::vector<Value>& fetches,
                          const RunOptions& options = {});
  std::vector<Tensor> run(const std::vector<std::pair<Value, Tensor>>& feeds,
                          const std::vector<Value>& fetches, const RunOptions& options = {});

  Device device() const { return device_; }
  const Stream& stream() const { return stream_; }
  uint64_t steps() const { return step_; }
  void set_steps(uint64_t s) { step_ = s; }
  // Leaf tensors on the executor's device (parameters, state, constants).
  Tensor& leaf(Value v);
  // Re-reads leaf tensors from the graph (after the graph's tensors changed).
  void sync_leaves_from_graph();
  // Copies the device leaves back into the graph's tensors (for checkpoints).
  void sync_leaves_to_graph();
  // Checks every op's outputs for NaN/Inf in later runs (numerics_check.h);
  // a run that makes one throws after it completed.
  void set_check_numerics(bool on);

 private:
  Graph& g_;
  Device device_;
  Stream stream_;
  std::map<int, Tensor> leaves_;
  uint64_t step_ = 0;
  std::shared_ptr<NumericsCheck> numerics_;
};

// Per-node seed for random ops: graph seed mixed with the node id.
uint64_t node_seed(uint64_t graph_seed, int node_id);

}  // namespace cutrain::graph
