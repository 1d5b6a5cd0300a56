// Per-sample losses and their gradients against torch.nn.functional:
// binary_cross_entropy_with_logits (reduction none, then the mean over each
// sample's features, as Keras' binary_crossentropy) and cross_entropy with
// label_smoothing, for class ids and for probability targets. The gradient is
// that of sum(loss * r) for a fixed random r.
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/reduce.h"
#include "golden/golden_util.h"

using namespace cutrain;
using graph::Value;

namespace {

enum class Loss { bce, cross_entropy };

void check_loss(const std::string& name, Loss kind) {
  GOLDEN_CASE(c, name);
  for (DType dt : {DType::f64, DType::f32}) {
    graph::Graph g;
    const Value logits = g.parameter("logits", c.get("logits", dt));
    const double s = c.f("label_smoothing");
    const Value per_sample =
        kind == Loss::bce ? graph::sigmoid_binary_cross_entropy(logits, g.constant(c.get("targets", dt)), s)
                          : graph::softmax_cross_entropy(logits, g.constant(c.get("labels", dt)), s);
    const Value loss = graph::sum(graph::mul(per_sample, g.constant(c.get("r", dt))));
    const Value grad = graph::gradients(g, loss, {logits})[0];
    graph::Executor exec(g, Device::cpu());
    const auto out = exec.run(std::map<int, Tensor>{}, {per_sample, grad}, graph::kTraining);
    golden::expect_close(c, "loss", dt, out[0], "loss", golden::tolerance(dt));
    golden::expect_close(c, "dlogits", dt, out[1], "dlogits", golden::tolerance(dt));
  }
}

}  // namespace

TEST(GoldenLosses, BinaryCrossEntropyWithLogits) { check_loss("bce_with_logits", Loss::bce); }
// Keras-style smoothing of binary targets: t' = (1 - s) t + s / 2.
TEST(GoldenLosses, BinaryCrossEntropySmoothed) { check_loss("bce_with_logits_smoothed", Loss::bce); }
TEST(GoldenLosses, CrossEntropyLabelSmoothing) { check_loss("cross_entropy_smoothed", Loss::cross_entropy); }
TEST(GoldenLosses, CrossEntropyProbabilitiesSmoothed) {
  check_loss("cross_entropy_probs_smoothed", Loss::cross_entropy);
}
