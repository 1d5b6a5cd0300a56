// Graph builders of the dropout ops.
#include "cutrain/graph/ops/dropout.h"

namespace cutrain::graph {

Value dropout(Value x, double rate) { return x.graph->apply1("dropout", {x}, {{"rate", rate}}); }

}  // namespace cutrain::graph
