// Backward rules of the inception_concat ops (their definition: src/ops/inception_concat.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/ops/inception_concat.h"

namespace cutrain::graph {

namespace {

using ops::branch_count;

}  // namespace

void register_inception_concat_grads(GradientRegistry& r) {
  r.add("inception_concat", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(n.inputs.size());
    if (!dys[0].defined()) return grads;
    const bool relu = n.attrs.b("relu", false), affine = n.attrs.b("affine", false),
               center = n.attrs.b("center", false);
    const size_t k = static_cast<size_t>(branch_count(n.attrs, n.inputs.size()));
    std::vector<int64_t> channels;
    for (size_t b = 0; b < k; ++b) channels.push_back(n.inputs[b].shape()[-1]);
    std::vector<Value> args{dys[0]};
    if (relu) args.push_back(Value{&g, n.id, 0});
    const std::vector<Value> masked_args = args;
    if (affine)
      for (size_t b = 0; b < k; ++b) args.push_back(n.inputs[k + b]);
    const std::vector<Value> dx =
        g.apply("inception_concat_grad", args, {{"channels", channels}, {"relu", relu}, {"affine", affine}});
    for (size_t b = 0; b < k; ++b) grads[b] = dx[b];
    if (affine) {
      // With u_b = x_b (or x_b - m_b when centred): d/da_b = sum over rows of
      // (masked dy) * u_b, d/db_b = sum of masked dy, d/dm_b = -a_b * d/db_b.
      const std::vector<Value> gm =
          g.apply("inception_concat_grad", masked_args, {{"channels", channels}, {"relu", relu}, {"affine", false}});
      for (size_t b = 0; b < k; ++b) {
        const Value u = center ? sub(n.inputs[b], n.inputs[3 * k + b]) : n.inputs[b];
        grads[k + b] = reduce_nhw_sum(mul(gm[b], u));
        grads[2 * k + b] = reduce_nhw_sum(gm[b]);
        if (center) grads[3 * k + b] = neg(mul(n.inputs[k + b], grads[2 * k + b]));
      }
    }
    return grads;
  });
}

}  // namespace cutrain::graph
