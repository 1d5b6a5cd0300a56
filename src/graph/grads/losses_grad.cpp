// Backward rules of the losses ops (their definition: src/ops/losses.cpp).
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

void register_losses_grads(GradientRegistry& r) {
  r.add("softmax_cross_entropy", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    const Value dx = g.apply1("softmax_cross_entropy_grad", {dys[0], n.input(0), n.input(1)},
                              {{"label_smoothing", n.attrs.f("label_smoothing", 0.0)}});
    return std::vector<Value>{dx, Value{}};
  });
  r.add("sigmoid_binary_cross_entropy", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    const Value dx = g.apply1("sigmoid_binary_cross_entropy_grad", {dys[0], n.input(0), n.input(1)}, n.attrs);
    return std::vector<Value>{dx, Value{}};
  });
  r.add("mean_squared_error", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    const Value dp = g.apply1("mean_squared_error_grad", {dys[0], n.input(0), n.input(1)});
    return std::vector<Value>{dp, g.apply1("neg", {dp})};
  });
  r.add("gaussian_kl", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    return g.apply("gaussian_kl_grad", {dys[0], n.input(0), n.input(1)});
  });
  r.add("weighted_loss_reduce", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    std::vector<Value> args{dys[0]};
    if (n.inputs.size() > 1) args.push_back(n.input(1));
    Attrs a{{"mode", n.attrs.s("mode", "sum_over_batch_size")}, {"n", n.input(0).shape()[0]}};
    std::vector<Value> grads{g.apply1("weighted_loss_reduce_grad", args, a)};
    if (n.inputs.size() > 1) grads.push_back(Value{});
    return grads;
  });
}

}  // namespace cutrain::graph
