// Graph builders of the reduce ops (their definition: cutrain/ops/reduce.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/reduce.h"

namespace cutrain::graph {

Value sum(Value x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Value mean(Value x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Value broadcast_to(Value x, const Shape& shape);

}  // namespace cutrain::graph
