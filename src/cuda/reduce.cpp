// CUDA kernels of the reduction family (cutrain/cuda/reduce.h, kernels/reduce.cu).
#include "cutrain/cuda/reduce.h"

#include "glue.h"
#include "reduce.cuh"

namespace cutrain::cuda {

using namespace glue;

void reduce_sum(const std::string& op, const params::Reduce& p, const Tensor& x, const Tensor& out,
                cudaStream_t stream) {
  const kernels::ReduceIndex idx = kernels::make_reduce_index(dims(x), p.reduced);
  by_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::reduce_axes(in_ptr<T>(x), idx, p.scale, out_ptr<T>(out), stream);
  });
}

void broadcast_to(const std::string& op, const Tensor& x, const Tensor& out, cudaStream_t stream) {
  const kernels::BroadcastIndex idx = kernels::make_broadcast_index(dims(out), dims(x), dims(out));
  by_dtype(op, x.dtype(), [&]<typename T>(T) {
    kernels::cuda::broadcast_to(in_ptr<T>(x), idx, out.numel(), out_ptr<T>(out), stream);
  });
}

}  // namespace cutrain::cuda
