// Uses the installed headers and library: a tensor, an op, a device report.
#include <cstdio>

#include "cutrain/core/device.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"

int main() {
  using namespace cutrain;
  const Tensor x = Tensor::from_vector({3}, {-1, 0, 2}, DType::f64);
  const Tensor y = ops::call("relu", {x})[0];
  std::printf("relu: %g %g %g; devices: %zu\n", y.flat(0), y.flat(1), y.flat(2), devices().size());
  return y.flat(2) == 2.0 && y.flat(0) == 0.0 ? 0 : 1;
}
