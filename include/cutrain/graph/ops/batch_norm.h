// Graph builders of the batch_norm ops (their definition: cutrain/ops/batch_norm.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/batch_norm.h"

namespace cutrain::graph {

// Returns y. `gamma` may be an undefined Value (beta-only batch norm).
Value batch_norm(Value x, Value beta, Value gamma, Value running_mean, Value running_var,
                 const ops::BatchNormOptions& options = {});

}  // namespace cutrain::graph
