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
// synchronization. On the CPU, run() synchronizes every stream before
// returning, so the returned tensors are ready and kernel errors are rethrown.
//
// Graph replay (options.graph_replay, on by default): the step's stream work
// is recorded once (core/stream_capture.h: a CUDA graph, or the CPU's
// emulation) and replayed on later runs, for each Prepared plan and
// RunOptions::training. Capture begins on the main stream just before the
// start event (the other streams join through it) and ends after the final
// join. A replayed step must not depend on anything fixed at enqueue time
// that changes between steps, so:
//  - fed inputs are copied, on the main stream before the step, into fixed
//    per-plan input buffers that the recorded work reads;
//  - fetched values live in per-capture buffers; run() returns copies of them
//    (made on the main stream after the step), so callers may keep the
//    returned tensors across steps; fetched parameters/state are returned as
//    the leaves themselves, as without replay;
//  - per-step values (the step counter of random ops, learning rate, Adam's
//    step, EMA decay) are per-step scalars (ops/step_scalars.h) written before
//    the step, which kernels read from memory;
//  - allocations made while capturing (outputs without arena space, kernel
//    workspaces) come from a private caching-allocator pool owned by the
//    capture until it is dropped (caching_allocator.h).
// The recording is dropped and made again when the graph changes
// (Graph::version), when a leaf's memory moved (sync_leaves_from_graph or a
// reassigned leaf), or when the number of per-step scalars changes; a new
// batch size or fetch list is a new plan with its own recording.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cutrain/core/stream_capture.h"
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
  // Record each plan's step once and replay it (see above).
  bool graph_replay = true;
  // Check every op's outputs for NaN/Inf (numerics_check.h); the checks are
  // part of the step, recorded and replayed with it.
  bool check_numerics = false;
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
  // Per-step scalars (ops/step_scalars.h): the value slot `slot` of
  // Graph::step_scalars() holds from the next run on (0 until set). Slot 0 is
  // the step counter, set by set_steps.
  void set_step_scalar(int slot, double value);
  double step_scalar(int slot) const;
  Tensor& leaf(Value v) { return leaves_.leaf(v); }
  void sync_leaves_from_graph() {
    drop_recordings();
    leaves_.sync_leaves_from_graph();
  }
  void sync_leaves_to_graph() { leaves_.sync_leaves_to_graph(); }
  // Times every kernel of later steps into `p` (profiler.h); nullptr stops.
  // The profiler must outlive the steps it times. Profiled steps run without
  // graph replay (their timing brackets must not end up in a recording).
  void set_profiler(StepProfiler* p) { profiler_ = p; }

  // Recorded steps made so far (graph replay), for tests.
  int captures() const { return captures_; }

  struct Prepared;
  struct Recording;

 private:
  Prepared& prepare(const std::vector<Value>& fetches);
  // Returns whether the tensor was reallocated (recordings then hold the old one).
  bool write_step_scalars();
  void enqueue_step(Prepared& pr, const std::map<int, Tensor>& feeds, const RunOptions& options,
                    std::vector<Tensor>& outputs, CapturedWork* capture = nullptr);
  void run_replayed(Prepared& pr, const std::map<int, Tensor>& feeds, const RunOptions& options,
                    std::vector<Tensor>& outputs);
  std::unique_ptr<Recording> record(Prepared& pr, const RunOptions& options);
  bool recording_valid(const Recording& r);
  void synchronize_all();
  void drop_recordings();

  Graph& g_;
  Device device_;
  PlannedExecutorOptions options_;
  Executor leaves_;  // owns the device copies of parameters, state and constants
  std::vector<Stream> streams_;
  std::map<std::vector<int>, std::unique_ptr<Prepared>> plans_;
  uint64_t step_ = 0;
  StepProfiler* profiler_ = nullptr;
  std::vector<double> scalar_values_;  // host values, slot 0 unused (step_)
  Tensor scalars_host_, scalars_;      // staging (CPU) and the device tensor kernels read
  int captures_ = 0;
  std::shared_ptr<NumericsCheck> numerics_;  // set when options.check_numerics
};

}  // namespace cutrain::graph
