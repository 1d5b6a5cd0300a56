#include "cutrain/graph/memory_plan.h"

#include <algorithm>

#include "cutrain/core/error.h"

namespace cutrain::graph {

std::size_t align_up(std::size_t bytes, std::size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

MemoryPlan plan_memory(const std::vector<MemoryRequest>& requests, int num_pools,
                       const std::function<bool(int, int)>& happens_before, std::size_t alignment) {
  MemoryPlan plan;
  plan.offset.assign(requests.size(), 0);
  plan.pool_bytes.assign(static_cast<size_t>(num_pools), 0);

  // Accesses that must finish before a value's bytes are free again: its
  // users (each depends on the producer), or the producer if it has none.
  std::vector<std::vector<int>> accesses(requests.size());
  std::vector<std::vector<size_t>> placed(static_cast<size_t>(num_pools));
  std::vector<std::pair<std::size_t, std::size_t>> busy;  // [begin, end) of conflicting values

  for (size_t b = 0; b < requests.size(); ++b) {
    const MemoryRequest& rb = requests[b];
    CUTRAIN_CHECK(rb.pool >= 0 && rb.pool < num_pools, "plan_memory: pool ", rb.pool, " of ",
                  num_pools);
    CUTRAIN_CHECK(b == 0 || requests[b - 1].producer <= rb.producer,
                  "plan_memory: requests must be sorted by producer");
    for (int u : rb.users)
      CUTRAIN_CHECK(u > rb.producer, "plan_memory: user ", u, " precedes producer ", rb.producer);
    accesses[b] = rb.users.empty() ? std::vector<int>{rb.producer} : rb.users;

    const std::size_t size = align_up(std::max<std::size_t>(rb.bytes, 1), alignment);
    plan.naive_bytes += size;
    busy.clear();
    auto& pool = placed[static_cast<size_t>(rb.pool)];
    for (size_t a : pool) {
      bool dead = true;
      for (int x : accesses[a]) {
        if (!happens_before(x, rb.producer)) {
          dead = false;
          break;
        }
      }
      if (!dead) {
        busy.emplace_back(plan.offset[a], plan.offset[a] + align_up(std::max<std::size_t>(requests[a].bytes, 1), alignment));
      }
    }
    std::sort(busy.begin(), busy.end());
    std::size_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= offset + size) break;  // the gap before this interval fits
      offset = std::max(offset, end);
    }
    plan.offset[b] = offset;
    pool.push_back(b);
    auto& top = plan.pool_bytes[static_cast<size_t>(rb.pool)];
    top = std::max(top, offset + size);
  }
  for (std::size_t p : plan.pool_bytes) plan.planned_bytes += p;
  return plan;
}

}  // namespace cutrain::graph
