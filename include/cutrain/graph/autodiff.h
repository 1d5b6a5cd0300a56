// Reverse-mode autodiff over a Graph: appends the backward nodes of a scalar
// loss with respect to chosen values, summing the gradients of values used
// more than once.
#pragma once

#include <vector>

#include "cutrain/graph/graph.h"

namespace cutrain::graph {

// Returns d loss / d wrt[i] for each i (a zero-filled constant when the loss
// does not depend on wrt[i]). The loss must have one element. Throws
// "no gradient registered for op 'X' (needed for d<loss>/d<param>)" when the
// path from a wrt value to the loss passes an op without a backward rule.
std::vector<Value> gradients(Graph& g, Value loss, const std::vector<Value>& wrt);

// Sums gradient contributions (used by rules and autodiff).
Value add_n(Graph& g, const std::vector<Value>& terms);

}  // namespace cutrain::graph
