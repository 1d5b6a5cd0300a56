// Custom ops from user code: a squared-error loss registered with its own
// CPU kernel and gradient trains a linear regression like a built-in op; the
// same op without a registered gradient fails at autodiff with a message
// naming the op and the parameter.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradient_registry.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/ops/cpu_kernel.h"
#include "cutrain/ops/op.h"

using namespace cutrain;
using graph::Value;

namespace {

// What a user writes: forward (pred - y)^2 per element and its gradient op.
void register_user_ops() {
  static bool done = false;
  if (done) return;
  done = true;
  auto same_shape = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) {
    CUTRAIN_CHECK(in[0] == in[1], "pred ", in[0].str(), " and target ", in[1].str(), " differ");
    return std::vector<ops::TensorSpec>{in[0]};
  };
  // Bodies run in stream order (ops::on_cpu_stream), as every CPU kernel must.
  auto forward = [](const ops::OpContext&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
    const double* p = in[0].data<double>();
    const double* y = in[1].data<double>();
    double* o = out[0].data<double>();
    for (int64_t i = 0; i < in[0].numel(); ++i) o[i] = (p[i] - y[i]) * (p[i] - y[i]);
  };
  for (const char* name : {"user_squared_error", "user_squared_error_nograd"}) {
    ops::OpSchema s;
    s.name = name;
    s.num_inputs = 2;
    s.nondifferentiable_inputs = {1};
    s.infer = same_shape;
    s.kernels[DeviceType::cpu] = ops::on_cpu_stream(forward);
    ops::OpRegistry::global().add(std::move(s));
  }
  ops::OpSchema g;  // d/dpred = 2 (pred - y) dy
  g.name = "user_squared_error_grad";
  g.num_inputs = 3;
  g.infer = [](const ops::Attrs&, const std::vector<ops::TensorSpec>& in) { return std::vector{in[1]}; };
  g.kernels[DeviceType::cpu] = ops::on_cpu_stream([](const ops::OpContext&, const std::vector<Tensor>& in,
                                                     const std::vector<Tensor>& out) {
    const double* dy = in[0].data<double>();
    const double* p = in[1].data<double>();
    const double* y = in[2].data<double>();
    double* o = out[0].data<double>();
    for (int64_t i = 0; i < in[1].numel(); ++i) o[i] = 2 * (p[i] - y[i]) * dy[i];
  });
  ops::OpRegistry::global().add(std::move(g));
  graph::register_gradient(
      "user_squared_error", [](graph::Graph& gr, const graph::Node& n, const std::vector<Value>& dys) {
        return std::vector<Value>{gr.apply1("user_squared_error_grad", {dys[0], n.inputs[0], n.inputs[1]}), Value{}};
      });
}

struct Regression {
  graph::Graph g{1};
  Value x, y, w, b, loss;
};

void build(Regression& r, const char* loss_op) {
  r.x = r.g.input("x", {Shape{1000}, DType::f64});
  r.y = r.g.input("y", {Shape{1000}, DType::f64});
  r.w = r.g.parameter("W", Tensor::zeros({1}, DType::f64));
  r.b = r.g.parameter("b", Tensor::zeros({1}, DType::f64));
  const Value pred = graph::add(graph::mul(r.x, r.w), r.b);
  r.loss = graph::mean(r.g.apply1(loss_op, {pred, r.y}));
}

}  // namespace

TEST(CustomOp, LinearRegressionWithUserLossConverges) {
  register_user_ops();
  // y = 0.1 x + 0.3 + noise, 1000 points.
  Tensor xs = Tensor::empty({1000}, DType::f64), noise = Tensor::empty({1000}, DType::f64);
  xs.normal(0, 0.55, 1);
  noise.normal(0, 0.03, 2);
  Tensor ys = Tensor::empty({1000}, DType::f64);
  for (int64_t i = 0; i < 1000; ++i) ys.set_flat(i, 0.1 * xs.flat(i) + 0.3 + noise.flat(i));

  Regression r;
  build(r, "user_squared_error");
  const auto grads = graph::gradients(r.g, r.loss, {r.w, r.b});
  ops::SgdOptions sgd;
  sgd.lr = 0.1;
  const auto updates = graph::sgd_update({r.w, r.b}, grads, {}, sgd);
  graph::Executor ex(r.g, Device::cpu());
  std::vector<Value> fetch = updates;
  fetch.push_back(r.loss);
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 1000; ++step) {
    const auto out = ex.run({{r.x, xs}, {r.y, ys}}, fetch, graph::kTraining);
    (step == 0 ? first_loss : last_loss) = out.back().item();
  }
  const double w = ex.leaf(r.w).item(), b = ex.leaf(r.b).item();
  EXPECT_NEAR(w, 0.1, 0.01);
  EXPECT_NEAR(b, 0.3, 0.01);
  EXPECT_LT(last_loss, first_loss / 50);
}

TEST(CustomOp, UnregisteredGradientFailsAtAutodiff) {
  register_user_ops();
  Regression r;
  build(r, "user_squared_error_nograd");
  try {
    graph::gradients(r.g, r.loss, {r.w, r.b});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no gradient registered for op 'user_squared_error_nograd' (needed for dmean/dW)"),
              std::string::npos)
        << e.what();
  }
}
