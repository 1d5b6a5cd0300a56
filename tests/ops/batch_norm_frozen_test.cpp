// A batch norm pinned to inference (attr "inference", the batch norm of
// frozen layers) behaves in a training run exactly as in an inference run:
// forward, gradients through it, and untouched moving statistics.
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/ops/batch_norm.h"
#include "cutrain/graph/ops/elementwise.h"

namespace cutrain {
namespace {

struct Net {
  graph::Graph g;
  graph::Value x, rm, loss;
  std::vector<graph::Value> grads;
};

Tensor filled(const Shape& s, double lo, double hi, uint64_t seed) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(lo, hi, seed);
  return t;
}

// loss = sum(batch_norm(x) * w), gradients w.r.t. x, beta and gamma.
void build(Net& n, bool pinned) {
  n.x = n.g.input("x", {Shape({4, 3, 3, 2}), DType::f64});
  const graph::Value beta = n.g.parameter("beta", filled({2}, -1, 1, 2));
  const graph::Value gamma = n.g.parameter("gamma", filled({2}, 0.5, 1.5, 3));
  n.rm = n.g.state("rm", filled({2}, -0.5, 0.5, 4));
  const graph::Value rv = n.g.state("rv", filled({2}, 0.5, 2, 5));
  const graph::Value y = graph::batch_norm(n.x, beta, gamma, n.rm, rv, {0.001, 0.9});
  if (pinned) n.g.mutable_node(y.node).attrs.set("inference", true);
  const graph::Value w = n.g.constant(filled({4, 3, 3, 2}, -1, 1, 6));
  n.loss = n.g.apply1("sum_to", {graph::mul(y, w)}, {{"shape", std::vector<int64_t>{}}});
  n.grads = graph::gradients(n.g, n.loss, {n.x, beta, gamma});
}

TEST(BatchNormPinnedToInference, TrainingRunEqualsInferenceRunAndKeepsStatistics) {
  Net pinned, plain;
  build(pinned, true);
  build(plain, false);
  const Tensor x = filled({4, 3, 3, 2}, -2, 2, 1);
  const Tensor rm_before = pinned.g.node(pinned.rm.node).tensor.clone();
  graph::Executor pe(pinned.g, Device::cpu()), ie(plain.g, Device::cpu());
  std::vector<graph::Value> pf{pinned.loss}, inf{plain.loss};
  pf.insert(pf.end(), pinned.grads.begin(), pinned.grads.end());
  inf.insert(inf.end(), plain.grads.begin(), plain.grads.end());
  const std::vector<Tensor> got = pe.run({{pinned.x, x}}, pf, graph::kTraining);
  const std::vector<Tensor> want = ie.run({{plain.x, x}}, inf, graph::kInference);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_LE(max_abs_diff(got[i], want[i]), 1e-12) << "output " << i;
  EXPECT_EQ(max_abs_diff(pe.leaf(pinned.rm), rm_before), 0.0);
  // Unpinned, a training run normalizes with batch statistics: the test can tell them apart.
  const std::vector<Tensor> trained = ie.run({{plain.x, x}}, inf, graph::kTraining);
  EXPECT_GT(max_abs_diff(trained[0], want[0]), 1e-6);
  EXPECT_GT(max_abs_diff(ie.leaf(plain.rm), rm_before), 0.0);
}

}  // namespace
}  // namespace cutrain
