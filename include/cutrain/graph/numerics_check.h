// The executors' numerics check (CompileOptions::check_numerics, `cutrain
// train --check-numerics`): after every op of a step, its float outputs and
// the inputs it updates in place are checked for NaN and +-inf, and the step
// fails naming the first op that made one: op, node name, step, forward /
// backward / optimizer update, and whether an input was already non-finite
// (TensorFlow's enable_check_numerics, PyTorch's anomaly mode).
//
// How: every check is a check_finite op (ops/check_finite.h) enqueued on the
// checked op's stream right after it, so it sees exactly what the op wrote
// and adds no synchronization. A check lowers one i32 device flag to its id
// (atomicMin on a GPU); ids order checks as the graph does (node id x 64 +
// slot), so the smallest id of a step is the first value that went bad in
// topological order, whichever stream ran first, and every input of that op
// was checked before it (or is a leaf, checked at the start of the step).
// The flag is reset before the step and read once after it (one sync per
// step, none per op). The checks are ordinary stream work, so graph replay
// records and replays them with the step.
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/graph/graph.h"

namespace cutrain::graph {

// What a failed check throws: the message names the op, node, step and phase.
class NonFiniteValueError : public Error {
 public:
  using Error::Error;
};

class NumericsCheck {
 public:
  NumericsCheck(const Graph& g, Device device);

  // Before the step, on the stream the step starts from (outside recordings).
  void reset(const Stream& stream);
  // A leaf (fed input, parameter, state, constant) as the step reads it.
  void check_leaf(int node, const Tensor& value, const Stream& stream);
  // After node `n`'s kernel was enqueued on `stream`: its float outputs and
  // the inputs it mutates.
  void check_op(const Node& n, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                const Stream& stream);
  // After the step joined `stream`: reads the flag and throws NonFiniteValueError
  // describing the first non-finite value of step `step`, if any.
  void finish(const Stream& stream, uint64_t step);

 private:
  void check(const Tensor& t, int node, int slot, const Stream& stream);
  std::string describe(int32_t id, uint64_t step) const;

  const Graph& g_;
  Device device_;
  Tensor flag_;       // i32 [1] on the device
  Tensor none_host_;  // i32 [1] = INT32_MAX, never written: a safe source for async copies
  Tensor flag_host_;  // i32 [1]
};

// "backward" for gradient nodes (the autodiff's grad/ scope), "optimizer
// update" for *_update ops, "forward" otherwise.
const char* node_phase(const Node& n);

}  // namespace cutrain::graph
