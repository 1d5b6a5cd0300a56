// CUDA kernels of the batch-norm family (cutrain/cuda/batch_norm.h,
// kernels/batch_norm.cu). f16/bf16 activations take f32 statistics, parameters
// and parameter gradients.
#include "cutrain/cuda/batch_norm.h"

#include <type_traits>

#include "batch_norm.cuh"
#include "glue.h"

namespace cutrain::cuda {

using namespace glue;

void batch_norm(const std::string& op, const params::BatchNorm& p, const Tensor& x, const Tensor& beta,
                const Tensor& gamma, const Tensor& running_mean, const Tensor& running_var, const Tensor& y,
                const Tensor& saved_mean, const Tensor& saved_invstd, const Stream& stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    using P = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit activations: f32 statistics
    const int64_t c = x.dim(-1), m = x.numel() / c;
    if (p.training) {
      const Tensor ws = scratch(x.device(), stream, kernels::cuda::batch_norm_workspace(m, c),
                               sizeof(T) == 2 ? DType::f32 : x.dtype());
      kernels::cuda::batch_norm_stats(in_ptr<T>(x), m, c, p.epsilon, p.decay, out_ptr<P>(running_mean),
                                      out_ptr<P>(running_var), out_ptr<P>(saved_mean), out_ptr<P>(saved_invstd),
                                      out_ptr<P>(ws), native(stream));
    } else {
      kernels::cuda::batch_norm_eval_stats(in_ptr<P>(running_mean), in_ptr<P>(running_var), c, p.epsilon,
                                           out_ptr<P>(saved_mean), out_ptr<P>(saved_invstd), native(stream));
    }
    if (p.stats_only) return;
    kernels::cuda::batch_norm_apply(in_ptr<T>(x), in_ptr<P>(saved_mean), in_ptr<P>(saved_invstd), in_ptr<P>(gamma),
                                    in_ptr<P>(beta), m, c, /*relu=*/false, out_ptr<T>(y), native(stream));
  });
}

void batch_norm_grad(const std::string& op, bool training, const Tensor& dy, const Tensor& x,
                     const Tensor& saved_mean, const Tensor& saved_invstd, const Tensor& gamma, const Tensor& dx,
                     const Tensor& dbeta, const Tensor& dgamma, const Stream& stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    using P = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit activations: f32 statistics
    const int64_t c = x.dim(-1), m = x.numel() / c;
    const Tensor ws = scratch(x.device(), stream, kernels::cuda::batch_norm_workspace(m, c),
                               sizeof(T) == 2 ? DType::f32 : x.dtype());
    kernels::cuda::batch_norm_backward(in_ptr<T>(dy), in_ptr<T>(x), in_ptr<P>(saved_mean), in_ptr<P>(saved_invstd),
                                       in_ptr<P>(gamma), m, c, training, out_ptr<T>(dx), out_ptr<P>(dbeta),
                                       out_ptr<P>(dgamma), out_ptr<P>(ws), native(stream));
  });
}

void batch_norm_stats_grad(const std::string& op, bool training, const Tensor& x, const Tensor& saved_mean,
                           const Tensor& saved_invstd, const Tensor& dmean, const Tensor& dinvstd, const Tensor& dx,
                           const Stream& stream) {
  by_float_dtype(op, x.dtype(), [&]<typename T>(T) {
    using P = std::conditional_t<sizeof(T) == 2, float, T>;  // 16-bit activations: f32 statistics
    const int64_t c = x.dim(-1), m = x.numel() / c;
    kernels::cuda::batch_norm_stats_backward(in_ptr<T>(x), in_ptr<P>(saved_mean), in_ptr<P>(saved_invstd),
                                             in_ptr<P>(dmean), in_ptr<P>(dinvstd), m, c, training, out_ptr<T>(dx),
                                             native(stream));
  });
}

}  // namespace cutrain::cuda
