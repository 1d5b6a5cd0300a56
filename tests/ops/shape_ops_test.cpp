// Shape ops: forward against index arithmetic, gradients against central
// differences, errors that name the op and shapes.
#include <gtest/gtest.h>

#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/executor.h"
#include "cutrain/graph/gradcheck.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/ops/op.h"

using namespace cutrain;
using Ints = std::vector<int64_t>;

namespace {
Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-2, 2, seed);
  return dt == DType::f64 ? t : t.to(dt);
}
void expect_same_elements(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.flat(i), b.flat(i));
}
void expect_error_mentions(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    for (const std::string& p : parts) EXPECT_NE(m.find(p), std::string::npos) << m;
  }
}
}  // namespace

TEST(ShapeOps, ReshapeFamilyKeepsElementOrder) {
  const Tensor x = random({3, 1, 5, 2}, 1, DType::f32);
  Tensor y = ops::call("reshape", {x}, {{"shape", Ints{5, -1}}})[0];
  EXPECT_EQ(y.shape(), Shape({5, 6}));
  expect_same_elements(x, y);
  y = ops::call("flatten", {x})[0];
  EXPECT_EQ(y.shape(), Shape({3, 10}));
  expect_same_elements(x, y);
  y = ops::call("squeeze", {x}, {{"axes", Ints{}}})[0];
  EXPECT_EQ(y.shape(), Shape({3, 5, 2}));
  y = ops::call("squeeze", {x}, {{"axes", Ints{-3}}})[0];
  EXPECT_EQ(y.shape(), Shape({3, 5, 2}));
  expect_same_elements(x, y);
  y = ops::call("expand_dims", {x}, {{"axis", int64_t{-1}}})[0];
  EXPECT_EQ(y.shape(), Shape({3, 1, 5, 2, 1}));
  y = ops::call("expand_dims", {x}, {{"axis", int64_t{0}}})[0];
  EXPECT_EQ(y.shape(), Shape({1, 3, 1, 5, 2}));
  expect_same_elements(x, y);
  // Integer dtypes move too (the copies are byte-wise).
  const Tensor m = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6}, DType::u8);
  expect_same_elements(m, ops::call("reshape", {m}, {{"shape", Ints{3, 2}}})[0]);
}

TEST(ShapeOps, ConcatAndSplitMatchIndexing) {
  const Tensor a = random({3, 2, 4}, 1), b = random({3, 5, 4}, 2), c = random({3, 1, 4}, 3);
  const Tensor y = ops::call("concat", {a, b, c}, {{"axis", int64_t{1}}})[0];
  ASSERT_EQ(y.shape(), Shape({3, 8, 4}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 8; ++j)
      for (int k = 0; k < 4; ++k) {
        const double e = j < 2 ? a.at({i, j, k}) : j < 7 ? b.at({i, j - 2, k}) : c.at({i, j - 7, k});
        EXPECT_EQ(y.at({i, j, k}), e);
      }
  const auto parts = ops::call("split", {y}, {{"axis", int64_t{-2}}, {"sizes", Ints{2, 5, 1}}});
  ASSERT_EQ(parts.size(), 3u);
  expect_same_elements(parts[0], a);
  expect_same_elements(parts[1], b);
  expect_same_elements(parts[2], c);
  EXPECT_EQ(parts[1].shape(), Shape({3, 5, 4}));
}

TEST(ShapeOps, TransposeGeneralPermutation) {
  const Tensor x = random({3, 5, 7}, 4);
  const Tensor y = ops::call("transpose", {x}, {{"perm", Ints{2, 0, 1}}})[0];
  ASSERT_EQ(y.shape(), Shape({7, 3, 5}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      for (int k = 0; k < 7; ++k) EXPECT_EQ(y.at({k, i, j}), x.at({i, j, k}));
  const Tensor m = random({4, 6}, 5, DType::f32);
  const Tensor mt = ops::call("transpose", {m}, {{"perm", Ints{}}})[0];
  ASSERT_EQ(mt.shape(), Shape({6, 4}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_EQ(mt.at({j, i}), m.at({i, j}));
}

TEST(ShapeOps, ErrorsNameOpAndShapes) {
  const Tensor x = random({3, 5}, 1);
  expect_error_mentions([&] { ops::call("reshape", {x}, {{"shape", Ints{4, -1}}}); }, {"reshape", "[3, 5]"});
  expect_error_mentions([&] { ops::call("reshape", {x}, {{"shape", Ints{-1, -1}}}); }, {"reshape"});
  expect_error_mentions([&] { ops::call("squeeze", {x}, {{"axes", Ints{1}}}); }, {"squeeze", "[3, 5]"});
  expect_error_mentions([&] { ops::call("concat", {x, random({4, 4}, 2)}, {{"axis", int64_t{0}}}); },
                        {"concat", "[3, 5]", "[4, 4]"});
  expect_error_mentions([&] { ops::call("split", {x}, {{"axis", int64_t{1}}, {"sizes", Ints{2, 2}}}); },
                        {"split", "[3, 5]"});
  expect_error_mentions([&] { ops::call("transpose", {x}, {{"perm", Ints{0, 0}}}); }, {"transpose"});
  expect_error_mentions([&] { ops::call("expand_dims", {x}, {{"axis", int64_t{3}}}); }, {"expand_dims", "[3, 5]"});
}

class ShapeOpsGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ShapeOpsGrad, ViewsAndTranspose) {
  const uint64_t seed = GetParam();
  const Tensor x = random({3, 1, 5, 7}, seed);
  const std::vector<std::pair<const char*, ops::Attrs>> cases = {
      {"reshape", {{"shape", Ints{7, -1, 3}}}},   {"flatten", {}},
      {"squeeze", {{"axes", Ints{1}}}},            {"expand_dims", {{"axis", int64_t{2}}}},
      {"transpose", {{"perm", Ints{3, 1, 0, 2}}}}, {"transpose", {}}};
  for (const auto& [op, attrs] : cases) {
    auto r = graph::check_op_gradients(op, {x}, attrs, {.seed = seed});
    EXPECT_TRUE(r.ok) << op << "\n" << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  }
}

TEST_P(ShapeOpsGrad, ConcatAndSplit) {
  const uint64_t seed = GetParam();
  auto r = graph::check_op_gradients(
      "concat", {random({3, 2, 7}, seed), random({3, 5, 7}, seed + 1), random({3, 1, 7}, seed + 2)},
      {{"axis", int64_t{1}}}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
  r = graph::check_op_gradients("concat", {random({1, 5}, seed)}, {{"axis", int64_t{0}}}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  r = graph::check_op_gradients("split", {random({3, 5, 7}, seed)}, {{"axis", int64_t{2}}, {"sizes", Ints{3, 1, 3}}},
                                {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_LE(r.max_rel_error_inputs, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ShapeOpsGrad, ::testing::Values(1u, 2u, 3u));

// Only some outputs of a split feed the loss: the others contribute zeros.
TEST(ShapeOps, SplitGradientFillsUnusedPartsWithZeros) {
  graph::Graph g;
  const Tensor x0 = random({2, 6}, 9);
  auto x = g.parameter("x", x0);
  auto parts = graph::split(x, 1, {2, 3, 1});
  auto loss = graph::sum(graph::square(parts[1]));
  auto dx = graph::gradients(g, loss, {x})[0];
  graph::Executor ex(g, Device::cpu());
  const Tensor out = ex.run(std::map<int, Tensor>{}, {dx}, graph::kTraining)[0];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_EQ(out.at({i, j}), (j >= 2 && j < 5) ? 2 * x0.at({i, j}) : 0.0);
}
