// The gradient contract of a training step: every trainable parameter should
// be reached by the loss. None reached is an error (TensorFlow: "No gradients
// provided for any variable"): the step would do nothing. Some unreached is a
// warning naming them (Keras: "Gradients do not exist for variables ..."):
// they would get a silent zero gradient, which is usually a wiring mistake (a
// head left out of the loss, a parameter meant to be frozen).
//
// "Reached" is structural: the parameter's node is an ancestor of the loss
// through op inputs.
#pragma once

#include <string>
#include <vector>

#include "cutrain/graph/graph.h"
#include "cutrain/train/callback.h"

namespace cutrain::train {

// The graph names of the `params` the loss does not reach, in their order.
std::vector<std::string> unreached_parameters(const graph::Graph& g, graph::Value loss,
                                              const std::vector<graph::Value>& params);

// Throws cutrain::Error naming the loss and the parameters when none is
// reached (and there is at least one); warns through `warn` naming the
// unreached ones when some are.
void check_gradient_contract(const graph::Graph& g, graph::Value loss, const std::vector<graph::Value>& params,
                             const WarningSink& warn);

}  // namespace cutrain::train
