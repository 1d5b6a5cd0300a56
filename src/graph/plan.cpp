#include "cutrain/graph/plan.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"

namespace cutrain::graph {

namespace {

void add_dep(PlanStep& s, int d) {
  if (std::find(s.deps.begin(), s.deps.end(), d) == s.deps.end()) s.deps.push_back(d);
}

// Steps and their data dependencies for the ancestors of the fetches.
void collect_steps(const Graph& g, Plan& p) {
  int last = -1;
  for (const Value& v : p.fetches) {
    CUTRAIN_CHECK(v.defined() && v.graph == &g, "make_plan: fetch ", v.str(), " is not of this graph");
    last = std::max(last, v.node);
  }
  std::vector<char> needed(static_cast<size_t>(last + 1), 0);
  for (const Value& v : p.fetches) needed[static_cast<size_t>(v.node)] = 1;
  for (int i = last; i >= 0; --i) {
    if (!needed[static_cast<size_t>(i)]) continue;
    for (const Value& in : g.node(i).inputs) needed[static_cast<size_t>(in.node)] = 1;
  }
  p.step_of.assign(static_cast<size_t>(g.size()), -1);
  for (int i = 0; i <= last; ++i) {
    if (!needed[static_cast<size_t>(i)]) continue;
    const Node& n = g.node(i);
    if (n.kind != NodeKind::op) {
      p.leaves.push_back(i);
      continue;
    }
    PlanStep s;
    s.node = i;
    for (const Value& in : n.inputs) {
      const int d = p.step_of[static_cast<size_t>(in.node)];
      if (d >= 0 && std::find(s.data_deps.begin(), s.data_deps.end(), d) == s.data_deps.end())
        s.data_deps.push_back(d);
    }
    s.deps = s.data_deps;
    p.step_of[static_cast<size_t>(i)] = static_cast<int>(p.steps.size());
    p.steps.push_back(std::move(s));
  }
}

// Keeps the graph order of every pair of accesses of a mutated value where
// at least one access is a mutation (write-after-read, read-after-write,
// write-after-write).
void add_state_order(const Graph& g, Plan& p) {
  std::map<std::pair<int, int>, std::vector<std::pair<int, bool>>> accesses;  // value -> (step, mutates)
  std::set<std::pair<int, int>> mutated;
  for (size_t si = 0; si < p.steps.size(); ++si) {
    const Node& n = g.node(p.steps[si].node);
    const std::vector<int>& mi = ops::OpRegistry::global().get(n.op).mutated_inputs;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const bool mut = std::find(mi.begin(), mi.end(), static_cast<int>(k)) != mi.end();
      const std::pair<int, int> key{n.inputs[k].node, n.inputs[k].index};
      accesses[key].emplace_back(static_cast<int>(si), mut);
      if (mut) mutated.insert(key);
    }
  }
  for (const auto& key : mutated) {
    const auto& acc = accesses[key];
    for (size_t j = 0; j < acc.size(); ++j)
      for (size_t i = 0; i < j; ++i)
        if ((acc[i].second || acc[j].second) && acc[i].first != acc[j].first)
          add_dep(p.steps[static_cast<size_t>(acc[j].first)], acc[i].first);
  }
}

void collect_values(const Graph& g, Plan& p) {
  std::set<std::pair<int, int>> fetched;
  for (const Value& v : p.fetches) fetched.insert({v.node, v.index});
  p.values.clear();
  p.value_of_step.assign(p.steps.size(), 0);
  for (size_t si = 0; si < p.steps.size(); ++si) {
    const Node& n = g.node(p.steps[si].node);
    p.value_of_step[si] = static_cast<int>(p.values.size());
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      PlannedValue v;
      v.step = static_cast<int>(si);
      v.index = static_cast<int>(k);
      v.spec = n.outputs[k];
      v.bytes = static_cast<size_t>(v.spec.shape.numel()) * dtype_size(v.spec.dtype);
      v.fetched = fetched.count({n.id, v.index}) > 0;
      p.values.push_back(std::move(v));
    }
  }
  for (size_t si = 0; si < p.steps.size(); ++si) {
    for (const Value& in : g.node(p.steps[si].node).inputs) {
      const int ps = p.step_of[static_cast<size_t>(in.node)];
      if (ps < 0) continue;
      auto& users = p.values[static_cast<size_t>(p.value_of_step[static_cast<size_t>(ps)] + in.index)].users;
      if (users.empty() || users.back() != static_cast<int>(si)) users.push_back(static_cast<int>(si));
    }
  }
}

void plan_values_memory(Plan& p) {
  std::vector<MemoryRequest> reqs;
  std::vector<size_t> which;
  std::map<DType, int> pools;
  for (size_t i = 0; i < p.values.size(); ++i) {
    PlannedValue& v = p.values[i];
    if (v.fetched || !p.options.memory_plan) continue;
    auto it = pools.find(v.spec.dtype);
    if (it == pools.end()) {
      it = pools.emplace(v.spec.dtype, static_cast<int>(p.pool_dtype.size())).first;
      p.pool_dtype.push_back(v.spec.dtype);
    }
    v.pool = it->second;
    reqs.push_back({v.pool, v.bytes, v.step, v.users});
    which.push_back(i);
  }
  const StreamAssignment& sa = p.streams;
  p.memory = plan_memory(reqs, static_cast<int>(p.pool_dtype.size()),
                         [&sa](int a, int b) { return sa.happens_before(a, b); });
  for (size_t r = 0; r < which.size(); ++r) p.values[which[r]].offset = p.memory.offset[r];
}

