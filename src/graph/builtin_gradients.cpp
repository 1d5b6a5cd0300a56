// The list of built-in backward rules, one line per op family (defined in
// src/graph/grads/<family>_grad.cpp). Optimizer updates, random ops and the
// numerics check have none.
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

void register_elementwise_grads(GradientRegistry& r);
void register_conv2d_grads(GradientRegistry& r);
void register_pool_grads(GradientRegistry& r);
void register_batch_norm_grads(GradientRegistry& r);
void register_losses_grads(GradientRegistry& r);
void register_spectral_norm_grads(GradientRegistry& r);
void register_regularizers_grads(GradientRegistry& r);
void register_reduce_grads(GradientRegistry& r);
void register_softmax_grads(GradientRegistry& r);
void register_matmul_grads(GradientRegistry& r);
void register_shape_ops_grads(GradientRegistry& r);
void register_dropout_grads(GradientRegistry& r);
void register_inception_concat_grads(GradientRegistry& r);
void register_cast_grads(GradientRegistry& r);

void register_builtin_gradients(GradientRegistry& r) {
  register_elementwise_grads(r);
  register_conv2d_grads(r);
  register_pool_grads(r);
  register_batch_norm_grads(r);
  register_losses_grads(r);
  register_spectral_norm_grads(r);
  register_regularizers_grads(r);
  register_reduce_grads(r);
  register_softmax_grads(r);
  register_matmul_grads(r);
  register_shape_ops_grads(r);
  register_dropout_grads(r);
  register_inception_concat_grads(r);
  register_cast_grads(r);
}

}  // namespace cutrain::graph
