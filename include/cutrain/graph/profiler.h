// Per-kernel time of planned steps: which ops and which nodes a training step
// spends its time in (what torch.profiler's key_averages answers).
//
// While a profiler is attached (PlannedExecutor::set_profiler), each kernel
// the executor enqueues is bracketed by two host functions on the kernel's own
// stream that read a steady clock, so a kernel's time is the span in which its
// stream ran it: exact for CPU streams, which run one task at a time. On a
// CUDA stream the host functions wait for the kernel before them, so the
// spans include launch gaps and the brackets themselves slow the step; use
// Nsight Systems for GPU timelines.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cutrain::graph {

class StepProfiler {
 public:
  struct Entry {
    std::string op;
    std::string node;
    int64_t calls = 0;
    double seconds = 0;
  };
  struct OpTotal {
    std::string op;
    int64_t calls = 0;
    double seconds = 0;
  };

  // The slot one node's brackets write (one stream touches it at a time).
  struct Slot {
    Entry entry;
    std::chrono::steady_clock::time_point start;
  };
  Slot& slot(int node_id, const std::string& op, const std::string& node);
  // Counts one step (the executor calls it at the end of every profiled step).
  void end_step() { ++steps_; }

  // Read after the streams finished the profiled steps.
  int64_t steps() const { return steps_; }
  std::vector<Entry> nodes() const;   // by total time, longest first
  std::vector<OpTotal> ops() const;   // by total time, longest first
  double total_seconds() const;
  // A table per op (calls and ms per step, share) and the `top_nodes` longest nodes.
  void print(std::ostream& os, int top_nodes = 15) const;
  void reset();

 private:
  std::map<int, std::unique_ptr<Slot>> slots_;  // stable addresses for queued brackets
  int64_t steps_ = 0;
};

}  // namespace cutrain::graph
