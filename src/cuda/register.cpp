// Registers the CUDA kernels of every op on top of the CPU reference
// schemas (OpRegistry::add_kernel), one call per op family.
#include "cutrain/ops/op.h"

namespace cutrain::cuda {

void register_elementwise_kernels(ops::OpRegistry& r);  // src/cuda/elementwise.cpp
void register_matmul_kernels(ops::OpRegistry& r);       // src/cuda/cublas_matmul.cpp

void register_cuda_kernels(ops::OpRegistry& r) {
  register_elementwise_kernels(r);
  register_matmul_kernels(r);
}

}  // namespace cutrain::cuda
