// Graph builders of the dropout ops (their definition: cutrain/ops/dropout.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/dropout.h"

namespace cutrain::graph {

// Returns y; the mask is output 1 of the same node.
Value dropout(Value x, double rate);

}  // namespace cutrain::graph
