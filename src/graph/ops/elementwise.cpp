// Graph builders of the elementwise ops.
#include "cutrain/graph/ops/elementwise.h"

namespace cutrain::graph {

namespace {

Value unary_op(const char* op, Value x, Attrs attrs = {}) { return x.graph->apply1(op, {x}, attrs); }

}  // namespace

Value add(Value a, Value b) { return a.graph->apply1("add", {a, b}); }
Value sub(Value a, Value b) { return a.graph->apply1("sub", {a, b}); }
Value mul(Value a, Value b) { return a.graph->apply1("mul", {a, b}); }
Value div(Value a, Value b) { return a.graph->apply1("div", {a, b}); }
Value relu(Value x) { return unary_op("relu", x); }
Value leaky_relu(Value x, double alpha) { return unary_op("leaky_relu", x, {{"alpha", alpha}}); }
Value sigmoid(Value x) { return unary_op("sigmoid", x); }
Value tanh(Value x) { return unary_op("tanh", x); }
Value square(Value x) { return unary_op("square", x); }
Value exp(Value x) { return unary_op("exp", x); }
Value log(Value x) { return unary_op("log", x); }
Value sqrt(Value x) { return unary_op("sqrt", x); }
Value neg(Value x) { return unary_op("neg", x); }
Value scale(Value x, double alpha) { return unary_op("scale", x, {{"alpha", alpha}}); }
Value add_scalar(Value x, double alpha) { return unary_op("add_scalar", x, {{"alpha", alpha}}); }
Value sum_to(Value x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return x.graph->apply1("sum_to", {x}, {{"shape", shape.dims()}});
}

}  // namespace cutrain::graph
