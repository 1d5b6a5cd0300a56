// The list of built-in op families. Each family registers its ops (schema,
// inference, CPU reference kernels, backward rule) in its own file, and
// binds its CUDA functions there too when built with CUDA.
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
}

}  // namespace cutrain::ops
