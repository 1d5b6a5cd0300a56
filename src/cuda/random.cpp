// CUDA kernel of random_normal (cutrain/cuda/random.h, kernels/random.cu):
// the CPU's Philox rule for the same (seed, step).
#include "cutrain/cuda/random.h"

#include "glue.h"
#include "random.cuh"

namespace cutrain::cuda {

using namespace glue;

void random_normal(const std::string& op, double mean, double stddev, uint64_t seed, uint64_t step,
                   const double* step_scalars, const Tensor& out, cudaStream_t stream) {
  by_dtype(op, out.dtype(), [&]<typename T>(T) {
    kernels::cuda::random_normal(out_ptr<T>(out), out.numel(), mean, stddev, seed, step, step_scalars, stream);
  });
}

}  // namespace cutrain::cuda
