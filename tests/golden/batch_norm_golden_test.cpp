// Batch norm against torch.nn.BatchNorm2d/1d: the training forward,
// its gradients (through the batch statistics), the running-statistics update
// (torch momentum m is our decay 1 - m; both use the unbiased variance there)
// and the eval forward with the updated statistics.
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

void check_batch_norm(const std::string& name) {
  GOLDEN_CASE(c, name);
  for (DType dt : {DType::f64, DType::f32}) {
    graph::Graph g;
    const Tensor x_train = c.get("x", dt);
    const Value x = g.input("x", {x_train.shape(), dt});
    const bool has_gamma = c.i("has_gamma") != 0;
    const Value gamma = has_gamma ? g.parameter("gamma", c.get("gamma", dt)) : Value{};
    const Value beta = g.parameter("beta", c.get("beta", dt));
    const Value mean = g.state("running_mean", c.get("running_mean", dt));
    const Value var = g.state("running_var", c.get("running_var", dt));
    ops::BatchNormOptions o;
    o.epsilon = c.f("epsilon");
    o.decay = c.f("decay");
    const Value y = graph::batch_norm(x, beta, gamma, mean, var, o);
    const Value loss = graph::sum(graph::mul(y, g.constant(c.get("dy", dt))));
    std::vector<Value> wrt{x, beta};
    if (has_gamma) wrt.push_back(gamma);
    const auto grads = graph::gradients(g, loss, wrt);
    std::vector<Value> fetches{y};
    fetches.insert(fetches.end(), grads.begin(), grads.end());
    graph::Executor exec(g, Device::cpu());
    const auto out = exec.run({{x, x_train}}, fetches, graph::kTraining);
    const double tol = golden::tolerance(dt);
    golden::expect_close(c, "y", dt, out[0], "y", tol);
    golden::expect_close(c, "dx", dt, out[1], "dx", tol);
    golden::expect_close(c, "dbeta", dt, out[2], "dbeta", tol);
    if (has_gamma) golden::expect_close(c, "dgamma", dt, out[3], "dgamma", tol);
    golden::expect_close(c, "running_mean", dt, exec.leaf(mean), "running_mean_after", tol);
    golden::expect_close(c, "running_var", dt, exec.leaf(var), "running_var_after", tol);

    graph::RunOptions eval;
    eval.training = false;
    const auto y_eval = exec.run({{x, c.get("x_eval", dt)}}, {y}, eval);
    golden::expect_close(c, "y_eval", dt, y_eval[0], "y_eval", tol);
    // Eval leaves the running statistics alone.
    golden::expect_close(c, "running_var_after_eval", dt, exec.leaf(var), "running_var_after", tol);
  }
}

}  // namespace

TEST(GoldenBatchNorm, Nhwc) { check_batch_norm("batch_norm_nhwc"); }
// slim's default: no gamma (torch's scale held at 1).
TEST(GoldenBatchNorm, NhwcBetaOnly) { check_batch_norm("batch_norm_nhwc_beta_only"); }
TEST(GoldenBatchNorm, Dense) { check_batch_norm("batch_norm_dense"); }
