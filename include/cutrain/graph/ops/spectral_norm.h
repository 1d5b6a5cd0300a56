// Graph builders of the spectral_norm ops (their definition: cutrain/ops/spectral_norm.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/spectral_norm.h"

namespace cutrain::graph {

struct SpectralNormOutputs {
  Value weight;  // w / sigma
  Value sigma;   // []
};
SpectralNormOutputs spectral_norm(Value w, Value u, Value v, int64_t n_power_iterations = 1,
                                  double eps = 1e-12, int dim = 0);

}  // namespace cutrain::graph
