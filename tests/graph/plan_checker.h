// An independent checker of plans, for tests: it rebuilds the happens-before
// relation of a planned step from what the executor enqueues (the issue
// order of steps per stream, and the event waits) as an explicit transitive
// closure, recomputes every value's producer and readers from the graph, and
// verifies (1) every dependency is ordered, (2) no two arena values whose
// bytes overlap can be alive at the same time. It shares no code with the
// planner's vector clocks or its liveness test.
#pragma once

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cutrain/graph/plan.h"

namespace cutrain::plancheck {

using graph::Graph;
using graph::Plan;

struct PlanCheck {
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
  std::string str() const {
    std::string s;
    for (size_t i = 0; i < errors.size() && i < 10; ++i) s += errors[i] + "\n";
    return s;
  }
};

// before[b][a]: step a completes before step b starts.
inline std::vector<std::vector<char>> happens_before_closure(const Plan& p) {
  const size_t n = p.steps.size();
  std::vector<std::vector<char>> before(n, std::vector<char>(n, 0));
  std::map<int, int> last_on_stream;
  for (size_t i = 0; i < n; ++i) {
    std::vector<int> preds(p.streams.waits[i].begin(), p.streams.waits[i].end());
    auto it = last_on_stream.find(p.streams.stream[i]);
    if (it != last_on_stream.end()) preds.push_back(it->second);
    for (int q : preds) {
      before[i][static_cast<size_t>(q)] = 1;
      for (size_t k = 0; k < n; ++k)
        if (before[static_cast<size_t>(q)][k]) before[i][k] = 1;
    }
    last_on_stream[p.streams.stream[i]] = static_cast<int>(i);
  }
  return before;
}

// extra_order: pairs (a, b) of node ids that must also be ordered (state).
inline PlanCheck check_plan(const Graph& g, const Plan& p,
                            const std::vector<std::pair<int, int>>& extra_order = {}) {
  PlanCheck c;
  auto fail = [&](auto&&... parts) {
    std::ostringstream o;
    (o << ... << parts);
    c.errors.push_back(o.str());
  };
  const size_t n = p.steps.size();
  const auto before = happens_before_closure(p);
  std::map<int, size_t> step_of_node;
  for (size_t i = 0; i < n; ++i) step_of_node[p.steps[i].node] = i;

  // Readers of each (node, output) value, from the graph.
  std::map<std::pair<int, int>, std::vector<size_t>> readers;
  for (size_t i = 0; i < n; ++i) {
    for (const graph::Value& in : g.node(p.steps[i].node).inputs) {
      auto it = step_of_node.find(in.node);
      if (it == step_of_node.end()) {
        if (g.node(in.node).kind == graph::NodeKind::op) fail("step ", i, " reads unplanned op node ", in.node);
        continue;
      }
      if (!before[i][it->second]) fail("data edge ", it->second, " -> ", i, " is not ordered");
      readers[{in.node, in.index}].push_back(i);
    }
  }
  for (auto [a, b] : extra_order) {
    const size_t sa = step_of_node.at(a), sb = step_of_node.at(b);
    if (!before[sb][sa]) fail("state order ", a, " -> ", b, " is not ordered");
  }

  struct Live {
    size_t producer;
    std::vector<size_t> accesses;
    int pool;
    size_t begin, end;
  };
  std::vector<Live> arena;
  for (const graph::PlannedValue& v : p.values) {
    const int node = p.steps[static_cast<size_t>(v.step)].node;
    const size_t bytes = static_cast<size_t>(v.spec.shape.numel()) * dtype_size(v.spec.dtype);
    if (v.pool < 0) continue;
    if (v.fetched) fail("fetched value of node ", node, " is in the arena");
    if (v.spec.dtype != p.pool_dtype[static_cast<size_t>(v.pool)]) fail("dtype mismatch in pool ", v.pool);
    if (v.offset + bytes > p.memory.pool_bytes[static_cast<size_t>(v.pool)])
      fail("value of node ", node, " exceeds its pool");
    Live l{static_cast<size_t>(v.step), {static_cast<size_t>(v.step)}, v.pool, v.offset, v.offset + bytes};
    for (size_t r : readers[{node, v.index}]) l.accesses.push_back(r);
    arena.push_back(std::move(l));
  }
  auto all_before = [&](const Live& a, size_t write) {
    for (size_t x : a.accesses)
      if (!before[write][x]) return false;
    return true;
  };
  for (size_t i = 0; i < arena.size(); ++i) {
    for (size_t j = i + 1; j < arena.size(); ++j) {
      const Live &a = arena[i], &b = arena[j];
      if (a.pool != b.pool || a.end <= b.begin || b.end <= a.begin) continue;
      if (!all_before(a, b.producer) && !all_before(b, a.producer))
        fail("values of steps ", a.producer, " and ", b.producer, " overlap in pool ", a.pool,
             " at bytes [", std::max(a.begin, b.begin), ", ", std::min(a.end, b.end),
             ") but may be alive at the same time");
    }
  }
  return c;
}

}  // namespace cutrain::plancheck
