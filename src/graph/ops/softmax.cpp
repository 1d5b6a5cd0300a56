// Graph builders of the softmax ops.
#include "cutrain/graph/ops/softmax.h"

namespace cutrain::graph {

Value softmax(Value x) { return x.graph->apply1("softmax", {x}); }
Value log_softmax(Value x) { return x.graph->apply1("log_softmax", {x}); }

}  // namespace cutrain::graph
