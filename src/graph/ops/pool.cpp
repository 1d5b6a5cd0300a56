// Graph builders of the pool ops.
#include "cutrain/graph/ops/pool.h"

namespace cutrain::graph {

Value max_pool(Value x, const ops::PoolOptions& options) {
  return x.graph->apply1("max_pool", {x}, options.attrs());
}
Value avg_pool(Value x, const ops::PoolOptions& options) {
  return x.graph->apply1("avg_pool", {x}, options.attrs());
}
Value global_avg_pool(Value x, bool keepdims) {
  return x.graph->apply1("global_avg_pool", {x}, {{"keepdims", keepdims}});
}

}  // namespace cutrain::graph
