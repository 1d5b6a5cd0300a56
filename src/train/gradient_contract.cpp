#include "cutrain/train/gradient_contract.h"

#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::train {

std::vector<std::string> unreached_parameters(const graph::Graph& g, graph::Value loss,
                                              const std::vector<graph::Value>& params) {
  CUTRAIN_CHECK(loss.defined(), "gradient contract: the loss is undefined");
  std::vector<bool> seen(static_cast<size_t>(g.size()), false);
  std::vector<int> stack{loss.node};
  seen[static_cast<size_t>(loss.node)] = true;
  while (!stack.empty()) {
    const int id = stack.back();
    stack.pop_back();
    for (const graph::Value& in : g.node(id).inputs)
      if (!seen[static_cast<size_t>(in.node)]) {
        seen[static_cast<size_t>(in.node)] = true;
        stack.push_back(in.node);
      }
  }
  std::vector<std::string> out;
  for (const graph::Value& p : params)
    if (!seen[static_cast<size_t>(p.node)]) out.push_back(g.node(p.node).name);
  return out;
}

namespace {
std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

void check_gradient_contract(const graph::Graph& g, graph::Value loss, const std::vector<graph::Value>& params,
                             const WarningSink& warn) {
  const std::vector<std::string> unreached = unreached_parameters(g, loss, params);
  if (unreached.empty()) return;
  const std::string loss_name = g.node(loss.node).name;
  CUTRAIN_CHECK(unreached.size() < params.size(), "no gradients for any trainable parameter: the loss '",
                loss_name, "' does not depend on ", join(unreached),
                " (is the loss computed from the network's outputs?)");
  if (warn)
    warn("gradients do not exist for " + std::to_string(unreached.size()) + " of " +
         std::to_string(params.size()) + " trainable parameters (the loss '" + loss_name +
         "' does not reach them): " + join(unreached) +
         " (leave them out of Network::trainable, or freeze them, if this is meant)");
}

}  // namespace cutrain::train
