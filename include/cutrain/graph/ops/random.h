// Graph builders of the random ops (their definition: cutrain/ops/random.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/random.h"

namespace cutrain::graph {

Value random_normal(graph::Graph& g, const Shape& shape, DType dtype, double mean = 0.0,
                    double stddev = 1.0, const std::string& name = "");

}  // namespace cutrain::graph
