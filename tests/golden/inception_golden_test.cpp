// Inception V3 forward against torchvision (eval mode, transform_input=False,
// [-1, 1] inputs, 107x107, aux head off as in torchvision's eval), with the
// weights converted by tools/convert_torchvision_inception.py. The network is
// assembled here from cutrain's ops by slim scope name, so this checks the
// converter's name mapping and layouts and the composed ops (SAME/VALID
// padding, include-pad 3x3 average pools as torchvision, batch norm with
// gamma and epsilon 0.001, branch concat order) end to end.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cutrain/graph/executor.h"
#include "cutrain/ops/batch_norm.h"
#include "cutrain/ops/conv2d.h"
#include "cutrain/ops/elementwise.h"
#include "cutrain/ops/pool.h"
#include "cutrain/ops/shape_ops.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

class Builder {
 public:
  Builder(graph::Graph& g, const golden::Case& c, DType dt) : g_(g), c_(c), dt_(dt) {}

  // conv (no bias) -> batch norm (gamma, beta, moving statistics) -> ReLU.
  Value conv(Value x, const std::string& scope, int64_t stride = 1, const std::string& padding = "SAME") {
    const std::string p = c_.attr("prefix") + scope;
    ops::Conv2dOptions o;
    o.strides = {stride, stride};
    o.padding = padding;
    const Value y = ops::conv2d(x, g_.parameter(p + "/weights", c_.get(p + "/weights", dt_)), o);
    ops::BatchNormOptions bn;
    bn.epsilon = c_.f("epsilon");
    const Value beta = g_.parameter(p + "/BatchNorm/beta", c_.get(p + "/BatchNorm/beta", dt_));
    const Value gamma = g_.parameter(p + "/BatchNorm/gamma", c_.get(p + "/BatchNorm/gamma", dt_));
    const Value mean = g_.state(p + "/BatchNorm/moving_mean", c_.get(p + "/BatchNorm/moving_mean", dt_));
    const Value var = g_.state(p + "/BatchNorm/moving_variance", c_.get(p + "/BatchNorm/moving_variance", dt_));
    return ops::relu(ops::batch_norm(y, beta, gamma, mean, var, bn));
  }
  Value conv_valid(Value x, const std::string& scope, int64_t stride = 1) { return conv(x, scope, stride, "VALID"); }

  // torchvision's avg_pool2d(3, stride 1, padding 1), count_include_pad=True.
  static Value avg3(Value x) {
    ops::PoolOptions o;
    o.window = {3, 3};
    o.padding = "SAME";
    o.count_include_pad = true;
    return ops::avg_pool(x, o);
  }
  static Value max3s2(Value x) {
    ops::PoolOptions o;
    o.window = {3, 3};
    o.strides = {2, 2};
    return ops::max_pool(x, o);
  }

