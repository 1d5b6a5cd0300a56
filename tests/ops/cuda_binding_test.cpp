// Every op the CUDA backend runs keeps its CUDA kernel now that each op
// family binds its own (src/ops/<family>.cpp) instead of one registration
// list in the backend: a family that forgets its binding fails here.
#include <gtest/gtest.h>

#include <string>

#include "cutrain/ops/check_finite.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

const char* const kCudaOps[] = {
    "relu", "leaky_relu", "sigmoid", "tanh", "square", "exp", "log", "sqrt", "neg", "scale", "add_scalar",
    "relu_grad", "leaky_relu_grad", "sigmoid_grad", "tanh_grad", "add", "sub", "mul", "div", "sum_to", "add_n",
    "matmul", "sum", "mean", "broadcast_to", "softmax", "log_softmax", "softmax_grad", "log_softmax_grad",
    "softmax_cross_entropy", "softmax_cross_entropy_grad", "sigmoid_binary_cross_entropy",
    "sigmoid_binary_cross_entropy_grad", "mean_squared_error", "mean_squared_error_grad", "gaussian_kl",
    "gaussian_kl_grad", "weighted_loss_reduce", "weighted_loss_reduce_grad", "sgd_update", "rmsprop_update",
    "adam_update", "ema_update", "global_norm", "clip_by_global_norm", "dropout", "dropout_grad", "reshape",
    "flatten", "squeeze", "expand_dims", "transpose", "concat", "split", "batch_norm", "batch_norm_grad",
    "batch_norm_stats_grad", "max_pool", "max_pool_grad", "avg_pool", "avg_pool_grad", "global_avg_pool",
    "global_avg_pool_grad", "spectral_norm", "spectral_norm_grad", "inception_concat", "inception_concat_grad",
    "conv2d", "conv2d_backward_input", "conv2d_backward_filter", "reduce_nhw_sum", "random_normal", "l2_loss",
    "l2_loss_grad",
};

}  // namespace

TEST(CudaBinding, EveryCudaOpHasItsKernel) {
  const ops::OpRegistry& r = ops::OpRegistry::global();
  std::vector<std::string> names(std::begin(kCudaOps), std::end(kCudaOps));
  names.push_back(ops::kCheckFiniteOp);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const ops::OpSchema& s = r.get(name);
    EXPECT_TRUE(s.kernels.count(DeviceType::cpu));
    EXPECT_EQ(s.kernels.count(DeviceType::cuda), CUTRAIN_WITH_CUDA ? 1u : 0u);
  }
}
