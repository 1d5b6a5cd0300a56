// The gradient registry of the graph layer: rules are keyed by registered op
// names, one per op; built-in rules exist for the differentiable ops and for
// none of the updates.
#include <gtest/gtest.h>

#include "cutrain/graph/gradient_registry.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

graph::GradFn no_op_rule() {
  return [](graph::Graph&, const graph::Node& n, const std::vector<graph::Value>&) {
    return std::vector<graph::Value>(n.inputs.size());
  };
}

}  // namespace

TEST(GradientRegistry, BuiltInRulesCoverDifferentiableOpsOnly) {
  const auto& r = graph::GradientRegistry::global();
  for (const char* op : {"conv2d", "conv2d_backward_input", "batch_norm", "add", "relu", "softmax_grad",
                         "reshape", "sum", "mean", "weighted_loss_reduce", "inception_concat"})
    EXPECT_TRUE(r.has(op)) << op;
  for (const char* op : {"sgd_update", "adam_update", "ema_update", "random_normal", "check_finite"})
    EXPECT_FALSE(r.has(op)) << op;
  for (const std::string& name : r.names()) EXPECT_TRUE(ops::OpRegistry::global().has(name)) << name;
}

TEST(GradientRegistry, RejectsUnknownOpsAndSecondRules) {
  const std::string unknown = message_of([] { graph::register_gradient("test_no_such_op", no_op_rule()); });
  EXPECT_NE(unknown.find("unknown op 'test_no_such_op'"), std::string::npos) << unknown;
  const std::string twice = message_of([] { graph::register_gradient("conv2d", no_op_rule()); });
  EXPECT_NE(twice.find("op 'conv2d' already has a backward rule"), std::string::npos) << twice;
  const std::string empty = message_of([] { graph::register_gradient("sgd_update", graph::GradFn{}); });
  EXPECT_NE(empty.find("empty backward rule for op 'sgd_update'"), std::string::npos) << empty;
  EXPECT_FALSE(graph::GradientRegistry::global().has("sgd_update"));
}
