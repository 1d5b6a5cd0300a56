// Backward rules of the matmul ops (their definition: src/ops/matmul.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::graph {

namespace {

std::vector<Value> matmul_grad(const Node& n, Value dy) {
  const bool ta = n.attrs.b("transpose_a", false), tb = n.attrs.b("transpose_b", false);
  Value a = n.inputs[0];
  const Value b = n.inputs[1];
  const Shape a_shape = a.shape();
  if (a_shape.rank() > 2) {
    // Fold the leading dims into M so both gradients are 2-D matmuls.
    a = reshape(a, std::vector<int64_t>{-1, a_shape[-1]});
    dy = reshape(dy, std::vector<int64_t>{-1, dy.shape()[-1]});
  }
  Value da, db;
  if (!ta && !tb) {         // y = a·b
    da = matmul(dy, b, false, true);
    db = matmul(a, dy, true, false);
  } else if (!ta && tb) {   // y = a·bᵀ
    da = matmul(dy, b, false, false);
    db = matmul(dy, a, true, false);
  } else if (ta && !tb) {   // y = aᵀ·b
    da = matmul(b, dy, false, true);
    db = matmul(a, dy, false, false);
  } else {                  // y = aᵀ·bᵀ
    da = matmul(b, dy, true, true);
    db = matmul(dy, a, true, true);
  }
  return {reshape(da, a_shape), db};
}

}  // namespace

void register_matmul_grads(GradientRegistry& r) {
  r.add("matmul", [](Graph&, const Node& n, const std::vector<Value>& dys) { return matmul_grad(n, dys[0]); });
}

}  // namespace cutrain::graph
