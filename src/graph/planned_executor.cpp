#include "cutrain/graph/planned_executor.h"

#include <algorithm>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"
#include "cutrain/graph/numerics_check.h"
#include "node_error.h"

namespace cutrain::graph {

// One recorded step (graph replay) of a plan, for one RunOptions. Declared
// before Prepared so that Prepared can own it; destroyed only after the
// executor's streams finished its work.
struct PlannedExecutor::Recording {
  CapturedWork work;
  std::vector<Tensor> outputs;   // the fetched values, written by every replay
  std::vector<bool> copy_out;    // per fetch: return a copy (false: a parameter/state leaf)
  std::vector<std::pair<int, const void*>> leaf_memory;  // leaves as recorded
  uint64_t graph_version = 0;
  CachingAllocator* allocator = nullptr;
  int pool = 0;
  ~Recording() {
    // The recorded work holds (CPU) or points into (CUDA) the pool's memory.
    work = CapturedWork();
    outputs.clear();
    if (allocator && pool) allocator->release_pool(pool);
  }
};

// A plan plus the device resources that stay with it across steps.
struct PlannedExecutor::Prepared {
  Plan plan;
  std::vector<Tensor> arenas;  // per pool
  std::vector<Tensor> views;   // per planned value: its arena view, or undefined
  std::vector<Event> events;   // per step that records one
  Event start;
  std::vector<Event> ends;     // per stream (0 unused)
  // Per planned value: the distinct streams other than its producer's that read it.
  std::vector<std::vector<int>> foreign_streams;
  // Graph replay: fixed buffers of the fed inputs, and a recording per
  // RunOptions::training value.
  std::map<int, Tensor> input_buffers;
  std::unique_ptr<Recording> recordings[2];
};

PlannedExecutor::PlannedExecutor(Graph& g, Device device, PlannedExecutorOptions options)
    : g_(g),
      device_(device),
      options_(std::move(options)),
      leaves_(g, device, options_.main_stream) {
  streams_.push_back(leaves_.stream());
  if (options_.check_numerics) numerics_ = std::make_shared<NumericsCheck>(g, device);
}

PlannedExecutor::~PlannedExecutor() {
  // Queued work references the arenas and the recordings' memory: let it
  // finish before they go.
  for (const Stream& s : streams_) {
    try {
      s.synchronize();
    } catch (...) {
    }
  }
}

namespace {

// The tensor fed for input node `n`, checked against its spec.
const Tensor& fed_value(const std::map<int, Tensor>& feeds, const Node& n) {
  auto it = feeds.find(n.id);
  CUTRAIN_CHECK(it != feeds.end(), "input '", n.name, "' ", n.outputs[0].str(), " was not fed");
  const Tensor& t = it->second;
  CUTRAIN_CHECK(t.shape() == n.outputs[0].shape && t.dtype() == n.outputs[0].dtype, "input '", n.name,
                "' expects ", n.outputs[0].str(), ", fed ", dtype_name(t.dtype()), t.shape().str());
  return t;
}

}  // namespace

void PlannedExecutor::synchronize_all() {
  for (const Stream& s : streams_) s.synchronize();
}

void PlannedExecutor::drop_recordings() {
  bool any = false;
  for (auto& [key, pr] : plans_)
    for (auto& r : pr->recordings) any = any || r != nullptr;
  if (!any) return;
  synchronize_all();
  for (auto& [key, pr] : plans_)
    for (auto& r : pr->recordings) r.reset();
}

const Plan& PlannedExecutor::plan(const std::vector<Value>& fetches) { return prepare(fetches).plan; }

PlannedExecutor::Prepared& PlannedExecutor::prepare(const std::vector<Value>& fetches) {
  std::vector<int> key{g_.size()};
  for (const Value& v : fetches) {
    key.push_back(v.node);
    key.push_back(v.index);
  }
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;

  auto pr = std::make_unique<Prepared>();
  PlanOptions po;
  po.streams = options_.streams;
  po.max_streams = options_.max_streams;
  po.memory_plan = options_.memory_plan;
  po.passes = options_.passes;
  pr->plan = make_plan(g_, fetches, po);
  const Plan& p = pr->plan;

  while (static_cast<int>(streams_.size()) < p.streams.num_streams) {
    const uint64_t i = streams_.size();
    streams_.push_back(device_.is_cpu()
                           ? make_cpu_stream({.threaded = true,
                                              .jitter_seed = options_.cpu_jitter_seed ? options_.cpu_jitter_seed + i : 0})
                           : Stream::create(device_));
  }
  const Stream& main = streams_[0];
  for (size_t pool = 0; pool < p.pool_dtype.size(); ++pool) {
    const DType dt = p.pool_dtype[pool];
    const int64_t n = static_cast<int64_t>(p.memory.pool_bytes[pool] / dtype_size(dt));
    pr->arenas.push_back(Tensor::empty(Shape({n}), dt, device_, main));
  }
  pr->views.resize(p.values.size());
  pr->foreign_streams.resize(p.values.size());
  for (size_t i = 0; i < p.values.size(); ++i) {
    const PlannedValue& v = p.values[i];
    const int ps = p.streams.stream[static_cast<size_t>(v.step)];
    for (int u : v.users) {
      const int us = p.streams.stream[static_cast<size_t>(u)];
      auto& fs = pr->foreign_streams[i];
      if (us != ps && std::find(fs.begin(), fs.end(), us) == fs.end()) fs.push_back(us);
    }
    if (v.pool < 0) continue;
    const int64_t first = static_cast<int64_t>(v.offset / dtype_size(v.spec.dtype));
    pr->views[i] = pr->arenas[static_cast<size_t>(v.pool)]
                       .slice(0, first, first + v.spec.shape.numel())
                       .reshape(v.spec.shape);
  }
  pr->events.resize(p.steps.size());
  for (size_t si = 0; si < p.steps.size(); ++si)
    if (p.streams.records[si]) pr->events[si] = Event::create(device_);
  pr->start = Event::create(device_);
  for (int s = 0; s < p.streams.num_streams; ++s) pr->ends.push_back(Event::create(device_));
  return *plans_.emplace(std::move(key), std::move(pr)).first->second;
}

void PlannedExecutor::set_step_scalar(int slot, double value) {
  CUTRAIN_CHECK(slot > 0 && slot < static_cast<int>(g_.step_scalars().size()), "set_step_scalar: slot ", slot,
                " is not a named per-step scalar of the graph (", g_.step_scalars().size(), " slots, 0 is the step)");
  if (static_cast<int>(scalar_values_.size()) <= slot) scalar_values_.resize(static_cast<size_t>(slot) + 1, 0.0);
  scalar_values_[static_cast<size_t>(slot)] = value;
}

double PlannedExecutor::step_scalar(int slot) const {
  if (slot == 0) return static_cast<double>(step_);
  return slot < static_cast<int>(scalar_values_.size()) ? scalar_values_[static_cast<size_t>(slot)] : 0.0;
}

// Writes this step's scalars into the device tensor kernels read, on the
// main stream before the step (like a fed input). Every stream of the
// previous step joined the main stream, so no kernel still reads the old values.
bool PlannedExecutor::write_step_scalars() {
  const int64_t n = static_cast<int64_t>(g_.step_scalars().size());
  bool reallocated = false;
  if (!scalars_.defined() || scalars_.numel() != n) {
    drop_recordings();
    scalars_ = Tensor::empty(Shape({n}), DType::f64, device_, streams_[0]);
    scalars_host_ = Tensor::empty(Shape({n}), DType::f64, Device::cpu());
    reallocated = true;
  }
  double* h = scalars_host_.data<double>();
  for (int64_t i = 0; i < n; ++i) h[i] = step_scalar(static_cast<int>(i));
  scalars_.copy_from(scalars_host_, streams_[0]);
  return reallocated;
}

std::vector<Tensor> PlannedExecutor::run(const std::vector<std::pair<Value, Tensor>>& feeds,
                                         const std::vector<Value>& fetches, const RunOptions& options) {
  std::map<int, Tensor> m;
  for (const auto& [v, t] : feeds) m[v.node] = t;
  return run(m, fetches, options);
}

std::vector<Tensor> PlannedExecutor::run(const std::map<int, Tensor>& feeds,
                                         const std::vector<Value>& fetches, const RunOptions& options) {
  Prepared& pr = prepare(fetches);
  std::vector<Tensor> out;
  write_step_scalars();
  if (numerics_) numerics_->reset(streams_[0]);
  if (options_.graph_replay && !profiler_)
    run_replayed(pr, feeds, options, out);
  else
    enqueue_step(pr, feeds, options, out);
  ++step_;
  if (device_.is_cpu()) {
    for (int s = 0; s < pr.plan.streams.num_streams; ++s) streams_[static_cast<size_t>(s)].synchronize();
  }
  // Every stream joined the main one: the flag holds the whole step's checks.
  if (numerics_) numerics_->finish(streams_[0], step_ - 1);
  return out;
}

bool PlannedExecutor::recording_valid(const Recording& r) {
  if (r.graph_version != g_.version()) return false;
  for (const auto& [id, mem] : r.leaf_memory)
    if (leaves_.leaf(Value{&g_, id, 0}).raw_data() != mem) return false;
  return true;
}

std::unique_ptr<PlannedExecutor::Recording> PlannedExecutor::record(Prepared& pr, const RunOptions& options) {
  auto r = std::make_unique<Recording>();
  r->graph_version = g_.version();
  for (int id : pr.plan.leaves)
    if (g_.node(id).kind != NodeKind::input)
      r->leaf_memory.emplace_back(id, leaves_.leaf(Value{&g_, id, 0}).raw_data());
  for (const Value& v : pr.plan.fetches)
    r->copy_out.push_back(pr.plan.step_of[static_cast<size_t>(v.node)] >= 0 ||
                          g_.node(v.node).kind == NodeKind::input);
  // Allocations made while recording belong to the recording (a private pool).
  r->allocator = &backend_for(device_).allocator(device_.index);
  r->pool = r->allocator->begin_capture();
  try {
    enqueue_step(pr, pr.input_buffers, options, r->outputs, &r->work);
  } catch (...) {
    r->allocator->end_capture();
    throw;  // ~Recording returns the pool: nothing recorded ever ran
  }
  r->allocator->end_capture();
  ++captures_;
  return r;
}

void PlannedExecutor::run_replayed(Prepared& pr, const std::map<int, Tensor>& feeds, const RunOptions& options,
                                   std::vector<Tensor>& outputs) {
  const Stream& main = streams_[0];
  // The feeds go into the plan's fixed input buffers, in stream order before the step.
  for (int id : pr.plan.leaves) {
    const Node& n = g_.node(id);
    if (n.kind != NodeKind::input) continue;
    const Tensor& t = fed_value(feeds, n);
    Tensor& buf = pr.input_buffers[id];
    if (!buf.defined()) buf = Tensor::empty(t.shape(), t.dtype(), device_, main);
    buf.copy_from(t, main);
  }
  std::unique_ptr<Recording>& r = pr.recordings[options.training ? 1 : 0];
  if (r && !recording_valid(*r)) {
    synchronize_all();
    r.reset();
  }
  if (!r) r = record(pr, options);
  r->work.replay();
  outputs.clear();
  for (size_t k = 0; k < r->outputs.size(); ++k)
    outputs.push_back(r->copy_out[k] ? r->outputs[k].clone(main) : r->outputs[k]);
}

void PlannedExecutor::enqueue_step(Prepared& pr, const std::map<int, Tensor>& feeds,
                                   const RunOptions& options, std::vector<Tensor>& outputs,
                                   CapturedWork* capture) {
  const Plan& p = pr.plan;
  const StreamAssignment& sa = p.streams;
  const Stream& main = streams_[0];

  // Leaves first, on the main stream, before the start event.
  std::map<int, Tensor> leaf_values;
  for (int id : p.leaves) {
    const Node& n = g_.node(id);
    if (n.kind != NodeKind::input) {
      leaf_values[id] = leaves_.leaf(Value{&g_, id, 0});
      continue;
    }
    const Tensor& t = fed_value(feeds, n);
    if (t.device() == device_) {
      leaf_values[id] = t;
    } else {
      Tensor copy = t.to(device_, main);
      for (int s = 1; s < sa.num_streams; ++s) copy.storage()->record_stream(streams_[static_cast<size_t>(s)]);
      leaf_values[id] = std::move(copy);
    }
  }

  std::vector<Tensor> cur(p.values.size());
  std::vector<int> left(p.values.size());
  for (size_t i = 0; i < p.values.size(); ++i) left[i] = static_cast<int>(p.values[i].users.size());

  int enqueued = -1;
  try {
    // ---- the capturable region begins: stream work only -------------------
    if (capture) begin_capture(main);
    // Leaves are checked before any stream starts (an update may rewrite them).
    if (numerics_)
      for (const auto& [id, t] : leaf_values) numerics_->check_leaf(id, t, main);
    pr.start.record(main);
    for (int s = 1; s < sa.num_streams; ++s) streams_[static_cast<size_t>(s)].wait(pr.start);

    std::vector<Tensor> ins, outs;
    std::vector<int> released;
    for (size_t si = 0; si < p.steps.size(); ++si) {
      const Node& n = g_.node(p.steps[si].node);
      const Stream& st = streams_[static_cast<size_t>(sa.stream[si])];
      for (int w : sa.waits[si]) st.wait(pr.events[static_cast<size_t>(w)]);

      ins.clear();
      released.clear();
      for (const Value& in : n.inputs) {
        const int ps = p.step_of[static_cast<size_t>(in.node)];
        if (ps < 0) {
          ins.push_back(leaf_values.at(in.node));
          continue;
        }
        const size_t vi = static_cast<size_t>(p.value_of_step[static_cast<size_t>(ps)] + in.index);
        ins.push_back(cur[vi]);
        if (std::find(released.begin(), released.end(), static_cast<int>(vi)) == released.end())
          released.push_back(static_cast<int>(vi));
      }
      outs.clear();
      const size_t first = static_cast<size_t>(p.value_of_step[si]);
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        const size_t vi = first + k;
        if (pr.views[vi].defined()) {
          cur[vi] = pr.views[vi];
        } else {
          cur[vi] = Tensor::empty(n.outputs[k].shape, n.outputs[k].dtype, device_, st);
          for (int s : pr.foreign_streams[vi]) cur[vi].storage()->record_stream(streams_[static_cast<size_t>(s)]);
        }
        outs.push_back(cur[vi]);
      }
      const ops::OpContext ctx{n.attrs, device_, st, options.training, node_seed(g_.seed(), n.id),
                               step_, n.op, scalars_};
      // Never inside a recording: run() does not replay profiled steps.
      StepProfiler::Slot* timed = profiler_ && !capture ? &profiler_->slot(n.id, n.op, n.name) : nullptr;
      if (timed) st.enqueue([timed] { timed->start = std::chrono::steady_clock::now(); });
      try {
        ops::run_kernel(n.op, ctx, ins, outs);
      } catch (const Error&) {
        detail::rethrow_in_node(n.name);
      }
      if (numerics_) numerics_->check_op(n, ins, outs, st);
      if (timed) {
        st.enqueue([timed] {
          const std::chrono::duration<double> d = std::chrono::steady_clock::now() - timed->start;
          timed->entry.seconds += d.count();
          ++timed->entry.calls;
        });
      }
      enqueued = static_cast<int>(si);
      if (sa.records[si]) pr.events[si].record(st);

      // Per-step allocations go back to the allocator once their last reader
      // is enqueued (record_stream covers readers on other streams).
      for (int vi : released)
        if (--left[static_cast<size_t>(vi)] == 0 && !p.values[static_cast<size_t>(vi)].fetched)
          cur[static_cast<size_t>(vi)] = Tensor();
      for (size_t k = 0; k < n.outputs.size(); ++k)
        if (left[first + k] == 0 && !p.values[first + k].fetched) cur[first + k] = Tensor();
    }

    for (int s = 1; s < sa.num_streams; ++s) {
      pr.ends[static_cast<size_t>(s)].record(streams_[static_cast<size_t>(s)]);
      main.wait(pr.ends[static_cast<size_t>(s)]);
    }
    if (capture) *capture = end_capture(main);
    // ---- the capturable region ends ----------------------------------------
    if (profiler_ && !capture) profiler_->end_step();
  } catch (...) {
    if (capture) {
      // Nothing recorded ran, and no stream waits on anything real.
      abort_capture(main);
      throw;
    }
    // Release every stream that may be blocked on an event that will now
    // never be recorded by the step, then let the error through.
    for (size_t si = static_cast<size_t>(enqueued + 1); si < p.steps.size(); ++si)
      if (sa.records[si]) pr.events[si].record(main);
    for (int s = 1; s < sa.num_streams; ++s) pr.ends[static_cast<size_t>(s)].record(main);
    for (const Stream& s : streams_) {
      try {
        s.synchronize();
      } catch (...) {
      }
    }
    throw;
  }

  outputs.clear();
  for (const Value& v : p.fetches) {
    const int ps = p.step_of[static_cast<size_t>(v.node)];
    if (ps < 0) {
      outputs.push_back(leaf_values.at(v.node));
    } else {
      outputs.push_back(cur[static_cast<size_t>(p.value_of_step[static_cast<size_t>(ps)] + v.index)]);
    }
  }
}

}  // namespace cutrain::graph
