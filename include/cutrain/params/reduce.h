// Parameters of sum / mean, parsed once by the op from its `axes` attribute
// and the input shape, taken as they are by the CPU and CUDA kernels.
#pragma once

#include <vector>

namespace cutrain::params {

struct Reduce {
  std::vector<char> reduced;  // per input axis: 1 when summed over
  double scale = 1.0;         // 1 for sum, 1 / (reduced element count) for mean
};

}  // namespace cutrain::params
