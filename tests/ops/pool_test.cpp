// Pooling family: forward against direct loops, TensorFlow's and
// torchvision's divisors, argmax tie rule, gradients against central differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/op.h"
#include "cutrain/ops/pool.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-1, 1, seed);
  return t;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Pool {
  const char* name;
  Shape x;
  int64_t kh, kw, sh, sw;
  std::string padding;
  ops::Attrs attrs(bool include_pad = false) const {
    ops::Attrs a{{"window", std::vector<int64_t>{kh, kw}},
                 {"strides", std::vector<int64_t>{sh, sw}},
                 {"padding", padding}};
    if (include_pad) a.set("count_include_pad", true);
    return a;
  }
  // {out, pad_before, pad_after} along one axis, TensorFlow's rule.
  std::array<int64_t, 3> axis(int64_t in, int64_t k, int64_t s) const {
    if (padding == "VALID") return {(in - k) / s + 1, 0, 0};
    const int64_t out = (in + s - 1) / s, total = std::max<int64_t>((out - 1) * s + k - in, 0);
    return {out, total / 2, total - total / 2};
  }
};

const std::vector<Pool>& pools() {
  static const std::vector<Pool> p = {
      {"3x3_s1_same", {2, 5, 7, 3}, 3, 3, 1, 1, "SAME"},
      {"3x3_s2_valid", {2, 7, 6, 3}, 3, 3, 2, 2, "VALID"},
      {"3x3_s2_same_even", {1, 6, 8, 2}, 3, 3, 2, 2, "SAME"},
      {"2x3_s2x1_same", {2, 5, 5, 3}, 2, 3, 2, 1, "SAME"},
      {"5x5_s3_valid", {1, 11, 8, 2}, 5, 5, 3, 3, "VALID"},
  };
  return p;
}

enum class Kind { max, avg_tf, avg_include_pad };

// Direct loops over every window: padding is skipped for the max and the TF
// average, counted (inside the padded extent) for the include-pad average.
Tensor naive_pool(const Pool& p, const Tensor& x, Kind kind) {
  const auto [oh_n, pt, pb] = p.axis(p.x[1], p.kh, p.sh);
  const auto [ow_n, pl, pr] = p.axis(p.x[2], p.kw, p.sw);
  Tensor y = Tensor::zeros({p.x[0], oh_n, ow_n, p.x[3]}, DType::f64);
  for (int64_t n = 0; n < p.x[0]; ++n)
    for (int64_t oh = 0; oh < oh_n; ++oh)
      for (int64_t ow = 0; ow < ow_n; ++ow)
        for (int64_t c = 0; c < p.x[3]; ++c) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int64_t count = 0, padded = 0;
          for (int64_t i = 0; i < p.kh; ++i)
            for (int64_t j = 0; j < p.kw; ++j) {
              const int64_t ih = oh * p.sh - pt + i, iw = ow * p.sw - pl + j;
              if (ih < p.x[1] + pb && iw < p.x[2] + pr) ++padded;
              if (ih < 0 || ih >= p.x[1] || iw < 0 || iw >= p.x[2]) continue;
              const double v = x.at({n, ih, iw, c});
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          const double r = kind == Kind::max ? best : sum / static_cast<double>(kind == Kind::avg_tf ? count : padded);
          y.set_flat(((n * oh_n + oh) * ow_n + ow) * p.x[3] + c, r);
        }
  return y;
}

void print_worst(const char* what, uint64_t seed, double worst) {
  std::printf("%s seed %llu: max relative error %.3g\n", what, static_cast<unsigned long long>(seed), worst);
}

}  // namespace

TEST(Pool, ForwardMatchesDirectLoops) {
  for (const Pool& p : pools()) {
    const Tensor x = random(p.x, 4);
    const Tensor mx = ops::call("max_pool", {x}, p.attrs())[0];
    const Tensor tf = ops::call("avg_pool", {x}, p.attrs())[0];
    const Tensor ip = ops::call("avg_pool", {x}, p.attrs(true))[0];
    const Tensor want = naive_pool(p, x, Kind::max);
    ASSERT_EQ(mx.shape(), want.shape()) << p.name;
    EXPECT_EQ(max_abs_diff(mx, want), 0.0) << p.name;
    EXPECT_LE(max_abs_diff(tf, naive_pool(p, x, Kind::avg_tf)), 1e-12) << p.name;
    EXPECT_LE(max_abs_diff(ip, naive_pool(p, x, Kind::avg_include_pad)), 1e-12) << p.name;
  }
}

