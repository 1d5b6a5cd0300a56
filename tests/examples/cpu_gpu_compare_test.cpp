// A CPU/GPU comparison test written with the installed kit
// (cutrain/testing/backend_compare.h), against the installed package
// (tests/install builds and runs it; without a GPU every case skips, saying
// why). Each case runs for float and double.
#include <gtest/gtest.h>

#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/testing/backend_compare.h"

using namespace cutrain;

CUTRAIN_BACKEND_TEST_SUITE(OnGpu);

// One op: a 3x3 SAME convolution, outputs compared elementwise.
TYPED_TEST(OnGpu, Conv2dMatchesCpu) {
  const Tensor x = this->random({2, 9, 9, 8}, 1), w = this->random({16, 3, 3, 8}, 2);
  const ops::Attrs same{{"strides", std::vector<int64_t>{1, 1}}, {"padding", std::string("SAME")}};
  EXPECT_OP_MATCHES_CPU("conv2d", {x, w}, same,
                        {.rtol = this->tol(1e-4, 1e-10), .atol = this->tol(1e-5, 1e-12)});
}

// A whole graph: relu(x w), every fetch compared.
TYPED_TEST(OnGpu, DenseReluGraphMatchesCpu) {
  graph::Graph g(7);
  auto x = g.input("x", {Shape{32, 64}, this->dtype});
  auto y = graph::relu(graph::matmul(x, g.parameter("w", this->random({64, 10}, 3))));
  EXPECT_TRUE(cutrain::testing::graph_matches_cpu(
      g, {{x, this->random({32, 64}, 4)}}, {y},
      {.rtol = this->tol(1e-4, 1e-12), .atol = this->tol(1e-5, 1e-12)}));
}
