// Graph builders of the regularizers ops.
#include "cutrain/graph/ops/regularizers.h"

namespace cutrain::graph {

Value l2_loss(Value w, double weight_decay) {
  return w.graph->apply1("l2_loss", {w}, {{"weight_decay", weight_decay}});
}

}  // namespace cutrain::graph
