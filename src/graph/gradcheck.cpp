#include "cutrain/graph/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/graph.h"
#include "cutrain/ops/op.h"

namespace cutrain::graph {

namespace {

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// <r, f(inputs)> summed over every floating output, evaluated eagerly.
double weighted_output(const std::string& op, const std::vector<Tensor>& inputs, const ops::Attrs& attrs,
                       const std::vector<Tensor>& weights, bool training, uint64_t seed) {
  const std::vector<Tensor> out = ops::call(op, inputs, attrs, training, seed, /*step=*/0);
  double s = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    if (!weights[k].defined()) continue;
    const double* r = weights[k].data<double>();
    for (int64_t i = 0; i < out[k].numel(); ++i) s += r[i] * out[k].flat(i);
  }
  return s;
}

std::vector<Tensor> clone_all(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(t.defined() ? t.clone() : t);
  return out;
}

}  // namespace

GradCheckResult check_op_gradients(const std::string& op, const std::vector<Tensor>& inputs_in,
                                   const ops::Attrs& attrs, const GradCheckOptions& options) {
  const ops::OpSchema& schema = ops::OpRegistry::global().get(op);
  const GradFn* grad = GradientRegistry::global().find(op);
  CUTRAIN_CHECK(grad != nullptr, "gradcheck: op '", op, "' has no backward rule");
  GradCheckResult result;
  result.op = op;

  // Work in double; keep integer inputs (labels) as they are.
  std::vector<Tensor> inputs;
  for (const Tensor& t : inputs_in)
    inputs.push_back(t.dtype() == DType::f32 ? t.to(DType::f64) : t.clone());

  std::vector<int> wrt = options.wrt;
  if (wrt.empty()) {
    for (int i = 0; i < static_cast<int>(inputs.size()); ++i)
      if (inputs[static_cast<size_t>(i)].dtype() == DType::f64 &&
          !contains(schema.nondifferentiable_inputs, i) && !contains(schema.mutated_inputs, i))
        wrt.push_back(i);
  }

  // Random output weights r_k (outputs that are not floating get none).
  std::vector<ops::TensorSpec> in_specs;
  for (const Tensor& t : inputs) in_specs.push_back({t.shape(), t.dtype()});
  const std::vector<ops::TensorSpec> out_specs = ops::infer(op, attrs, in_specs);
  std::vector<Tensor> weights;
  for (size_t k = 0; k < out_specs.size(); ++k) {
    if (out_specs[k].dtype != DType::f64) {
      weights.emplace_back();
      continue;
    }
    Tensor r = Tensor::empty(out_specs[k].shape, DType::f64);
    r.uniform(-1.0, 1.0, options.seed * 1000 + k);
    weights.push_back(r);
  }

  // Analytic: build the op and its backward with dy_k = r_k, run it.
  Graph g(/*seed=*/0);
  std::vector<Value> in_values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool mutated = contains(schema.mutated_inputs, static_cast<int>(i));
    in_values.push_back(mutated ? g.state("in" + std::to_string(i), inputs[i].clone())
                                : g.constant(inputs[i], "in" + std::to_string(i)));
  }
  const std::vector<Value> outs = g.apply(op, in_values, attrs, "op");
  std::vector<Value> dys;
  for (size_t k = 0; k < outs.size(); ++k)
    dys.push_back(weights[k].defined() ? g.constant(weights[k], "r" + std::to_string(k)) : Value{});
  const Node node = g.node(outs[0].node);  // a copy: the rule appends nodes
  const std::vector<Value> dxs = (*grad)(g, node, dys);
  CUTRAIN_CHECK(dxs.size() == inputs.size(), "gradcheck: backward of '", op, "' returned ", dxs.size(),
                " gradients for ", inputs.size(), " inputs");
  std::vector<Value> fetch;
  for (int i : wrt) {
    CUTRAIN_CHECK(dxs[static_cast<size_t>(i)].defined(), "gradcheck: backward of '", op,
                  "' gives no gradient for input ", i);
    fetch.push_back(dxs[static_cast<size_t>(i)]);
  }
  // Random ops (dropout) must draw the same numbers in both evaluations: the
  // executor seeds the op node with node_seed(graph seed, node id) at step 0.
  const uint64_t op_seed = node_seed(g.seed(), outs[0].node);
  Executor exec(g, Device::cpu());
  const std::vector<Tensor> analytic = exec.run(std::map<int, Tensor>{}, fetch, RunOptions{options.training});

  std::ostringstream detail;
  bool ok = true;
  for (size_t w = 0; w < wrt.size(); ++w) {
    const int idx = wrt[w];
    Tensor& x = inputs[static_cast<size_t>(idx)];
    double max_diff = 0, max_mag = 0;
    for (int64_t e = 0; e < x.numel(); ++e) {
      const double x0 = x.flat(e);
      const double h = options.rel_step * std::max(std::fabs(x0), 1.0);
      auto eval = [&](double xv) {
        x.set_flat(e, xv);
        return weighted_output(op, clone_all(inputs), attrs, weights, options.training, op_seed);
      };
      const double fp = eval(x0 + h), fm = eval(x0 - h), f0 = eval(x0);
      x.set_flat(e, x0);
      const double fwd = (fp - f0) / h, bwd = (f0 - fm) / h;
      // A kink inside [x-h, x+h]: one-sided slopes disagree beyond rounding.
      const double scale = std::max({std::fabs(fwd), std::fabs(bwd), 1.0});
      if (std::fabs(fwd - bwd) > 1e-4 * scale) {
        ++result.skipped;
        continue;
      }
      const double numeric = (fp - fm) / (2 * h);
      const double a = analytic[w].flat(e);
      max_diff = std::max(max_diff, std::fabs(a - numeric));
      max_mag = std::max({max_mag, std::fabs(a), std::fabs(numeric)});
      ++result.checked;
    }
    // Relative to the gradient's scale (infinity norms), so tiny entries do
    // not turn rounding noise into huge ratios.
    const double rel = max_mag == 0 ? max_diff : max_diff / max_mag;
    const bool is_param = contains(options.param_inputs, idx);
    double& slot = is_param ? result.max_rel_error_params : result.max_rel_error_inputs;
    slot = std::max(slot, rel);
    detail << "input " << idx << (is_param ? " (param)" : "") << " " << x.shape().str()
           << ": max rel error " << rel << "\n";
    if (!(rel <= options.tolerance)) ok = false;
  }
  result.ok = ok && result.checked > 0;
  if (result.checked == 0) detail << "no element was checked (all at kinks?)\n";
  result.detail = detail.str();
  return result;
}

}  // namespace cutrain::graph
