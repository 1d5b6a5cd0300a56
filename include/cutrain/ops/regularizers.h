// Weight regularisers.
//
// l2_loss(w) -> [] = weight_decay * sum(w^2) / 2, attr weight_decay (1.0):
//   TF-slim's convention (weight_decay * tf.nn.l2_loss(w)), so its gradient
//   is weight_decay * w. Backward op l2_loss_grad(dy [], w).
#pragma once

#include "cutrain/graph/graph.h"

namespace cutrain::ops {

using graph::Value;

Value l2_loss(Value w, double weight_decay);

}  // namespace cutrain::ops
