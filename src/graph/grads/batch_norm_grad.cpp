// Backward rules of the batch_norm ops (their definition: src/ops/batch_norm.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/core/error.h"
#include "cutrain/graph/autodiff.h"

namespace cutrain::graph {

namespace {

constexpr int kGamma = 4;

Value zeros_like(Graph& g, Value v) { return g.constant(Tensor::zeros(v.shape(), v.dtype()), "zeros"); }

}  // namespace

void register_batch_norm_grads(GradientRegistry& r) {
  r.add("batch_norm", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> grads(n.inputs.size());
    const Value x = n.inputs[0];
    const Value mean{&g, n.id, 1}, invstd{&g, n.id, 2};
    const bool has_gamma = n.inputs.size() == 5;
    CUTRAIN_CHECK(!n.attrs.b("stats_only", false), "batch_norm '", n.name,
                  "' computes statistics only (fused after autodiff); it has no gradient of y");
    std::vector<Value> dx_terms;
    if (dys[0].defined()) {
      std::vector<Value> in{dys[0], x, mean, invstd};
      if (has_gamma) in.push_back(n.inputs[kGamma]);
      Attrs ga{{"has_gamma", has_gamma}};
      if (n.attrs.b("inference", false)) ga.set("inference", true);
      const std::vector<Value> d = g.apply("batch_norm_grad", in, ga);
      dx_terms.push_back(d[0]);
      grads[1] = d[1];
      if (has_gamma) grads[kGamma] = d[2];
    }
    if (dys[1].defined() || dys[2].defined()) {
      const Value dmean = dys[1].defined() ? dys[1] : zeros_like(g, mean);
      const Value dinvstd = dys[2].defined() ? dys[2] : zeros_like(g, invstd);
      Attrs sa;
      if (n.attrs.b("inference", false)) sa.set("inference", true);
      dx_terms.push_back(g.apply1("batch_norm_stats_grad", {x, mean, invstd, dmean, dinvstd}, sa));
    }
    if (!dx_terms.empty()) grads[0] = graph::add_n(g, dx_terms);
    return grads;
  });
}

}  // namespace cutrain::graph
