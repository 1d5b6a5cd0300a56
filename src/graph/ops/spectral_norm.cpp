// Graph builders of the spectral_norm ops.
#include "cutrain/graph/ops/spectral_norm.h"

namespace cutrain::graph {

SpectralNormOutputs spectral_norm(Value w, Value u, Value v, int64_t n_power_iterations, double eps, int dim) {
  const std::vector<Value> out = w.graph->apply(
      "spectral_norm", {w, u, v},
      {{"n_power_iterations", n_power_iterations}, {"eps", eps}, {"dim", static_cast<int64_t>(dim)}});
  return {out[0], out[1]};
}

}  // namespace cutrain::graph
