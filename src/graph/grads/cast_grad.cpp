// Backward rule of the cast op (its definition: src/ops/cast.cpp): the
// gradient of a dtype conversion is the incoming gradient converted back,
// so a parameter's gradient arrives in the parameter's (master) dtype.
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/cast.h"

namespace cutrain::graph {

void register_cast_grads(GradientRegistry& r) {
  r.add(ops::kCastOp, [](Graph&, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>{cast(dys[0], n.input(0).spec().dtype)};
  });
}

}  // namespace cutrain::graph
