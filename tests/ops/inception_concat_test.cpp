// The fused Inception concat: forward against concat + per-branch affine and
// ReLU written out directly, shape errors, and gradients (plain, ReLU,
// affine + ReLU) against central differences.
#include <gtest/gtest.h>

#include <vector>

#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, DType t = DType::f64) {
  Tensor x = Tensor::empty(s, t);
  x.uniform(-1, 1, seed);
  return x;
}

// Direct loops: y[r, off_b + j] = relu?(a_b[j] x_b[r, j] + b_b[j]).
Tensor expected(const std::vector<Tensor>& x, const std::vector<Tensor>& a, const std::vector<Tensor>& b, bool relu) {
  int64_t total = 0;
  for (const Tensor& t : x) total += t.dim(-1);
  std::vector<int64_t> dims = x[0].shape().dims();
  dims.back() = total;
  Tensor y = Tensor::zeros(Shape(dims), x[0].dtype());
  const int64_t rows = y.numel() / total;
  int64_t off = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const int64_t c = x[k].dim(-1);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < c; ++j) {
        double v = x[k].flat(r * c + j);
        if (!a.empty()) {
          // In the tensor's precision: a * x + b cancels, so rounding matters.
          if (y.dtype() == DType::f32) {
            const float p = static_cast<float>(a[k].flat(j)) * static_cast<float>(v);
            v = static_cast<float>(p + static_cast<float>(b[k].flat(j)));
          } else {
            v = a[k].flat(j) * v + b[k].flat(j);
          }
        }
        y.set_flat(r * total + off + j, relu && v < 0 ? 0.0 : v);
      }
    off += c;
  }
  return y;
}

void expect_equal(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) ASSERT_DOUBLE_EQ(got.flat(i), want.flat(i)) << "element " << i;
}

}  // namespace

TEST(InceptionConcat, ForwardMatchesDirectLoops) {
  for (DType t : {DType::f32, DType::f64})
    for (int k : {2, 3, 4})
      for (bool relu : {false, true})
        for (bool affine : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "k=" << k << " relu=" << relu << " affine=" << affine);
          const int64_t channels[] = {3, 5, 4, 1};
          std::vector<Tensor> x, a, b;
          for (int i = 0; i < k; ++i) {
            x.push_back(random({2, 3, 2, channels[i]}, 10 + static_cast<uint64_t>(i), t));
            if (affine) {
              a.push_back(random({channels[i]}, 20 + static_cast<uint64_t>(i), t));
              b.push_back(random({channels[i]}, 30 + static_cast<uint64_t>(i), t));
            }
          }
          std::vector<Tensor> in = x;
          in.insert(in.end(), a.begin(), a.end());
          in.insert(in.end(), b.begin(), b.end());
          const Tensor y = ops::call("inception_concat", in, {{"relu", relu}, {"affine", affine}})[0];
          EXPECT_EQ(y.dtype(), t);
          expect_equal(y, expected(x, a, b, relu));
        }
}

TEST(InceptionConcat, RejectsBadShapes) {
  const Tensor a = random({2, 3, 3, 4}, 1), b = random({2, 3, 2, 4}, 2), c = random({2, 3, 3, 2}, 3);
  EXPECT_THROW(ops::call("inception_concat", {a, b}), Error);                                 // spatial mismatch
  EXPECT_THROW(ops::call("inception_concat", {a, a, a, a, a}), Error);                        // 5 branches
  EXPECT_THROW(ops::call("inception_concat", {a, c, random({4}, 4)}, {{"affine", true}}), Error);  // not 3k
  EXPECT_THROW(ops::call("inception_concat", {a, c, random({4}, 4), random({3}, 5), random({4}, 6), random({2}, 7)},
                         {{"affine", true}}),
               Error);  // scale of branch 1 has the wrong length
  EXPECT_NO_THROW(ops::call("inception_concat", {a, c}));
}

TEST(InceptionConcat, GradientsMatchCentralDifferences) {
  const std::vector<Tensor> x{random({1, 2, 1, 3}, 1), random({1, 2, 1, 2}, 2), random({1, 2, 1, 4}, 3)};
  for (bool relu : {false, true}) {
    auto r = graph::check_op_gradients("inception_concat", x, {{"relu", relu}});
    EXPECT_TRUE(r.ok) << "relu=" << relu << "\n" << r.detail;
    EXPECT_GT(r.checked, 0);
  }
  std::vector<Tensor> in = x;
  for (uint64_t s : {4, 5, 6}) in.push_back(random({x[s - 4].dim(-1)}, s));
  for (uint64_t s : {7, 8, 9}) in.push_back(random({x[s - 7].dim(-1)}, s));
  for (bool relu : {false, true}) {
    auto r = graph::check_op_gradients("inception_concat", in, {{"relu", relu}, {"affine", true}});
    EXPECT_TRUE(r.ok) << "affine relu=" << relu << "\n" << r.detail;
    EXPECT_GT(r.checked, 0);
  }
}

TEST(InceptionConcat, GradSplitsAndMasks) {
  // dx_b = a_b * (dy's slice where y > 0), on hand-checkable values.
  const Tensor x0 = Tensor::from_vector({1, 2}, {-1.0, 2.0}), x1 = Tensor::from_vector({1, 1}, {3.0});
  const Tensor a0 = Tensor::from_vector({2}, {2.0, 0.5}), a1 = Tensor::from_vector({1}, {-1.0});
  const Tensor b0 = Tensor::from_vector({2}, {0.0, 0.0}), b1 = Tensor::from_vector({1}, {0.0});
  const Tensor y = ops::call("inception_concat", {x0, x1, a0, a1, b0, b1}, {{"relu", true}, {"affine", true}})[0];
  expect_equal(y, Tensor::from_vector({1, 3}, {0.0, 1.0, 0.0}));
  const Tensor dy = Tensor::from_vector({1, 3}, {10.0, 20.0, 30.0});
  const auto dx = ops::call("inception_concat_grad", {dy, y, a0, a1},
                            {{"channels", std::vector<int64_t>{2, 1}}, {"relu", true}, {"affine", true}});
  ASSERT_EQ(dx.size(), 2u);
  expect_equal(dx[0], Tensor::from_vector({1, 2}, {0.0, 10.0}));
  expect_equal(dx[1], Tensor::from_vector({1, 1}, {0.0}));
}
