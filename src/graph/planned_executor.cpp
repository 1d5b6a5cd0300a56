#include "cutrain/graph/planned_executor.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::graph {

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
};

PlannedExecutor::PlannedExecutor(Graph& g, Device device, PlannedExecutorOptions options)
    : g_(g),
      device_(device),
      options_(std::move(options)),
      leaves_(g, device, options_.main_stream) {
  streams_.push_back(leaves_.stream());
}

PlannedExecutor::~PlannedExecutor() {
  // Queued work references the arenas: let it finish before they go.
  for (const Stream& s : streams_) {
    try {
      s.synchronize();
    } catch (...) {
    }
  }
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
  enqueue_step(pr, feeds, options, out);
  ++step_;
  if (device_.is_cpu()) {
    for (int s = 0; s < pr.plan.streams.num_streams; ++s) streams_[static_cast<size_t>(s)].synchronize();
  }
  return out;
}

void PlannedExecutor::enqueue_step(Prepared& pr, const std::map<int, Tensor>& feeds,
                                   const RunOptions& options, std::vector<Tensor>& outputs) {
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
    auto it = feeds.find(id);
    CUTRAIN_CHECK(it != feeds.end(), "input '", n.name, "' ", n.outputs[0].str(), " was not fed");
    const Tensor& t = it->second;
    CUTRAIN_CHECK(t.shape() == n.outputs[0].shape && t.dtype() == n.outputs[0].dtype, "input '",
                  n.name, "' expects ", n.outputs[0].str(), ", fed ", dtype_name(t.dtype()),
                  t.shape().str());
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
                               step_, n.op};
      StepProfiler::Slot* timed = profiler_ ? &profiler_->slot(n.id, n.op, n.name) : nullptr;
      if (timed) st.enqueue([timed] { timed->start = std::chrono::steady_clock::now(); });
      try {
        ops::run_kernel(n.op, ctx, ins, outs);
      } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (in node '" + n.name + "')");
      }
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
    // ---- the capturable region ends ----------------------------------------
    if (profiler_) profiler_->end_step();
  } catch (...) {
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
