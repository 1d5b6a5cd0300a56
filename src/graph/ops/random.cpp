// Graph builders of the random ops.
#include "cutrain/graph/ops/random.h"

namespace cutrain::graph {

Value random_normal(graph::Graph& g, const Shape& shape, DType dtype, double mean, double stddev,
                    const std::string& name) {
  return g.apply1("random_normal", {},
                  {{"shape", shape.dims()},
                   {"dtype", std::string(dtype_name(dtype))},
                   {"mean", mean},
                   {"stddev", stddev}},
                  name);
}

}  // namespace cutrain::graph
