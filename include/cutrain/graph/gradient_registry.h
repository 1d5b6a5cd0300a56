// The gradient registry: one backward rule per op name, owned by the graph
// layer (TensorFlow's RegisterGradient / ops.RegisterGradient split).
//
// The op registry (ops/op.h) knows schemas, inference and kernels and nothing
// of graphs; a backward rule builds graph nodes, so it lives here, keyed by
// the op's name. The built-in rules (src/graph/grads/<op>_grad.cpp, one file
// per op family) are registered on first use of global(); user code registers
// the rule of a custom op with register_gradient after adding the op itself.
// An op without a rule is not differentiable: autodiff names it and the
// parameter that needed it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::graph {

// Builds the backward of `node` into `g` (`node` is a copy owned by the
// caller: appending nodes to `g` does not invalidate it). `output_grads[i]`
// is the gradient of the loss w.r.t. output i, or undefined if none flows
// there. Returns one gradient per input (undefined where the input gets none).
using GradFn = std::function<std::vector<Value>(Graph& g, const Node& node,
                                                const std::vector<Value>& output_grads)>;

class GradientRegistry {
 public:
  static GradientRegistry& global();
  // Registers the rule of op `op`; throws if the op is not in the op
  // registry or already has a rule.
  void add(const std::string& op, GradFn grad);
  const GradFn* find(const std::string& op) const;  // nullptr: no rule
  bool has(const std::string& op) const { return find(op) != nullptr; }
  std::vector<std::string> names() const;

 private:
  std::map<std::string, GradFn> rules_;
};

// The user-facing call: GradientRegistry::global().add(op, grad).
void register_gradient(const std::string& op, GradFn grad);

// Registers every built-in rule exactly once. Called by global() on first use.
void register_builtin_gradients(GradientRegistry& r);

}  // namespace cutrain::graph
