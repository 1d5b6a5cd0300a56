// Planning time and per-step overhead of the planned executor against the
// reference Executor, on ~1000 small elementwise kernels shaped like
// Inception blocks (four branches from a shared input, joined by add_n).
// Tensors are tiny, so the numbers are the executors' own cost per kernel.
#include <benchmark/benchmark.h>

#include <memory>

#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/planned_executor.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

struct BenchGraph {
  std::unique_ptr<Graph> g = std::make_unique<Graph>(1);
  Value x, y;
  Tensor xv;
};

// blocks * (4 branches * depth + 1 join + 1 residual) kernels.
BenchGraph make_graph(int blocks = 48, int depth = 5) {
  BenchGraph b;
  Graph& g = *b.g;
  const Shape s({8, 16});
  b.x = g.input("x", {s, DType::f32});
  Value h = b.x;
  const char* ops_cycle[] = {"relu", "tanh", "sigmoid", "square", "scale"};
  for (int k = 0; k < blocks; ++k) {
    std::vector<Value> branches;
    for (int br = 0; br < 4; ++br) {
      Value v = h;
      for (int d = 0; d < depth; ++d) {
        const char* op = ops_cycle[(br + d) % 5];
        v = std::string(op) == "scale" ? graph::scale(v, 0.5) : g.apply1(op, {v});
      }
      branches.push_back(v);
    }
    h = graph::add(g.apply1("add_n", branches), graph::scale(h, 0.25));
  }
  b.y = h;
  b.xv = Tensor::empty(s, DType::f32);
  b.xv.uniform(-1, 1, 3);
  return b;
}

void BM_Plan(benchmark::State& state) {
  BenchGraph b = make_graph();
  graph::PlanOptions o;
  o.streams = state.range(0) != 0;
  graph::Plan p;
  for (auto _ : state) {
    p = graph::make_plan(*b.g, {b.y}, o);
    benchmark::DoNotOptimize(p.steps.data());
  }
  state.counters["kernels"] = p.report.kernels_per_step;
  state.counters["streams"] = p.report.streams_used;
  state.counters["waits"] = p.report.event_waits;
  state.counters["planned_KiB"] = static_cast<double>(p.report.planned_bytes) / 1024;
  state.counters["naive_KiB"] = static_cast<double>(p.report.naive_bytes) / 1024;
}
BENCHMARK(BM_Plan)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ReferenceStep(benchmark::State& state) {
  BenchGraph b = make_graph();
  graph::Executor ex(*b.g, Device::cpu());
  for (auto _ : state) benchmark::DoNotOptimize(ex.run({{b.x, b.xv}}, {b.y}, graph::kTraining));
  state.counters["kernels"] = static_cast<double>(b.g->size() - 1);
}
BENCHMARK(BM_ReferenceStep)->Unit(benchmark::kMillisecond);

// Args: streams (0/1), memory plan (0/1), threaded main stream (0/1).
void BM_PlannedStep(benchmark::State& state) {
  BenchGraph b = make_graph();
  graph::PlannedExecutorOptions o;
  o.streams = state.range(0) != 0;
  o.memory_plan = state.range(1) != 0;
  if (state.range(2)) o.main_stream = make_cpu_stream({.threaded = true});
  graph::PlannedExecutor ex(*b.g, Device::cpu(), o);
  ex.run({{b.x, b.xv}}, {b.y}, graph::kTraining);  // plan and warm up
  for (auto _ : state) benchmark::DoNotOptimize(ex.run({{b.x, b.xv}}, {b.y}, graph::kTraining));
  state.counters["streams"] = ex.plan({b.y}).report.streams_used;
}
BENCHMARK(BM_PlannedStep)
    ->Args({0, 1, 0})
    ->Args({0, 0, 0})
    ->Args({1, 1, 0})
    ->Args({1, 1, 1})
    ->Args({1, 0, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
