// Graph builders of the regularizers ops (their definition: cutrain/ops/regularizers.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/regularizers.h"

namespace cutrain::graph {

Value l2_loss(Value w, double weight_decay);

}  // namespace cutrain::graph
