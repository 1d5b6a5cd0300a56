// Graph builder of the cast op.
#include "cutrain/graph/ops/cast.h"

namespace cutrain::graph {

namespace {

// Bits of precision and of exponent range, to tell a widening cast (exact) from a narrowing one.
bool cast_widens(DType from, DType to) {
  if (from == to) return true;
  switch (from) {
    case DType::f16: return to == DType::f32 || to == DType::f64;
    case DType::bf16: return to == DType::f32 || to == DType::f64;
    case DType::f32: return to == DType::f64;
    default: return false;
  }
}

}  // namespace

Value cast(Value x, DType to) {
  if (x.spec().dtype == to) return x;
  // cast(cast(s, mid), to) with s -> mid exact equals cast(s, to): skip the middle one.
  const Node& n = x.graph->node(x.node);
  if (n.kind == NodeKind::op && n.op == ops::kCastOp) {
    const Value src = n.inputs[0];
    if (cast_widens(src.spec().dtype, x.spec().dtype)) return cast(src, to);
  }
  return x.graph->apply1(ops::kCastOp, {x}, ops::cast_attrs(to));
}

}  // namespace cutrain::graph
