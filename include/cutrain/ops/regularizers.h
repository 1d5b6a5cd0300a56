// Weight regularisers.
//
// l2_loss(w) -> [] = weight_decay * sum(w^2) / 2, attr weight_decay (1.0):
//   TF-slim's convention (weight_decay * tf.nn.l2_loss(w)), so its gradient
//   is weight_decay * w. Backward op l2_loss_grad(dy [], w).
//
// Graph builders: graph/ops/regularizers.h; backward rules: src/graph/grads/regularizers_grad.cpp.
#pragma once
