// Registers the CUDA kernels of every op on top of the CPU reference
// schemas (OpRegistry::add_kernel), one call per op family.
#include "cutrain/ops/op.h"

namespace cutrain::cuda {

void register_matmul_kernels(ops::OpRegistry& r);       // src/cuda/cublas_matmul.cpp
void register_loss_kernels(ops::OpRegistry& r);         // src/cuda/losses.cpp
void register_optimizer_kernels(ops::OpRegistry& r);    // src/cuda/optimizers.cpp
void register_batch_norm_kernels(ops::OpRegistry& r);   // src/cuda/batch_norm.cpp
void register_spectral_norm_kernels(ops::OpRegistry& r);  // src/cuda/spectral_norm.cpp

void register_cuda_kernels(ops::OpRegistry& r) {
  register_matmul_kernels(r);
  register_loss_kernels(r);
  register_optimizer_kernels(r);
  register_batch_norm_kernels(r);
  register_spectral_norm_kernels(r);
}

}  // namespace cutrain::cuda
