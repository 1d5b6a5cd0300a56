// Stream assignment: which stream each kernel of a planned step runs on, and
// which cross-stream dependencies become event waits.
//
// Input: the steps of a plan in a topological order, each with the earlier
// steps it depends on (data edges and state-ordering edges) and a cost.
//
// Heuristic (one pass, in order):
//  - A step continues the stream of its first dependency (in dependency
//    order) whose stream no other consumer has continued yet ("first
//    consumer continues the producer's stream"): chains stay on one stream.
//  - Otherwise (a second consumer of a fan-out, or no dependency) it opens a
//    new stream while fewer than `max_streams` are in use, else it takes the
//    least-loaded stream (smallest summed cost so far).
//  So the four branches of an Inception block, all consuming the block's
//  input, start on four streams, and the concat joins them with waits.
//  - Steps marked `communication` (collectives) go to one extra stream of
//    their own, which no other step continues: the all-reduces of gradient
//    buckets then run beside the rest of the backward pass, in their order.
//
// Events: every stream carries a vector clock, clock[t] = how many steps of
// stream t are known to have completed before its next step starts. A
// dependency p of step i on another stream needs a wait only if that clock
// does not already cover p (an earlier wait may imply it transitively); a wait
// merges p's clock. Steps that someone waits on record an event after them.
//
// The whole step is bracketed by the executor: every stream waits on a start
// event of the main stream (stream 0), and the main stream waits on every
// other stream at the end (the final join). Happens-before below is within
// one step.
#pragma once

#include <cstddef>
#include <vector>

namespace cutrain::graph {

struct StreamAssignment {
  int num_streams = 1;
  std::vector<int> stream;                // per step
  std::vector<int> seq;                   // per step: index among the steps of its stream
  std::vector<std::vector<int>> waits;    // per step: steps whose events its stream waits on first
  std::vector<char> records;              // per step: 1 if an event is recorded right after it
  std::vector<std::vector<int>> clock;    // per step: clock of its stream when it starts
  std::vector<double> load;               // per stream: summed cost

  // True when step a is guaranteed to have completed before step b starts.
  bool happens_before(int a, int b) const {
    return seq[static_cast<std::size_t>(a)] <
           clock[static_cast<std::size_t>(b)][static_cast<std::size_t>(stream[static_cast<std::size_t>(a)])];
  }
  int num_waits() const;
};

// deps[i]: steps (< i) that step i must follow; cost[i] >= 0. max_streams >= 1
// compute streams; communication[i] != 0 (empty: none) puts step i on the
// communication stream, one more.
StreamAssignment assign_streams(const std::vector<std::vector<int>>& deps,
                                const std::vector<double>& cost, int max_streams,
                                const std::vector<char>& communication = {});

}  // namespace cutrain::graph
