#include "cutrain/nn/spectral_norm.h"

#include <utility>

#include "cutrain/core/error.h"
#include "cutrain/graph/ops/spectral_norm.h"

namespace cutrain::nn {

WeightTransform spectral_norm(int64_t n_power_iterations, double eps) {
  CUTRAIN_CHECK(n_power_iterations >= 0, "spectral_norm: n_power_iterations must be >= 0, got ",
                n_power_iterations);
  CUTRAIN_CHECK(eps > 0, "spectral_norm: eps must be positive, got ", eps);
  return [n_power_iterations, eps](ModelBuilder& b, Value w) {
    CUTRAIN_CHECK(w.shape().rank() >= 2, "spectral_norm '", w.name(),
                  "': needs a weight of rank >= 2, got ", w.shape().str());
    // Seeded from the model seed and the full name, like parameters, so the
    // vectors do not change when layers are added elsewhere.
    const uint64_t seed = parameter_seed(b.seed(), b.graph().scoped("weight_u"));
    auto [u0, v0] = ops::spectral_norm_init_uv(w.shape(), 0, b.dtype(), seed, eps);
    const Value u = b.state("weight_u", std::move(u0));
    const Value v = b.state("weight_v", std::move(v0));
    const graph::SpectralNormOutputs sn = graph::spectral_norm(w, u, v, n_power_iterations, eps, 0);
    b.model().add_endpoint(b.graph().scoped("sigma"), sn.sigma);
    return sn.weight;
  };
}

}  // namespace cutrain::nn
