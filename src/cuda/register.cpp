// Registers the CUDA kernels of every op on top of the CPU reference
// schemas (OpRegistry::add_kernel), one call per op family.
#include "cutrain/ops/op.h"

namespace cutrain::cuda {

void register_loss_kernels(ops::OpRegistry& r);         // src/cuda/losses.cpp
void register_optimizer_kernels(ops::OpRegistry& r);    // src/cuda/optimizers.cpp

void register_cuda_kernels(ops::OpRegistry& r) {
  register_loss_kernels(r);
  register_optimizer_kernels(r);
}

}  // namespace cutrain::cuda
