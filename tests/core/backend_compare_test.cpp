// The public CPU/GPU comparison fixtures (cutrain/testing/backend_compare.h),
// exercised here against the CPU itself: an op and a graph agree with their
// own reference, in-place updates come back, and failures name the output,
// the dtype and the worst element.
#include "cutrain/testing/backend_compare.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <limits>

#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/matmul.h"

namespace cutrain {
namespace {

TEST(BackendCompare, AnOpMatchesItselfAndItsInPlaceUpdatesComeBack) {
  Tensor x = Tensor::empty({4, 33}, DType::f32);
  x.uniform(-1, 1, 1);
  EXPECT_OP_MATCHES_CPU("relu", {x}, {}, {}, Device::cpu());
  // sgd_update writes its param: the run returns it updated, the caller's copy untouched.
  Tensor w = x.clone(), g = Tensor::full({4, 33}, DType::f32, 1.0);
  const testing::OpRun r = testing::run_op("sgd_update", {w, g}, {{"lr", 0.5}}, Device::cpu());
  EXPECT_EQ(r.inputs[0].flat(0), x.flat(0) - 0.5f);
  EXPECT_EQ(w.flat(0), x.flat(0));
  EXPECT_OP_MATCHES_CPU("sgd_update", {w, g}, {{"lr", 0.5}}, {}, Device::cpu());
}

TEST(BackendCompare, FailuresNameTheOutputDtypeAndNaNPolicy) {
  const Tensor a =
      Tensor::from_vector({3}, {1, std::numeric_limits<double>::quiet_NaN(), 3}, DType::f64);
  Tensor b = a.clone();
  EXPECT_TRUE(testing::detail::close("y", a, b, {.equal_nan = true}));
  const auto nan = testing::detail::close("y", a, b, {});
  ASSERT_FALSE(nan);
  EXPECT_NE(std::string(nan.message()).find("y (device) and y (cpu) differ at 1 of 3"),
            std::string::npos)
      << nan.message();
  b.set_flat(2, 3.5);
  const auto off = testing::detail::close("logits", a, b, {.rtol = 0.1, .equal_nan = true});
  ASSERT_FALSE(off);
  EXPECT_NE(std::string(off.message()).find("[2]: actual 3 expected 3.5"), std::string::npos)
      << off.message();
  EXPECT_TRUE(testing::detail::close("logits", a, b, {.rtol = 0.2, .equal_nan = true}));
  const auto dtype = testing::detail::close("z", a, a.to(DType::f32), {});
  ASSERT_FALSE(dtype);
  EXPECT_NE(std::string(dtype.message()).find("z: dtype f64 vs reference f32"), std::string::npos)
      << dtype.message();
}

TEST(BackendCompare, AGraphMatchesItsCpuRun) {
  graph::Graph g(5);
  auto x = g.input("x", {Shape{8, 16}, DType::f64});
  Tensor w0 = Tensor::empty({16, 4}, DType::f64);
  w0.uniform(-1, 1, 2);
  auto w = g.parameter("w", w0);
  auto y = graph::relu(graph::matmul(x, w));
  Tensor xv = Tensor::empty({8, 16}, DType::f64);
  xv.uniform(-1, 1, 3);
  EXPECT_TRUE(testing::graph_matches_cpu(g, {{x, xv}}, {y}, {.rtol = 0}, Device::cpu()));
}

// The typed fixture compiles to f32 and f64 cases that skip with the reason
// without a GPU and run the body on one.
CUTRAIN_BACKEND_TEST_SUITE(BackendCompareTyped);
TYPED_TEST(BackendCompareTyped, ReluMatchesCpu) {
  EXPECT_EQ(this->random({2}, 1).dtype(), this->dtype);
  EXPECT_OP_MATCHES_CPU("relu", {this->random({1000}, 1)}, {}, {.rtol = this->tol(0, 0)});
}

}  // namespace
}  // namespace cutrain
