// Graph builders of the softmax ops (their definition: cutrain/ops/softmax.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/softmax.h"

namespace cutrain::graph {

Value softmax(Value x);
Value log_softmax(Value x);

}  // namespace cutrain::graph
