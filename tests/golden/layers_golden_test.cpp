// conv2d, dense and pooling against PyTorch: forward and every gradient
// (through cutrain's autodiff) on odd shapes, asymmetric kernels, dilation
// and TF SAME padding (asymmetric where TF pads one more pixel after).
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/conv2d.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/pool.h"
#include "cutrain/graph/ops/reduce.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

constexpr DType kDTypes[] = {DType::f64, DType::f32};

// y = conv2d(x, w) + b; the loss sum(y * dy) makes the gradients PyTorch's
// vector-Jacobian products with cotangent dy.
void check_conv(const std::string& name) {
  GOLDEN_CASE(c, name);
  for (DType dt : kDTypes) {
    graph::Graph g;
    const Value x = g.parameter("x", c.get("x", dt));
    const Value w = g.parameter("w", c.get("w", dt));
    const Value b = g.parameter("b", c.get("b", dt));
    ops::Conv2dOptions o;
    o.strides = c.ints("strides");
    o.padding = c.attr("padding");
    o.dilations = c.ints("dilations");
    const Value y = graph::conv2d(x, w, o, b);
    const Value loss = graph::sum(graph::mul(y, g.constant(c.get("dy", dt))));
    const auto grads = graph::gradients(g, loss, {x, w, b});
    graph::Executor exec(g, Device::cpu());
    const auto out = exec.run(std::map<int, Tensor>{}, {y, grads[0], grads[1], grads[2]}, graph::kTraining);
    const double tol = golden::tolerance(dt, /*conv=*/true);
    golden::expect_close(c, "y", dt, out[0], "y", tol);
    golden::expect_close(c, "dx", dt, out[1], "dx", tol);
    golden::expect_close(c, "dw", dt, out[2], "dw", tol);
    golden::expect_close(c, "db", dt, out[3], "db", tol);
  }
}

void check_dense(const std::string& name) {
  GOLDEN_CASE(c, name);
  for (DType dt : kDTypes) {
    graph::Graph g;
    const Value x = g.parameter("x", c.get("x", dt));
    const Value w = g.parameter("w", c.get("w", dt));
    const Value b = g.parameter("b", c.get("b", dt));
    const Value y = graph::dense(x, w, b);
    const Value loss = graph::sum(graph::mul(y, g.constant(c.get("dy", dt))));
    const auto grads = graph::gradients(g, loss, {x, w, b});
    graph::Executor exec(g, Device::cpu());
    const auto out = exec.run(std::map<int, Tensor>{}, {y, grads[0], grads[1], grads[2]}, graph::kTraining);
    const double tol = golden::tolerance(dt);
    golden::expect_close(c, "y", dt, out[0], "y", tol);
    golden::expect_close(c, "dx", dt, out[1], "dx", tol);
    golden::expect_close(c, "dw", dt, out[2], "dw", tol);
    golden::expect_close(c, "db", dt, out[3], "db", tol);
  }
}

void check_pool(const std::string& name) {
  GOLDEN_CASE(c, name);
  for (DType dt : kDTypes) {
    graph::Graph g;
    const Value x = g.parameter("x", c.get("x", dt));
    Value y;
    if (c.attr("kind") == "global_avg") {
      y = graph::global_avg_pool(x);
    } else {
      ops::PoolOptions o;
      o.window = c.ints("window");
      o.strides = c.ints("strides");
      o.padding = c.attr("padding");
      o.count_include_pad = c.i("count_include_pad") != 0;
      y = c.attr("kind") == "max" ? graph::max_pool(x, o) : graph::avg_pool(x, o);
    }
    const Value loss = graph::sum(graph::mul(y, g.constant(c.get("dy", dt))));
    const auto grads = graph::gradients(g, loss, {x});
    graph::Executor exec(g, Device::cpu());
    const auto out = exec.run(std::map<int, Tensor>{}, {y, grads[0]}, graph::kTraining);
    golden::expect_close(c, "y", dt, out[0], "y", golden::tolerance(dt));
    golden::expect_close(c, "dx", dt, out[1], "dx", golden::tolerance(dt));
  }
}

}  // namespace

TEST(GoldenConv2d, Kernel1x7Same) { check_conv("conv_1x7_same"); }
TEST(GoldenConv2d, Kernel7x1Same) { check_conv("conv_7x1_same"); }
TEST(GoldenConv2d, Kernel3x3Stride2Valid) { check_conv("conv_3x3_s2_valid"); }
TEST(GoldenConv2d, Kernel3x3Same) { check_conv("conv_3x3_same"); }
// Even kernel: SAME pads one pixel more after than before.
TEST(GoldenConv2d, Kernel2x4Same) { check_conv("conv_2x4_same"); }
// Stride 2 SAME on an even size: TF pads only after (PyTorch needs F.pad).
TEST(GoldenConv2d, Kernel3x3Stride2Same) { check_conv("conv_3x3_s2_same"); }
TEST(GoldenConv2d, Kernel3x3Dilation2Same) { check_conv("conv_3x3_dilation2_same"); }

// Dense weights are [out, in] as torch.nn.Linear.
TEST(GoldenDense, Linear) { check_dense("dense_linear"); }

// TF / slim semantics: padding left out of the divisor.
TEST(GoldenPool, AvgPool3x3SameExcludePad) { check_pool("avg_3x3_same_exclude_pad"); }
// torchvision's Inception V3 pools.
TEST(GoldenPool, AvgPool3x3SameIncludePad) { check_pool("avg_3x3_same_include_pad"); }
// The aux head's pool.
TEST(GoldenPool, AvgPool5x5Stride3Valid) { check_pool("avg_5x5_s3_valid"); }
TEST(GoldenPool, MaxPool3x3Stride2Valid) { check_pool("max_3x3_s2_valid"); }
// torch's adaptive_avg_pool2d(x, 1): the head of torchvision's Inception V3.
TEST(GoldenPool, GlobalAvgPool) { check_pool("global_avg_pool"); }