TEST(Pool, AvgSameDivisorsTensorFlowVersusIncludePad) {
  // Ones in, 3x3 SAME stride 1: TF divides by the in-bounds count (corner 4,
  // edge 6), so every output is 1; include-pad divides by 9.
  const Tensor ones = Tensor::full({1, 4, 5, 2}, DType::f64, 1.0);
  const ops::Attrs a{{"window", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{1, 1}},
                     {"padding", std::string("SAME")}};
  const Tensor tf = ops::call("avg_pool", {ones}, a)[0];
  for (int64_t i = 0; i < tf.numel(); ++i) EXPECT_DOUBLE_EQ(tf.flat(i), 1.0);
  ops::Attrs b = a;
  b.set("count_include_pad", true);
  const Tensor ip = ops::call("avg_pool", {ones}, b)[0];
  EXPECT_DOUBLE_EQ(ip.at({0, 0, 0, 0}), 4.0 / 9.0);  // corner
  EXPECT_DOUBLE_EQ(ip.at({0, 0, 2, 1}), 6.0 / 9.0);  // top edge
  EXPECT_DOUBLE_EQ(ip.at({0, 2, 0, 0}), 6.0 / 9.0);  // left edge
  EXPECT_DOUBLE_EQ(ip.at({0, 1, 1, 0}), 1.0);        // interior
  EXPECT_DOUBLE_EQ(ip.at({0, 3, 4, 1}), 4.0 / 9.0);  // far corner

  // Random values: the corner is the mean of its 4 in-bounds neighbours, an edge of 6.
  const Tensor x = random({1, 4, 5, 1}, 8);
  const Tensor y = ops::call("avg_pool", {x}, a)[0];
  const double corner = (x.at({0, 0, 0, 0}) + x.at({0, 0, 1, 0}) + x.at({0, 1, 0, 0}) + x.at({0, 1, 1, 0})) / 4;
  EXPECT_NEAR(y.at({0, 0, 0, 0}), corner, 1e-15);
  double edge = 0;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 1; j < 4; ++j) edge += x.at({0, i, j, 0});
  EXPECT_NEAR(y.at({0, 0, 2, 0}), edge / 6, 1e-15);
  const Tensor yp = ops::call("avg_pool", {x}, b)[0];
  EXPECT_NEAR(yp.at({0, 0, 2, 0}), edge / 9, 1e-15);
}

TEST(Pool, MaxIgnoresPadding) {
  // All negative: a zero from the padding must never win.
  Tensor x = random({1, 4, 5, 2}, 3);
  for (int64_t i = 0; i < x.numel(); ++i) x.set_flat(i, -2.0 - std::fabs(x.flat(i)));
  const ops::Attrs a{{"window", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}},
                     {"padding", std::string("SAME")}};
  const Tensor y = ops::call("max_pool", {x}, a)[0];
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_LT(y.flat(i), -2.0);
}

TEST(Pool, MaxGradGoesToFirstArgmaxOnTies) {
  // Constant input: every window ties, the first element in scan order
  // (top-left of the in-bounds part) takes the gradient.
  const Tensor x = Tensor::full({1, 4, 4, 1}, DType::f64, 0.5);
  const ops::Attrs a{{"window", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}},
                     {"padding", std::string("VALID")}};
  const Tensor dy = Tensor::from_vector({1, 2, 2, 1}, {1, 2, 3, 4}, DType::f64);
  const Tensor dx = ops::call("max_pool_grad", {dy, x}, a)[0];
  const std::vector<double> want{1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0};
  EXPECT_EQ(dx.to_vector(), want);

  // Overlapping 3x3 SAME windows on a constant map: each output's gradient
  // lands on its window's top-left in-bounds element.
  const Tensor c = Tensor::full({1, 3, 3, 1}, DType::f64, 1.0);
  const ops::Attrs s{{"window", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{1, 1}},
                     {"padding", std::string("SAME")}};
  const Tensor ones = Tensor::full({1, 3, 3, 1}, DType::f64, 1.0);
  const Tensor d = ops::call("max_pool_grad", {ones, c}, s)[0];
  // Output (oh, ow) sends to (max(oh-1,0), max(ow-1,0)).
  const std::vector<double> want2{4, 2, 0, 2, 1, 0, 0, 0, 0};
  EXPECT_EQ(d.to_vector(), want2);

  // A strict maximum takes everything.
  Tensor y = random({1, 3, 3, 1}, 2);
  y.set_flat(7, 5.0);
  const Tensor e = ops::call("max_pool_grad", {ones, y}, s)[0];
  EXPECT_DOUBLE_EQ(e.flat(7), 6.0);  // in the windows of rows 1..2, cols 0..2
}

