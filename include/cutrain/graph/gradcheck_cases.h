// One small, odd-shaped gradient-check case per built-in differentiable op:
// the table behind `cutrain gradcheck --all` and the test that every op with
// a backward rule passes. New ops add a case here (the test fails when an op
// with a backward rule has none).
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::graph {

struct GradCheckCase {
  std::string op;
  std::string label;  // distinguishes several cases of one op ("3x3 SAME")
  std::vector<Tensor> inputs;
  ops::Attrs attrs;
  GradCheckOptions options;
};

// Cases with random inputs drawn from `seed` (f64, CPU).
std::vector<GradCheckCase> builtin_gradcheck_cases(uint64_t seed);

}  // namespace cutrain::graph
