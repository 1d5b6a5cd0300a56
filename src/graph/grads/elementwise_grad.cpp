// Backward rules of the elementwise ops (their definition: src/ops/elementwise.cpp).
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/elementwise.h"

namespace cutrain::graph {

namespace {

Value out_of(Graph& g, const Node& n, int i = 0) { return Value{&g, n.id, i}; }

// Registers a unary op's rule; `grad` maps (g, node, dy) to dx.
void add_unary(GradientRegistry& r, const std::string& name, std::function<Value(Graph&, const Node&, Value)> grad) {
  r.add(name, [grad](Graph& g, const Node& n, const std::vector<Value>& dys) -> std::vector<Value> {
    return {grad(g, n, dys[0])};
  });
}

void add_binary(GradientRegistry& r, const std::string& name,
                std::function<std::vector<Value>(Graph&, const Node&, Value)> grad) {
  r.add(name, [grad](Graph& g, const Node& n, const std::vector<Value>& dys) { return grad(g, n, dys[0]); });
}

}  // namespace

void register_elementwise_grads(GradientRegistry& r) {
  add_unary(r, "relu", [](Graph& g, const Node& n, Value dy) {
    return g.apply1("relu_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "leaky_relu", [](Graph& g, const Node& n, Value dy) {
    return g.apply1("leaky_relu_grad", {dy, n.input(0)}, {{"alpha", n.attrs.f("alpha")}});
  });
  add_unary(r, "sigmoid", [](Graph& g, const Node& n, Value dy) {
    return g.apply1("sigmoid_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "tanh", [](Graph& g, const Node& n, Value dy) {
    return g.apply1("tanh_grad", {dy, out_of(g, n)});
  });
  add_unary(r, "square", [](Graph&, const Node& n, Value dy) {
    return mul(dy, scale(n.input(0), 2.0));
  });
  add_unary(r, "exp", [](Graph& g, const Node& n, Value dy) { return mul(dy, out_of(g, n)); });
  add_unary(r, "log", [](Graph&, const Node& n, Value dy) { return div(dy, n.input(0)); });
  add_unary(r, "sqrt", [](Graph& g, const Node& n, Value dy) {
    return div(scale(dy, 0.5), out_of(g, n));
  });
  add_unary(r, "neg", [](Graph&, const Node&, Value dy) { return neg(dy); });
  add_unary(r, "scale", [](Graph&, const Node& n, Value dy) {
    return scale(dy, n.attrs.f("alpha"));
  });
  add_unary(r, "add_scalar", [](Graph&, const Node&, Value dy) { return dy; });
  add_binary(r, "add", [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(dy, n.input(0).shape()), sum_to(dy, n.input(1).shape())};
  });
  add_binary(r, "sub", [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(dy, n.input(0).shape()), sum_to(neg(dy), n.input(1).shape())};
  });
  add_binary(r, "mul", [](Graph&, const Node& n, Value dy) {
    return std::vector<Value>{sum_to(mul(dy, n.input(1)), n.input(0).shape()),
                              sum_to(mul(dy, n.input(0)), n.input(1).shape())};
  });
  add_binary(r, "div", [](Graph& g, const Node& n, Value dy) {
    // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
    const Value a = n.input(0), b = n.input(1), y = out_of(g, n);
    return std::vector<Value>{sum_to(div(dy, b), a.shape()), sum_to(neg(div(mul(dy, y), b)), b.shape())};
  });
  r.add("sum_to", [](Graph& g, const Node& n, const std::vector<Value>& dys) {
    // Broadcasting dy back up: add it to zeros of the input's shape.
    const Value x = n.input(0);
    Value zeros = g.constant(Tensor::zeros(x.shape(), x.dtype()), "zeros");
    return std::vector<Value>{add(zeros, dys[0])};
  });
  r.add("add_n", [](Graph&, const Node& n, const std::vector<Value>& dys) {
    return std::vector<Value>(n.inputs.size(), dys[0]);
  });
}

}  // namespace cutrain::graph
