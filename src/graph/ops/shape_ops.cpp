// Graph builders of the shape_ops ops.
#include "cutrain/graph/ops/shape_ops.h"

#include "cutrain/core/error.h"

namespace cutrain::graph {

Value reshape(Value x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return x.graph->apply1("reshape", {x}, {{"shape", shape.dims()}});
}
Value reshape(Value x, const std::vector<int64_t>& dims) {
  return x.graph->apply1("reshape", {x}, {{"shape", dims}});
}
Value flatten(Value x) { return x.graph->apply1("flatten", {x}); }
Value squeeze(Value x, const std::vector<int64_t>& axes) {
  return x.graph->apply1("squeeze", {x}, {{"axes", axes}});
}
Value expand_dims(Value x, int64_t axis) { return x.graph->apply1("expand_dims", {x}, {{"axis", axis}}); }
Value concat(const std::vector<Value>& values, int64_t axis) {
  CUTRAIN_CHECK(!values.empty(), "op 'concat': no inputs");
  return values[0].graph->apply1("concat", values, {{"axis", axis}});
}
std::vector<Value> split(Value x, int64_t axis, const std::vector<int64_t>& sizes) {
  return x.graph->apply("split", {x}, {{"axis", axis}, {"sizes", sizes}});
}
Value transpose(Value x, const std::vector<int64_t>& perm) {
  return x.graph->apply1("transpose", {x}, {{"perm", perm}});
}

}  // namespace cutrain::graph
