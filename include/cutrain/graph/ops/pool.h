// Graph builders of the pool ops (their definition: cutrain/ops/pool.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/pool.h"

namespace cutrain::graph {

Value max_pool(Value x, const ops::PoolOptions& options);
Value avg_pool(Value x, const ops::PoolOptions& options);
Value global_avg_pool(Value x, bool keepdims = false);

}  // namespace cutrain::graph
