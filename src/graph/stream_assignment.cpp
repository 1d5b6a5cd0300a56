#include "cutrain/graph/stream_assignment.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::graph {

int StreamAssignment::num_waits() const {
  int n = 0;
  for (const auto& w : waits) n += static_cast<int>(w.size());
  return n;
}

StreamAssignment assign_streams(const std::vector<std::vector<int>>& deps,
                                const std::vector<double>& cost, int max_streams,
                                const std::vector<char>& communication) {
  CUTRAIN_CHECK(max_streams >= 1, "assign_streams: max_streams must be >= 1, got ", max_streams);
  CUTRAIN_CHECK(deps.size() == cost.size(), "assign_streams: ", deps.size(), " steps but ",
                cost.size(), " costs");
  CUTRAIN_CHECK(communication.empty() || communication.size() == deps.size(), "assign_streams: ",
                deps.size(), " steps but ", communication.size(), " communication flags");
  const size_t n = deps.size();
  auto is_comm = [&](size_t i) { return !communication.empty() && communication[i] != 0; };
  const bool any_comm = std::any_of(communication.begin(), communication.end(), [](char c) { return c != 0; });
  // The communication stream takes the next free index when first needed.
  const size_t ms = static_cast<size_t>(max_streams) + (any_comm ? 1 : 0);
  int compute_streams = 0;
  int comm_stream = -1;
  StreamAssignment a;
  a.num_streams = 0;
  a.stream.assign(n, 0);
  a.seq.assign(n, 0);
  a.waits.assign(n, {});
  a.records.assign(n, 0);
  a.clock.assign(n, {});
  a.load.assign(ms, 0.0);
  std::vector<char> continued(n, 0);               // some consumer took the step's stream
  std::vector<std::vector<int>> tail(ms, std::vector<int>(ms, 0));  // per stream clock

  for (size_t i = 0; i < n; ++i) {
    int s = -1;
    for (int p : deps[i]) {
      CUTRAIN_CHECK(p >= 0 && static_cast<size_t>(p) < i, "assign_streams: step ", i,
                    " depends on step ", p, " which does not precede it");
    }
    if (is_comm(i)) {
      if (comm_stream < 0) comm_stream = a.num_streams;
      s = comm_stream;
    }
    for (int p : deps[i]) {
      if (s >= 0) break;
      if (!continued[static_cast<size_t>(p)] && !is_comm(static_cast<size_t>(p))) {
        continued[static_cast<size_t>(p)] = 1;
        s = a.stream[static_cast<size_t>(p)];
      }
    }
    if (s < 0) {
      if (compute_streams < max_streams) {
        s = a.num_streams;
        ++compute_streams;
      } else {
        s = -1;
        for (int t = 0; t < a.num_streams; ++t) {
          if (t != comm_stream && (s < 0 || a.load[static_cast<size_t>(t)] < a.load[static_cast<size_t>(s)])) s = t;
        }
      }
    }
    a.num_streams = std::max(a.num_streams, s + 1);
    const size_t su = static_cast<size_t>(s);
    std::vector<int>& clk = tail[su];

    // Later producers first: a wait on them often covers earlier ones.
    std::vector<int> ds = deps[i];
    std::sort(ds.begin(), ds.end(), std::greater<int>());
    for (int p : ds) {
      const size_t pu = static_cast<size_t>(p);
      const size_t ps = static_cast<size_t>(a.stream[pu]);
      if (ps == su || clk[ps] > a.seq[pu]) continue;
      a.waits[i].push_back(p);
      a.records[pu] = 1;
      const std::vector<int>& pc = a.clock[pu];
      for (size_t t = 0; t < ms; ++t) clk[t] = std::max(clk[t], pc[t]);
      clk[ps] = std::max(clk[ps], a.seq[pu] + 1);
    }
    a.stream[i] = s;
    a.seq[i] = clk[su];
    a.clock[i] = clk;
    clk[su] += 1;
    a.load[su] += cost[i];
  }
  a.num_streams = std::max(a.num_streams, 1);
  a.load.resize(static_cast<size_t>(a.num_streams));
  return a;
}

}  // namespace cutrain::graph
