// Graph builders of the shape_ops ops (their definition: cutrain/ops/shape_ops.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/shape_ops.h"

namespace cutrain::graph {

Value reshape(Value x, const Shape& shape);
Value reshape(Value x, const std::vector<int64_t>& dims);  // one dim may be -1
Value flatten(Value x);
Value squeeze(Value x, const std::vector<int64_t>& axes = {});
Value expand_dims(Value x, int64_t axis);
Value concat(const std::vector<Value>& values, int64_t axis);
std::vector<Value> split(Value x, int64_t axis, const std::vector<int64_t>& sizes);
Value transpose(Value x, const std::vector<int64_t>& perm = {});

}  // namespace cutrain::graph
