// The planned executor: same run(feeds, fetches) contract as Executor, but
// each (fetches, graph size) gets a Plan once (plan.h), and every step runs
// that plan: kernels on up to max_streams streams with event waits for the
// cross-stream edges, intermediates in arenas at planned offsets.
//
// Streams: stream 0 is the main stream (options.main_stream, default the
// device's default stream); the others are created per plan's needs (CPU:
// threaded CPU streams, optionally jittered, so the same plan and the same
// event logic run here as on a GPU). A step is bracketed: every stream waits
// on a start event recorded on the main stream, and the main stream waits on
// an end event of every other stream (the final join). The arenas are owned
// by the executor and only touched inside that bracket, so no record_stream
// is needed for them; values allocated per step (fetched outputs, and every
// output when the memory plan is off) are allocated on their producer's
// stream and record_stream'ed on each other stream that reads them, and are
// released as soon as their last reader was enqueued, as with eager code.
//
// enqueue_step() is the whole step as stream work, with no host
// synchronization: on CUDA it is the region to capture into a CUDA graph
// (begin capture on the main stream before it, end after the final join;
// with the memory plan on, fetched outputs then also need fixed buffers).
// On the CPU, run() synchronizes every stream before returning, so the
// returned tensors are ready and kernel errors are rethrown.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/plan.h"
#include "cutrain/graph/profiler.h"

namespace cutrain::graph {

struct PlannedExecutorOptions {
  bool streams = true;
  int max_streams = 4;
  bool memory_plan = true;
  std::vector<PlanPass> passes;  // fusion and later passes
  Stream main_stream = {};       // default: the device's default stream
  // CPU worker streams: jitter seed of stream i is cpu_jitter_seed + i (0: no jitter).
  uint64_t cpu_jitter_seed = 0;
};

class PlannedExecutor {
 public:
  PlannedExecutor(Graph& g, Device device, PlannedExecutorOptions options = {});
  ~PlannedExecutor();
  PlannedExecutor(const PlannedExecutor&) = delete;
  PlannedExecutor& operator=(const PlannedExecutor&) = delete;

  std::vector<Tensor> run(const std::map<int, Tensor>& feeds, const std::vector<Value>& fetches,
                          const RunOptions& options = {});
  std::vector<Tensor> run(const std::vector<std::pair<Value, Tensor>>& feeds,
                          const std::vector<Value>& fetches, const RunOptions& options = {});

  // The plan run() uses for these fetches (built on first use).
  const Plan& plan(const std::vector<Value>& fetches);

  Device device() const { return device_; }
  const Stream& main_stream() const { return streams_.at(0); }
  // Streams created so far; stream i of a plan runs on streams()[i].
  const std::vector<Stream>& streams() const { return streams_; }
  uint64_t steps() const { return step_; }
  // The step counter random ops see (a resumed training run sets it).
  void set_steps(uint64_t s) { step_ = s; }
  Tensor& leaf(Value v) { return leaves_.leaf(v); }
  void sync_leaves_from_graph() { leaves_.sync_leaves_from_graph(); }
  void sync_leaves_to_graph() { leaves_.sync_leaves_to_graph(); }
  // Times every kernel of later steps into `p` (profiler.h); nullptr stops.
  // The profiler must outlive the steps it times.
  void set_profiler(StepProfiler* p) { profiler_ = p; }

  struct Prepared;

 private:
  Prepared& prepare(const std::vector<Value>& fetches);
  void enqueue_step(Prepared& pr, const std::map<int, Tensor>& feeds, const RunOptions& options,
                    std::vector<Tensor>& outputs);

  Graph& g_;
  Device device_;
  PlannedExecutorOptions options_;
  Executor leaves_;  // owns the device copies of parameters, state and constants
  std::vector<Stream> streams_;
  std::map<std::vector<int>, std::unique_ptr<Prepared>> plans_;
  uint64_t step_ = 0;
  StepProfiler* profiler_ = nullptr;
};

}  // namespace cutrain::graph
