// Graph builders of the batch_norm ops.
#include "cutrain/graph/ops/batch_norm.h"

namespace cutrain::graph {

Value batch_norm(Value x, Value beta, Value gamma, Value running_mean, Value running_var,
                 const ops::BatchNormOptions& options) {
  std::vector<Value> in{x, beta, running_mean, running_var};
  if (gamma.defined()) in.push_back(gamma);
  Attrs a = options.attrs();
  a.set("has_gamma", gamma.defined());
  return x.graph->apply1("batch_norm", in, a);
}

}  // namespace cutrain::graph
