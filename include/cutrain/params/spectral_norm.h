// Parameters of spectral_norm, filled once by the op from its attributes and
// the context, taken as they are by the CPU and CUDA kernels.
#pragma once

#include <cstdint>

namespace cutrain::params {

struct SpectralNorm {
  int64_t n_power_iterations = 1;  // used in training only
  double eps = 1e-12;              // normalize(x) = x / max(|x|, eps)
  int dim = 0;                     // normalised: the matrix's row axis
  bool training = true;
};

}  // namespace cutrain::params