  Value mixed_5(Value x, const std::string& b, const std::string& b1a, const std::string& b1b) {
    const Value b0 = conv(x, b + "/Branch_0/Conv2d_0a_1x1");
    const Value b1 = conv(conv(x, b + "/Branch_1/" + b1a), b + "/Branch_1/" + b1b);
    const Value b2 = conv(conv(conv(x, b + "/Branch_2/Conv2d_0a_1x1"), b + "/Branch_2/Conv2d_0b_3x3"),
                          b + "/Branch_2/Conv2d_0c_3x3");
    const Value b3 = conv(avg3(x), b + "/Branch_3/Conv2d_0b_1x1");
    return ops::concat({b0, b1, b2, b3}, 3);
  }
  Value mixed_6a(Value x) {
    const std::string b = "Mixed_6a";
    const Value b0 = conv_valid(x, b + "/Branch_0/Conv2d_1a_1x1", 2);
    const Value b1 = conv_valid(conv(conv(x, b + "/Branch_1/Conv2d_0a_1x1"), b + "/Branch_1/Conv2d_0b_3x3"),
                                b + "/Branch_1/Conv2d_1a_1x1", 2);
    return ops::concat({b0, b1, max3s2(x)}, 3);
  }
  Value mixed_6(Value x, const std::string& b) {
    const Value b0 = conv(x, b + "/Branch_0/Conv2d_0a_1x1");
    Value b1 = x;
    for (const char* s : {"Conv2d_0a_1x1", "Conv2d_0b_1x7", "Conv2d_0c_7x1"}) b1 = conv(b1, b + "/Branch_1/" + s);
    Value b2 = x;
    for (const char* s : {"Conv2d_0a_1x1", "Conv2d_0b_7x1", "Conv2d_0c_1x7", "Conv2d_0d_7x1", "Conv2d_0e_1x7"})
      b2 = conv(b2, b + "/Branch_2/" + s);
    const Value b3 = conv(avg3(x), b + "/Branch_3/Conv2d_0b_1x1");
    return ops::concat({b0, b1, b2, b3}, 3);
  }
  Value mixed_7a(Value x) {
    const std::string b = "Mixed_7a";
    const Value b0 = conv_valid(conv(x, b + "/Branch_0/Conv2d_0a_1x1"), b + "/Branch_0/Conv2d_1a_3x3", 2);
    Value b1 = x;
    for (const char* s : {"Conv2d_0a_1x1", "Conv2d_0b_1x7", "Conv2d_0c_7x1"}) b1 = conv(b1, b + "/Branch_1/" + s);
    b1 = conv_valid(b1, b + "/Branch_1/Conv2d_1a_3x3", 2);
    return ops::concat({b0, b1, max3s2(x)}, 3);
  }
  Value mixed_7(Value x, const std::string& b, const std::string& b1_3x1) {
    const Value b0 = conv(x, b + "/Branch_0/Conv2d_0a_1x1");
    const Value b1 = conv(x, b + "/Branch_1/Conv2d_0a_1x1");
    const Value b1c = ops::concat({conv(b1, b + "/Branch_1/Conv2d_0b_1x3"), conv(b1, b + "/Branch_1/" + b1_3x1)}, 3);
    const Value b2 = conv(conv(x, b + "/Branch_2/Conv2d_0a_1x1"), b + "/Branch_2/Conv2d_0b_3x3");
    const Value b2c = ops::concat({conv(b2, b + "/Branch_2/Conv2d_0c_1x3"), conv(b2, b + "/Branch_2/Conv2d_0d_3x1")}, 3);
    const Value b3 = conv(avg3(x), b + "/Branch_3/Conv2d_0b_1x1");
    return ops::concat({b0, b1c, b2c, b3}, 3);
  }

  Value logits(Value x) {
    Value net = conv_valid(x, "Conv2d_1a_3x3", 2);
    net = conv_valid(net, "Conv2d_2a_3x3");
    net = conv(net, "Conv2d_2b_3x3");
    net = max3s2(net);
    net = conv_valid(net, "Conv2d_3b_1x1");
    net = conv_valid(net, "Conv2d_4a_3x3");
    net = max3s2(net);
    net = mixed_5(net, "Mixed_5b", "Conv2d_0a_1x1", "Conv2d_0b_5x5");
    net = mixed_5(net, "Mixed_5c", "Conv2d_0b_1x1", "Conv_1_0c_5x5");
    net = mixed_5(net, "Mixed_5d", "Conv2d_0a_1x1", "Conv2d_0b_5x5");
    net = mixed_6a(net);
    for (const char* b : {"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"}) net = mixed_6(net, b);
    net = mixed_7a(net);
    net = mixed_7(net, "Mixed_7b", "Conv2d_0b_3x1");
    net = mixed_7(net, "Mixed_7c", "Conv2d_0c_3x1");
    // Global average (torchvision's adaptive pool; slim's reduced-kernel pool
    // is the same here), eval dropout is the identity, then the 1x1 conv.
    net = ops::global_avg_pool(net, /*keepdims=*/true);
    const std::string p = c_.attr("prefix") + "Logits/Conv2d_1c_1x1";
    ops::Conv2dOptions o;
    net = ops::conv2d(net, g_.parameter(p + "/weights", c_.get(p + "/weights", dt_)), o,
                      g_.parameter(p + "/biases", c_.get(p + "/biases", dt_)));
    return ops::squeeze(net, {1, 2});
  }

 private:
  graph::Graph& g_;
  const golden::Case& c_;
  DType dt_;
};

}  // namespace

TEST(GoldenInceptionV3, EvalLogitsFromConvertedTorchvisionWeights) {
  GOLDEN_CASE(c, "inception_v3_eval");
  for (DType dt : {DType::f64, DType::f32}) {
    graph::Graph g;
    const Tensor input = c.get("input", dt);
    const Value x = g.input("input", {input.shape(), dt});
    const Value logits = Builder(g, c, dt).logits(x);
    // Every converted tensor is used (input and logits are the reference).
    EXPECT_EQ(g.parameters().size() + g.states().size(), c.tensors.size() - 2);
    graph::Executor exec(g, Device::cpu());
    graph::RunOptions eval;
    eval.training = false;
    const auto out = exec.run({{x, input}}, {logits}, eval);
    // Deep composition in float: 1e-4, as for convolutions.
    golden::expect_close(c, "logits", dt, out[0], "logits", golden::tolerance(dt, /*conv=*/true));
  }
}