int critical_path(const Plan& p) {
  std::vector<int> depth(p.steps.size(), 1);
  int best = 0;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    for (int d : p.steps[i].deps) depth[i] = std::max(depth[i], depth[static_cast<size_t>(d)] + 1);
    best = std::max(best, depth[i]);
  }
  return best;
}

}  // namespace

Plan make_plan(const Graph& g, const std::vector<Value>& fetches, const PlanOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  Plan p;
  p.options = options;
  p.fetches = fetches;
  collect_steps(g, p);
  add_state_order(g, p);
  for (const PlanPass& pass : options.passes) pass(g, p);
  collect_values(g, p);

  std::vector<std::vector<int>> deps;
  std::vector<double> cost;
  std::vector<char> communication;
  for (size_t si = 0; si < p.steps.size(); ++si) {
    deps.push_back(p.steps[si].deps);
    const Node& node = g.node(p.steps[si].node);
    double c = 0;
    for (const TensorSpec& s : node.outputs) c += static_cast<double>(s.shape.numel());
    cost.push_back(c);
    const ops::OpSchema* schema = node.kind == NodeKind::op ? ops::OpRegistry::global().find(node.op) : nullptr;
    communication.push_back(schema && schema->communication ? 1 : 0);
  }
  p.streams = assign_streams(deps, cost, options.streams ? options.max_streams : 1, communication);
  plan_values_memory(p);

  PlanReport& r = p.report;
  r.kernels_per_step = static_cast<int>(p.steps.size());
  r.leaves = static_cast<int>(p.leaves.size());
  r.streams_used = p.streams.num_streams;
  r.event_waits = p.streams.num_waits();
  r.critical_path_nodes = critical_path(p);
  for (const PlannedValue& v : p.values) {
    if (v.fetched) r.fetched_bytes += v.bytes;
    else r.naive_bytes += align_up(std::max<std::size_t>(v.bytes, 1));
  }
  r.planned_bytes = options.memory_plan ? p.memory.planned_bytes : r.naive_bytes;
  r.planning_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

std::string PlanReport::str() const {
  std::ostringstream o;
  o << "kernels per step: " << kernels_per_step << "\n"
    << "leaves: " << leaves << "\n"
    << "streams used: " << streams_used << " (event waits: " << event_waits << ")\n"
    << "critical path: " << critical_path_nodes << " kernels\n"
    << "intermediates: planned " << format_bytes(planned_bytes) << " vs naive "
    << format_bytes(naive_bytes);
  if (naive_bytes > 0)
    o << " (" << static_cast<int>(100.0 * static_cast<double>(planned_bytes) / static_cast<double>(naive_bytes) + 0.5) << "%)";
  o << "\n"
    << "fetched outputs: " << format_bytes(fetched_bytes) << "\n"
    << "planning: " << planning_ms << " ms\n";
  return o.str();
}

std::string plan_to_dot(const Graph& g, const Plan& p) {
  static const char* kColors[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072",
                                  "#80b1d3", "#fdb462", "#b3de69", "#fccde5"};
  auto esc = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      o += c;
    }
    return o;
  };
  std::ostringstream o;
  o << "digraph plan {\n  rankdir=TB;\n  node [style=filled, fontsize=10];\n";
  for (int id : p.leaves)
    o << "  n" << id << " [shape=box, fillcolor=\"#dddddd\", label=\"" << esc(g.node(id).name) << "\\n"
      << g.node(id).op << "\"];\n";
  for (size_t si = 0; si < p.steps.size(); ++si) {
    const Node& n = g.node(p.steps[si].node);
    const int s = p.streams.stream[si];
    o << "  n" << n.id << " [shape=ellipse, fillcolor=\"" << kColors[s % 8] << "\", label=\""
      << esc(n.name) << "\\n" << n.op << " s" << s << "\"];\n";
  }
  for (size_t si = 0; si < p.steps.size(); ++si) {
    const PlanStep& st = p.steps[si];
    const Node& n = g.node(st.node);
    std::set<int> drawn;
    for (const Value& in : n.inputs) {
      if (!drawn.insert(in.node).second) continue;
      const int d = p.step_of[static_cast<size_t>(in.node)];
      std::string attr;
      if (d >= 0 && p.streams.stream[static_cast<size_t>(d)] != p.streams.stream[si]) {
        const auto& w = p.streams.waits[si];
        attr = std::find(w.begin(), w.end(), d) != w.end() ? " [color=red, penwidth=2]" : " [color=red]";
      }
      o << "  n" << in.node << " -> n" << n.id << attr << ";\n";
    }
    for (int d : st.deps) {
      if (std::find(st.data_deps.begin(), st.data_deps.end(), d) != st.data_deps.end()) continue;
      o << "  n" << p.steps[static_cast<size_t>(d)].node << " -> n" << n.id << " [style=dashed];\n";
    }
  }
  o << "  label=\"" << p.report.kernels_per_step << " kernels on " << p.report.streams_used
    << " streams, " << p.report.event_waits << " event waits\";\n}\n";
  return o.str();
}

}  // namespace cutrain::graph
