// Graph builders of the matmul ops (their definition: cutrain/ops/matmul.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/matmul.h"

namespace cutrain::graph {

Value matmul(Value a, Value b, bool transpose_a = false, bool transpose_b = false);
Value dense(Value x, Value w, Value bias = {});

}  // namespace cutrain::graph
