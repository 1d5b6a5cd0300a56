// The list of built-in op families. Each family registers its ops (schema,
// inference, CPU reference kernels, backward rule) in its own file, and
// binds its CUDA functions there too when built with CUDA.
#include "cutrain/core/error.h"
#include "cutrain/ops/low_precision.h"
#include "cutrain/ops/op.h"

namespace cutrain::ops {

// One line per family (defined in src/ops/<family>.cpp).
void register_elementwise_ops(OpRegistry& r);
void register_conv2d_ops(OpRegistry& r);
void register_pool_ops(OpRegistry& r);
void register_batch_norm_ops(OpRegistry& r);
void register_loss_ops(OpRegistry& r);
void register_spectral_norm_ops(OpRegistry& r);
void register_regularizer_ops(OpRegistry& r);
void register_optimizer_ops(OpRegistry& r);
void register_reduce_ops(OpRegistry& r);
void register_softmax_ops(OpRegistry& r);
void register_matmul_ops(OpRegistry& r);
void register_shape_ops(OpRegistry& r);
void register_dropout_ops(OpRegistry& r);
void register_inception_concat_ops(OpRegistry& r);
void register_random_ops(OpRegistry& r);
void register_check_finite_ops(OpRegistry& r);
void register_cast_ops(OpRegistry& r);

void register_builtin_ops(OpRegistry& r) {
  register_elementwise_ops(r);
  register_conv2d_ops(r);
  register_pool_ops(r);
  register_batch_norm_ops(r);
  register_loss_ops(r);
  register_spectral_norm_ops(r);
  register_regularizer_ops(r);
  register_optimizer_ops(r);
  register_reduce_ops(r);
  register_softmax_ops(r);
  register_matmul_ops(r);
  register_shape_ops(r);
  register_dropout_ops(r);
  register_inception_concat_ops(r);
  register_random_ops(r);
  register_check_finite_ops(r);
  register_cast_ops(r);
  // Last: wraps the inference and CPU kernel of every op above for f16/bf16.
  enable_cpu_low_precision(r);
#if CUTRAIN_WITH_CUDA
  // The CUDA kernels with f16/bf16 paths (fp32 arithmetic, rounded once:
  // kernels/*.cu dispatched by src/cuda's by_float_dtype; batch norm with f32
  // statistics and parameters; shape ops move bytes of any dtype). Autocast
  // asks this list before it places an op in 16 bits on CUDA; every other op
  // (dropout, reductions, other losses, ...) runs in fp32 there, and summary
  // --plan says so. An op enters the list with its kernel and its test.
  for (const char* op :
       {"conv2d", "conv2d_backward_input", "conv2d_backward_filter", "matmul", "relu", "leaky_relu", "sigmoid",
        "tanh", "square", "exp", "log", "sqrt", "neg", "scale", "add_scalar", "relu_grad", "leaky_relu_grad",
        "sigmoid_grad", "tanh_grad", "add", "sub", "mul", "div", "add_n", "max_pool", "max_pool_grad", "avg_pool",
        "avg_pool_grad", "global_avg_pool", "global_avg_pool_grad", "inception_concat", "inception_concat_grad",
        "softmax", "log_softmax", "softmax_grad", "log_softmax_grad", "softmax_cross_entropy",
        "softmax_cross_entropy_grad", "batch_norm", "batch_norm_grad", "batch_norm_stats_grad", "reshape", "flatten",
        "squeeze", "expand_dims", "concat", "split", "transpose"}) {
    CUTRAIN_CHECK(r.has(op), "built-in 16-bit CUDA kernel list: no op '", op, "'");
    for (DType t : {DType::f16, DType::bf16}) add_low_precision_kernel(op, DeviceType::cuda, t);
  }
#endif
}

}  // namespace cutrain::ops
