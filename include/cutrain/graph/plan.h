// Plan: everything decided once per (fetches, input shapes) before a step
// runs: which op nodes run and in what order, their dependencies, the stream
// of each kernel and the events between streams, and where each
// intermediate value lives.
//
// Building a plan:
//  1. the needed nodes (ancestors of the fetches, as the reference Executor),
//     in graph order, which is topological; op nodes become steps;
//  2. dependencies: data edges from op producers, plus state ordering for
//     values that some step mutates in place (OpSchema::mutated_inputs):
//     every pair of accesses of such a value where one is a mutation keeps
//     its graph order, so readers see exactly what the reference sees;
//  3. passes (the hook for fusion: they may rewrite steps and dependencies);
//  4. stream assignment (stream_assignment.h);
//  5. memory plan (memory_plan.h) over the non-fetched op outputs, one pool
//     per dtype. Leaves (inputs, parameters, state, constants) and fetched
//     values are never placed in the arena.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"
#include "cutrain/graph/memory_plan.h"
#include "cutrain/graph/stream_assignment.h"

namespace cutrain::graph {

struct Plan;

// A planning pass run after dependencies are known and before streams and
// memory are assigned (fusion goes here).
using PlanPass = std::function<void(const Graph& g, Plan& plan)>;

struct PlanOptions {
  bool streams = true;       // false: everything on the main stream
  int max_streams = 4;
  bool memory_plan = true;   // false: every value gets a fresh allocation per step
  std::vector<PlanPass> passes;
};

struct PlanStep {
  int node = -1;
  std::vector<int> deps;       // earlier steps this one must follow (data + state order)
  std::vector<int> data_deps;  // the subset that produces its inputs
};

// Where one op output lives during a step.
struct PlannedValue {
  int step = -1;
  int index = 0;          // output index of the step's node
  TensorSpec spec;
  std::vector<int> users;  // steps reading it (or mutating it)
  bool fetched = false;
  int pool = -1;          // -1: not in an arena (fetched, or memory plan off)
  std::size_t offset = 0; // bytes into the pool's arena
  std::size_t bytes = 0;
};

struct PlanReport {
  int kernels_per_step = 0;
  int leaves = 0;
  int streams_used = 0;
  int event_waits = 0;
  int critical_path_nodes = 0;  // longest dependency chain, in kernels
  std::size_t planned_bytes = 0;  // arenas (peak of the planned intermediates)
  std::size_t naive_bytes = 0;    // one buffer per intermediate value
  std::size_t fetched_bytes = 0;  // fetched op outputs, allocated per step
  double planning_ms = 0;
  std::string str() const;
};

struct Plan {
  PlanOptions options;
  std::vector<Value> fetches;
  std::vector<int> leaves;           // needed leaf node ids
  std::vector<PlanStep> steps;       // op nodes in issue order
  std::vector<int> step_of;          // node id -> step index, -1 if not a step
  StreamAssignment streams;
  std::vector<PlannedValue> values;  // every output of every step, by step then index
  std::vector<int> value_of_step;    // step -> index of its first output in `values`
  std::vector<DType> pool_dtype;     // pool -> dtype of its arena
  MemoryPlan memory;
  PlanReport report;

  const PlannedValue& value(int step, int index) const {
    return values[static_cast<size_t>(value_of_step[static_cast<size_t>(step)] + index)];
  }
};

Plan make_plan(const Graph& g, const std::vector<Value>& fetches, const PlanOptions& options = {});

// Graphviz: one node per step, filled with its stream's colour; data edges
// solid, state-ordering edges dashed, edges that cross streams (event waits)
// bold red; leaves as grey boxes.
std::string plan_to_dot(const Graph& g, const Plan& plan);

}  // namespace cutrain::graph
