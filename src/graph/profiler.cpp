#include "cutrain/graph/profiler.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace cutrain::graph {

StepProfiler::Slot& StepProfiler::slot(int node_id, const std::string& op, const std::string& node) {
  auto& s = slots_[node_id];
  if (!s) {
    s = std::make_unique<Slot>();
    s->entry.op = op;
    s->entry.node = node;
  }
  return *s;
}

std::vector<StepProfiler::Entry> StepProfiler::nodes() const {
  std::vector<Entry> out;
  for (const auto& [id, s] : slots_) out.push_back(s->entry);
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.seconds > b.seconds; });
  return out;
}

std::vector<StepProfiler::OpTotal> StepProfiler::ops() const {
  std::map<std::string, OpTotal> by_op;
  for (const auto& [id, s] : slots_) {
    OpTotal& t = by_op[s->entry.op];
    t.op = s->entry.op;
    t.calls += s->entry.calls;
    t.seconds += s->entry.seconds;
  }
  std::vector<OpTotal> out;
  for (auto& [name, t] : by_op) out.push_back(t);
  std::stable_sort(out.begin(), out.end(), [](const OpTotal& a, const OpTotal& b) { return a.seconds > b.seconds; });
  return out;
}

double StepProfiler::total_seconds() const {
  double t = 0;
  for (const auto& [id, s] : slots_) t += s->entry.seconds;
  return t;
}

void StepProfiler::print(std::ostream& os, int top_nodes) const {
  const double steps = static_cast<double>(std::max<int64_t>(steps_, 1));
  const double total = total_seconds();
  char line[256];
  std::snprintf(line, sizeof line, "kernel time per step over %lld profiled steps: %.2f ms\n",
                static_cast<long long>(steps_), 1e3 * total / steps);
  os << line;
  std::snprintf(line, sizeof line, "%-28s %10s %12s %8s\n", "op", "calls/step", "ms/step", "share");
  os << line;
  for (const OpTotal& t : ops()) {
    std::snprintf(line, sizeof line, "%-28s %10.1f %12.3f %7.1f%%\n", t.op.c_str(),
                  static_cast<double>(t.calls) / steps, 1e3 * t.seconds / steps,
                  total > 0 ? 100.0 * t.seconds / total : 0.0);
    os << line;
  }
  std::snprintf(line, sizeof line, "%-60s %-24s %10s\n", "longest nodes", "op", "ms/step");
  os << line;
  int shown = 0;
  for (const Entry& e : nodes()) {
    if (shown++ == top_nodes) break;
    std::snprintf(line, sizeof line, "%-60.60s %-24.24s %10.3f\n", e.node.c_str(), e.op.c_str(),
                  1e3 * e.seconds / steps);
    os << line;
  }
}

void StepProfiler::reset() {
  slots_.clear();
  steps_ = 0;
}

}  // namespace cutrain::graph
