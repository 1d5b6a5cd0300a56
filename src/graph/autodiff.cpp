// Reverse-mode autodiff: walk the nodes between the wrt values and the loss
// backwards, calling each op's backward rule and summing contributions.
#include "cutrain/graph/autodiff.h"

#include <map>

#include "cutrain/core/error.h"
#include "cutrain/graph/gradient_registry.h"

namespace cutrain::graph {

Value add_n(Graph& g, const std::vector<Value>& terms) {
  CUTRAIN_CHECK(!terms.empty(), "add_n of nothing");
  if (terms.size() == 1) return terms[0];
  return g.apply1("add_n", terms);
}

std::vector<Value> gradients(Graph& g, Value loss, const std::vector<Value>& wrt) {
  CUTRAIN_CHECK(loss.defined() && loss.graph == &g, "gradients: the loss is not a value of this graph");
  CUTRAIN_CHECK(loss.shape().numel() == 1, "gradients: the loss ", loss.str(),
                " must have one element (reduce it first)");
  const int end = loss.node + 1;

  // Which nodes lie on a path from some wrt value (forward reachability)...
  std::vector<char> from_wrt(static_cast<size_t>(end), 0);
  for (const Value& w : wrt) {
    CUTRAIN_CHECK(w.defined() && w.graph == &g, "gradients: a wrt value is not of this graph");
    if (w.node < end) from_wrt[static_cast<size_t>(w.node)] = 1;
  }
  for (int i = 0; i < end; ++i) {
    const Node& n = g.node(i);
    for (const Value& in : n.inputs)
      if (from_wrt[static_cast<size_t>(in.node)]) from_wrt[static_cast<size_t>(i)] = 1;
  }
  // ...and which of those reach the loss (backward reachability).
  std::vector<char> to_loss(static_cast<size_t>(end), 0);
  to_loss[static_cast<size_t>(loss.node)] = 1;
  for (int i = end - 1; i >= 0; --i) {
    if (!to_loss[static_cast<size_t>(i)]) continue;
    for (const Value& in : g.node(i).inputs) to_loss[static_cast<size_t>(in.node)] = 1;
  }

  // Gradient contributions per (node, output index).
  std::map<std::pair<int, int>, std::vector<Value>> contrib;
  const std::string loss_name = loss.name();
  contrib[{loss.node, loss.index}].push_back(
      g.constant(Tensor::full(loss.shape(), loss.dtype(), 1.0), "grad/" + loss_name + "/ones"));

  // For the error message: the first wrt value from which `node` is reachable.
  auto param_name = [&](int node) {
    for (const Value& w : wrt) {
      std::vector<char> reach(static_cast<size_t>(node) + 1, 0);
      if (w.node > node) continue;
      reach[static_cast<size_t>(w.node)] = 1;
      for (int j = w.node + 1; j <= node; ++j)
        for (const Value& in : g.node(j).inputs)
          if (reach[static_cast<size_t>(in.node)]) reach[static_cast<size_t>(j)] = 1;
      if (reach[static_cast<size_t>(node)]) return w.name();
    }
    return g.node(node).name;
  };

  for (int i = end - 1; i >= 0; --i) {
    if (!from_wrt[static_cast<size_t>(i)] || !to_loss[static_cast<size_t>(i)]) continue;
    // Copy: applying ops may grow (and reallocate) the node vector.
    const Node n = g.node(i);
    if (n.kind != NodeKind::op) continue;
    std::vector<Value> out_grads(n.outputs.size());
    bool any = false;
    for (int k = 0; k < static_cast<int>(n.outputs.size()); ++k) {
      auto it = contrib.find({i, k});
      if (it == contrib.end()) continue;
      NameScope scope(g, "grad");
      out_grads[static_cast<size_t>(k)] = add_n(g, it->second);
      any = true;
    }
    if (!any) continue;
    const GradFn* grad = GradientRegistry::global().find(n.op);
    if (grad == nullptr) {
      CUTRAIN_THROW("no gradient registered for op '", n.op, "' (needed for d", loss_name, "/d",
                    param_name(i), ")");
    }
    std::vector<Value> in_grads;
    {
      NameScope scope(g, "grad");
      in_grads = (*grad)(g, n, out_grads);
    }
    CUTRAIN_CHECK(in_grads.size() == n.inputs.size(), "op '", n.op, "': backward rule returned ",
                  in_grads.size(), " gradients for ", n.inputs.size(), " inputs");
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const Value& in = n.inputs[k];
      if (!in_grads[k].defined() || !from_wrt[static_cast<size_t>(in.node)]) continue;
      CUTRAIN_CHECK(in_grads[k].shape() == in.shape(), "op '", n.op, "': gradient for input ", k,
                    " has shape ", in_grads[k].shape().str(), ", input has ", in.shape().str());
      contrib[{in.node, in.index}].push_back(in_grads[k]);
    }
  }

  std::vector<Value> out;
  for (const Value& w : wrt) {
    auto it = contrib.find({w.node, w.index});
    if (it == contrib.end()) {
      out.push_back(g.constant(Tensor::zeros(w.shape(), w.dtype()), "grad/" + w.name() + "/zeros"));
    } else {
      NameScope scope(g, "grad");
      out.push_back(add_n(g, it->second));
    }
  }
  return out;
}

}  // namespace cutrain::graph
