// Graph builders of the reduce ops.
#include "cutrain/graph/ops/reduce.h"

namespace cutrain::graph {

Value sum(Value x, const std::vector<int64_t>& axes, bool keepdims) {
  return x.graph->apply1("sum", {x}, {{"axes", axes}, {"keepdims", keepdims}});
}
Value mean(Value x, const std::vector<int64_t>& axes, bool keepdims) {
  return x.graph->apply1("mean", {x}, {{"axes", axes}, {"keepdims", keepdims}});
}
Value broadcast_to(Value x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return x.graph->apply1("broadcast_to", {x}, {{"shape", shape.dims()}});
}

}  // namespace cutrain::graph
