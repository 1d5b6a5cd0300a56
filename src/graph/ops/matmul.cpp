// Graph builders of the matmul ops.
#include "cutrain/graph/ops/matmul.h"

#include "cutrain/graph/ops/elementwise.h"

namespace cutrain::graph {

Value matmul(Value a, Value b, bool transpose_a, bool transpose_b) {
  return a.graph->apply1("matmul", {a, b}, {{"transpose_a", transpose_a}, {"transpose_b", transpose_b}});
}
Value dense(Value x, Value w, Value bias) {
  const Value y = matmul(x, w, false, true);
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace cutrain::graph
