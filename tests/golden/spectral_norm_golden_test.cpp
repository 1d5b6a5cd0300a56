// Spectral norm against torch.nn.utils.spectral_norm, from the same u and v
// (torch's buffers right after construction), over several training steps:
// each step runs one power iteration, backpropagates the fixed linear loss
// sum(W_sn * R) to the original weight and applies plain SGD, on both sides.
// Every step compares sigma, W_sn, the gradient, the updated W, u and v.
// The conv case checks the layout mapping: torch's matrix is (O, I*kh*kw),
// ours (O, kh*kw*I), so v is permuted like the weight (done in the script).
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/spectral_norm.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

void check_spectral_norm(const std::string& name) {
  GOLDEN_CASE(c, name);
  const int steps = static_cast<int>(c.i("steps"));
  ASSERT_GE(steps, 1);
  for (DType dt : {DType::f64, DType::f32}) {
    graph::Graph g;
    const Value w = g.parameter("w", c.get("w0", dt));
    const Value u = g.state("u", c.get("u0", dt));
    const Value v = g.state("v", c.get("v0", dt));
    const auto sn = graph::spectral_norm(w, u, v, c.i("n_power_iterations"), c.f("eps"));
    const Value loss = graph::sum(graph::mul(sn.weight, g.constant(c.get("r", dt))));
    const Value dw = graph::gradients(g, loss, {w})[0];
    ops::SgdOptions sgd;
    sgd.lr = c.f("lr");
    const Value token = graph::sgd_update({w}, {dw}, {}, sgd)[0];
    graph::Executor exec(g, Device::cpu());
    const double tol = golden::tolerance(dt);
    for (int k = 1; k <= steps; ++k) {
      const auto out = exec.run(std::map<int, Tensor>{}, {sn.sigma, sn.weight, dw, token}, graph::kTraining);
      const std::string s = "step" + std::to_string(k) + ".";
      golden::expect_close(c, s + "sigma", dt, out[0], "sigma_" + std::to_string(k), tol);
      golden::expect_close(c, s + "w_sn", dt, out[1], "w_sn_" + std::to_string(k), tol);
      golden::expect_close(c, s + "grad_w", dt, out[2], "grad_" + std::to_string(k), tol);
      golden::expect_close(c, s + "w", dt, exec.leaf(w), "w_" + std::to_string(k), tol);
      golden::expect_close(c, s + "u", dt, exec.leaf(u), "u_" + std::to_string(k), tol);
      golden::expect_close(c, s + "v", dt, exec.leaf(v), "v_" + std::to_string(k), tol);
    }
  }
}

}  // namespace

TEST(GoldenSpectralNorm, Dense) { check_spectral_norm("spectral_norm_dense"); }
TEST(GoldenSpectralNorm, Conv) { check_spectral_norm("spectral_norm_conv"); }
