// Gradient checker: compares an op's backward rule (run through the graph
// and the executor) with central differences in double precision.
//
// For random weights r_k on each output k, the scalar L = sum_k <r_k, out_k>
// has dL/dx = the backward rule applied to dy_k = r_k. Each input element is
// perturbed by h = rel_step * max(|x|, 1) both ways. Elements where the
// one-sided differences disagree (a kink of relu or a max-pool tie within h)
// are skipped and counted, so no op needs special-casing.
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/attrs.h"

namespace cutrain::graph {

struct GradCheckOptions {
  double rel_step = 1e-6;
  double tolerance = 1e-6;  // on the max relative error per input
  bool training = true;
  uint64_t seed = 1;   // for the output weights r_k
  std::vector<int> wrt;            // inputs to check; empty: every f32/f64 input not marked
                                   // nondifferentiable or mutated
  std::vector<int> param_inputs;   // which of those are parameters (reported separately)
};

struct GradCheckResult {
  std::string op;
  double max_rel_error_inputs = 0;  // over non-parameter inputs
  double max_rel_error_params = 0;  // over parameter inputs
  int64_t checked = 0;              // elements compared
  int64_t skipped = 0;              // elements skipped at kinks
  bool ok = false;
  std::string detail;  // per-input errors, for failure messages
};

// Inputs must be f64 CPU tensors (f32 inputs are converted). Mutated inputs
// (state) are restored before every evaluation so each run sees the same state.
GradCheckResult check_op_gradients(const std::string& op, const std::vector<Tensor>& inputs,
                                   const ops::Attrs& attrs = {}, const GradCheckOptions& options = {});

}  // namespace cutrain::graph
