// Reductions and broadcast_to: forward against naive loops, gradients
// against central differences.
#include <gtest/gtest.h>

#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/op.h"
#include "cutrain/ops/reduce.h"

using namespace cutrain;

namespace {
Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-2, 2, seed);
  return dt == DType::f64 ? t : t.to(dt);
}
ops::Attrs reduce_attrs(std::vector<int64_t> axes, bool keepdims) {
  return {{"axes", std::move(axes)}, {"keepdims", keepdims}};
}
}  // namespace

TEST(Reduce, SumOverAxesMatchesLoops) {
  const Tensor x = random({3, 5, 7}, 4);
  for (bool keep : {false, true}) {
    const Tensor y = ops::call("sum", {x}, reduce_attrs({0, -1}, keep))[0];
    EXPECT_EQ(y.shape(), keep ? Shape({1, 5, 1}) : Shape({5}));
    for (int j = 0; j < 5; ++j) {
      double e = 0;
      for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 7; ++k) e += x.at({i, j, k});
      EXPECT_NEAR(y.flat(j), e, 1e-12);
    }
  }
}

TEST(Reduce, MeanOverAllAndOneAxis) {
  const Tensor x = random({3, 1, 4}, 5);
  const Tensor all = ops::call("mean", {x}, reduce_attrs({}, false))[0];
  EXPECT_EQ(all.shape(), Shape{});
  double e = 0;
  for (int64_t i = 0; i < x.numel(); ++i) e += x.flat(i);
  EXPECT_NEAR(all.item(), e / 12, 1e-12);

  const Tensor m = ops::call("mean", {x}, reduce_attrs({2}, true))[0];
  EXPECT_EQ(m.shape(), Shape({3, 1, 1}));
  for (int i = 0; i < 3; ++i) {
    double s = 0;
    for (int k = 0; k < 4; ++k) s += x.at({i, 0, k});
    EXPECT_NEAR(m.flat(i), s / 4, 1e-12);
  }
}

TEST(Reduce, FloatPathAgreesWithDouble) {
  const Tensor x = random({6, 33}, 6, DType::f32);
  const Tensor y = ops::call("sum", {x}, reduce_attrs({1}, false))[0];
  const Tensor ref = ops::call("sum", {x.to(DType::f64)}, reduce_attrs({1}, false))[0];
  EXPECT_EQ(y.dtype(), DType::f32);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y.flat(i), ref.flat(i), 1e-5);
}

TEST(Reduce, BroadcastToMatchesIndexing) {
  const Tensor x = random({5, 1}, 7);
  const Tensor y = ops::call("broadcast_to", {x}, {{"shape", std::vector<int64_t>{3, 5, 7}}})[0];
  EXPECT_EQ(y.shape(), Shape({3, 5, 7}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      for (int k = 0; k < 7; ++k) EXPECT_EQ(y.at({i, j, k}), x.at({j, 0}));
}

TEST(Reduce, ErrorsNameOpAndShape) {
  try {
    ops::call("sum", {random({3, 5}, 1)}, reduce_attrs({2}, false));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("op 'sum'"), std::string::npos) << m;
    EXPECT_NE(m.find("[3, 5]"), std::string::npos) << m;
  }
  try {
    ops::call("broadcast_to", {random({4, 3}, 1)}, {{"shape", std::vector<int64_t>{4, 5}}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("broadcast_to"), std::string::npos) << m;
    EXPECT_NE(m.find("[4, 3]"), std::string::npos) << m;
  }
}

class ReduceGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ReduceGrad, SumAndMean) {
  const uint64_t seed = GetParam();
  const std::vector<std::vector<int64_t>> axis_sets = {{}, {0}, {1, 2}, {-1}, {0, 2}};
  for (const char* op : {"sum", "mean"})
    for (const auto& axes : axis_sets)
      for (bool keep : {false, true}) {
        auto r = graph::check_op_gradients(op, {random({3, 5, 7}, seed)}, reduce_attrs(axes, keep),
                                           {.seed = seed});
        EXPECT_TRUE(r.ok) << op << " axes " << axes.size() << " keep " << keep << "\n" << r.detail;
        EXPECT_LE(r.max_rel_error_inputs, 1e-6);
      }
  auto r = graph::check_op_gradients("mean", {random({1, 4, 1}, seed)}, reduce_attrs({0, 2}, false),
                                     {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_P(ReduceGrad, BroadcastTo) {
  const uint64_t seed = GetParam();
  for (const auto& [in, out] : std::vector<std::pair<Shape, std::vector<int64_t>>>{
           {{5, 1}, {3, 5, 7}}, {{7}, {3, 5, 7}}, {{1, 1}, {2, 3}}, {{3, 1, 7}, {3, 5, 7}}}) {
    auto r = graph::check_op_gradients("broadcast_to", {random(in, seed)}, {{"shape", out}}, {.seed = seed});
    EXPECT_TRUE(r.ok) << in.str() << "\n" << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReduceGrad, ::testing::Values(1u, 2u, 3u));