TEST(Pool, GlobalAvgPool) {
  const Tensor x = random({2, 3, 5, 4}, 6);
  const Tensor y = ops::call("global_avg_pool", {x})[0];
  const Tensor yk = ops::call("global_avg_pool", {x}, {{"keepdims", true}})[0];
  ASSERT_EQ(y.shape(), (Shape{2, 4}));
  ASSERT_EQ(yk.shape(), (Shape{2, 1, 1, 4}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 4; ++c) {
      double s = 0;
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t w = 0; w < 5; ++w) s += x.at({n, h, w, c});
      EXPECT_NEAR(y.at({n, c}), s / 15, 1e-15);
      EXPECT_NEAR(yk.at({n, 0, 0, c}), s / 15, 1e-15);
    }
}

TEST(Pool, FloatMatchesDouble) {
  for (const Pool& p : pools()) {
    const Tensor x = random(p.x, 12);
    const Tensor y = ops::call("avg_pool", {x.to(DType::f32)}, p.attrs())[0];
    ASSERT_EQ(y.dtype(), DType::f32);
    EXPECT_LE(max_abs_diff(y.to(DType::f64), naive_pool(p, x, Kind::avg_tf)), 1e-6) << p.name;
    const Tensor m = ops::call("max_pool", {x.to(DType::f32)}, p.attrs())[0];
    EXPECT_LE(max_abs_diff(m.to(DType::f64), naive_pool(p, x, Kind::max)), 1e-7) << p.name;
  }
}

class PoolGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PoolGrad, MaxAndAvg) {
  const uint64_t seed = GetParam();
  double worst = 0;
  for (const Pool& p : pools()) {
    const Tensor x = random(p.x, seed);
    auto r = graph::check_op_gradients("max_pool", {x}, p.attrs(), {.seed = seed});
    EXPECT_TRUE(r.ok) << p.name << "\n" << r.detail;
    worst = std::max(worst, r.max_rel_error_inputs);
    for (bool include_pad : {false, true}) {
      r = graph::check_op_gradients("avg_pool", {x}, p.attrs(include_pad), {.seed = seed});
      EXPECT_TRUE(r.ok) << p.name << " include_pad=" << include_pad << "\n" << r.detail;
      EXPECT_EQ(r.skipped, 0) << p.name;
      worst = std::max(worst, r.max_rel_error_inputs);
      // avg_pool_grad is linear in dy; its own backward is avg_pool.
      ops::Attrs a = p.attrs(include_pad);
      a.set("input_shape", p.x.dims());
      const Tensor y = ops::call("avg_pool", {x}, p.attrs(include_pad))[0];
      r = graph::check_op_gradients("avg_pool_grad", {random(y.shape(), seed + 7)}, a, {.seed = seed});
      EXPECT_TRUE(r.ok) << p.name << " avg_pool_grad\n" << r.detail;
      worst = std::max(worst, r.max_rel_error_inputs);
    }
  }
  print_worst("pools", seed, worst);
}

TEST_P(PoolGrad, GlobalAvg) {
  const uint64_t seed = GetParam();
  for (bool keepdims : {false, true}) {
    const Tensor x = random({2, 3, 5, 4}, seed);
    auto r = graph::check_op_gradients("global_avg_pool", {x}, {{"keepdims", keepdims}}, {.seed = seed});
    EXPECT_TRUE(r.ok) << r.detail;
    const Shape dy = keepdims ? Shape{2, 1, 1, 4} : Shape{2, 4};
    r = graph::check_op_gradients("global_avg_pool_grad", {random(dy, seed + 1)},
                                  {{"input_shape", std::vector<int64_t>{2, 3, 5, 4}}}, {.seed = seed});
    EXPECT_TRUE(r.ok) << r.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PoolGrad, ::testing::Values(1u, 2u, 3u));

TEST(Pool, InferenceErrorsNameTheOpAndShapes) {
  const std::string big = error_of([] {
    ops::call("max_pool", {random({1, 2, 5, 3}, 1)},
              {{"window", std::vector<int64_t>{3, 3}}, {"padding", std::string("VALID")}});
  });
  EXPECT_NE(big.find("max_pool"), std::string::npos) << big;
  EXPECT_NE(big.find("[1, 2, 5, 3]"), std::string::npos) << big;
  const std::string rank = error_of([] {
    ops::call("avg_pool", {random({2, 5}, 1)}, {{"window", std::vector<int64_t>{3, 3}}});
  });
  EXPECT_NE(rank.find("avg_pool"), std::string::npos) << rank;
  EXPECT_NE(rank.find("rank 4"), std::string::npos) << rank;
  const std::string pads = error_of([] {
    ops::call("avg_pool", {random({1, 5, 5, 1}, 1)},
              {{"window", std::vector<int64_t>{2, 2}}, {"padding", std::string("EXPLICIT")},
               {"pads", std::vector<int64_t>{2, 0, 0, 0}}});
  });
  EXPECT_NE(pads.find("smaller than the window"), std::string::npos) << pads;
}
