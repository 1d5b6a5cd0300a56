// Memory plan: offsets of intermediate values in per-pool arenas, sharing
// memory between values that can never be alive at the same time.
//
// A value is written by its producer step and read by its user steps. Value a
// may share bytes with a value b produced later only if every access of a
// (its producer and all its users) is guaranteed to have completed before b's
// producer starts, under the happens-before relation of the stream
// assignment (same-stream order plus event waits). On one stream that is the
// classic "last use before first def" linear-scan rule; on several streams a
// value read by a concurrently running kernel stays reserved even if the
// reader comes earlier in issue order. A user that is b's own producer keeps
// a alive (no in-place reuse: kernels are not assumed to allow aliasing).
//
// Assignment: values in producer order; each is placed at the lowest
// aligned offset of its pool that overlaps no value still possibly alive
// (first fit over the sorted conflicting intervals). Pools separate dtypes
// (an arena is one typed tensor on its device).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace cutrain::graph {

struct MemoryRequest {
  int pool = 0;
  std::size_t bytes = 0;
  int producer = -1;       // step index
  std::vector<int> users;  // step indices (> producer)
};

struct MemoryPlan {
  std::vector<std::size_t> offset;      // per request, bytes into its pool
  std::vector<std::size_t> pool_bytes;  // arena size per pool
  std::size_t planned_bytes = 0;        // sum of pool_bytes
  std::size_t naive_bytes = 0;          // one aligned buffer per request
};

inline constexpr std::size_t kPlanAlignment = 256;  // cudaMalloc-like alignment of every value

std::size_t align_up(std::size_t bytes, std::size_t alignment = kPlanAlignment);

// `happens_before(a, b)`: step a completes before step b starts. Requests
// must be sorted by producer.
MemoryPlan plan_memory(const std::vector<MemoryRequest>& requests, int num_pools,
                       const std::function<bool(int, int)>& happens_before,
                       std::size_t alignment = kPlanAlignment);

}  // namespace cutrain::graph
