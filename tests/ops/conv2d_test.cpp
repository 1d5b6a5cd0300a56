// Convolution family: forward and both backward ops against direct loops
// (no im2col), gradients against central differences, inference errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "cutrain/graph/gradcheck.h"
#include "cutrain/ops/conv2d.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor random(const Shape& s, uint64_t seed, DType dt = DType::f64) {
  Tensor t = Tensor::empty(s, DType::f64);
  t.uniform(-1, 1, seed);
  return dt == DType::f64 ? t : t.to(dt);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// One convolution case with its geometry worked out here, independently of
// ops/padding: SAME as in TensorFlow (out = ceil(in/s), odd pixel after).
struct Case {
  const char* name;
  Shape x, w;
  bool bias;
  int64_t sh, sw;
  std::string padding;
  std::vector<int64_t> pads;  // EXPLICIT only
  int64_t dh = 1, dw = 1;

  ops::Attrs attrs() const {
    ops::Attrs a{{"strides", std::vector<int64_t>{sh, sw}}, {"padding", padding}};
    if (!pads.empty()) a.set("pads", pads);
    if (dh != 1 || dw != 1) a.set("dilations", std::vector<int64_t>{dh, dw});
    return a;
  }
  // {out, pad_before} along one axis.
  std::pair<int64_t, int64_t> axis(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pa) const {
    const int64_t ke = (k - 1) * d + 1;
    if (padding == "VALID") return {(in - ke) / s + 1, 0};
    if (padding == "EXPLICIT") return {(in + pb + pa - ke) / s + 1, pb};
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + ke - in, 0);
    return {out, total / 2};
  }
  int64_t pad(int i) const { return pads.empty() ? 0 : pads[static_cast<size_t>(i)]; }
  std::pair<int64_t, int64_t> rows() const { return axis(x[1], w[1], sh, dh, pad(0), pad(1)); }
  std::pair<int64_t, int64_t> cols() const { return axis(x[2], w[2], sw, dw, pad(2), pad(3)); }
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"1x1", {2, 5, 4, 3}, {4, 1, 1, 3}, true, 1, 1, "SAME", {}},
      {"1x1_stride2", {2, 5, 4, 3}, {2, 1, 1, 3}, false, 2, 2, "VALID", {}},
      {"3x3_s2_valid", {2, 7, 5, 3}, {4, 3, 3, 3}, true, 2, 2, "VALID", {}},
      {"1x7_same", {2, 7, 9, 3}, {4, 1, 7, 3}, false, 1, 1, "SAME", {}},
      {"7x1_same", {1, 9, 6, 5}, {3, 7, 1, 5}, true, 1, 1, "SAME", {}},
      {"3x3_same_7x5_c3", {2, 7, 5, 3}, {4, 3, 3, 3}, true, 1, 1, "SAME", {}},
      {"3x3_same_7x5_c5", {1, 7, 5, 5}, {3, 3, 3, 5}, false, 1, 1, "SAME", {}},
      // Even input, stride 2: the padding is asymmetric (0 before, 1 after).
      {"3x3_same_s2_6x8", {2, 6, 8, 3}, {2, 3, 3, 3}, true, 2, 2, "SAME", {}},
      {"5x5_same", {1, 7, 6, 2}, {3, 5, 5, 2}, false, 1, 1, "SAME", {}},
      {"explicit_dilated", {2, 8, 7, 3}, {2, 3, 2, 3}, true, 1, 2, "EXPLICIT", {1, 0, 2, 1}, 2, 1},
  };
  return c;
}

// Direct convolution: seven nested loops over (n, oh, ow, o, i, j, c).
Tensor naive_conv(const Case& k, const Tensor& x, const Tensor& w, const Tensor& b) {
  const auto [oh_n, pt] = k.rows();
  const auto [ow_n, pl] = k.cols();
  Tensor y = Tensor::zeros({k.x[0], oh_n, ow_n, k.w[0]}, DType::f64);
  const auto xs = k.x.contiguous_strides(), ws = k.w.contiguous_strides();
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  double* py = y.data<double>();
  for (int64_t n = 0; n < k.x[0]; ++n)
    for (int64_t oh = 0; oh < oh_n; ++oh)
      for (int64_t ow = 0; ow < ow_n; ++ow)
        for (int64_t o = 0; o < k.w[0]; ++o) {
          double s = b.defined() ? b.at({o}) : 0.0;
          for (int64_t i = 0; i < k.w[1]; ++i)
            for (int64_t j = 0; j < k.w[2]; ++j)
              for (int64_t c = 0; c < k.x[3]; ++c) {
                const int64_t ih = oh * k.sh - pt + i * k.dh, iw = ow * k.sw - pl + j * k.dw;
                if (ih < 0 || ih >= k.x[1] || iw < 0 || iw >= k.x[2]) continue;
                s += px[n * xs[0] + ih * xs[1] + iw * xs[2] + c] * pw[o * ws[0] + i * ws[1] + j * ws[2] + c];
              }
          py[((n * oh_n + oh) * ow_n + ow) * k.w[0] + o] = s;
        }
  return y;
}

// The same loops, scattering dy into dx and dw.
void naive_conv_backward(const Case& k, const Tensor& x, const Tensor& w, const Tensor& dy, Tensor& dx,
                         Tensor& dw) {
  const auto [oh_n, pt] = k.rows();
  const auto [ow_n, pl] = k.cols();
  dx = Tensor::zeros(k.x, DType::f64);
  dw = Tensor::zeros(k.w, DType::f64);
  const auto xs = k.x.contiguous_strides(), ws = k.w.contiguous_strides();
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  const double* pdy = dy.data<double>();
  double* pdx = dx.data<double>();
  double* pdw = dw.data<double>();
  for (int64_t n = 0; n < k.x[0]; ++n)
    for (int64_t oh = 0; oh < oh_n; ++oh)
      for (int64_t ow = 0; ow < ow_n; ++ow)
        for (int64_t o = 0; o < k.w[0]; ++o) {
          const double g = pdy[((n * oh_n + oh) * ow_n + ow) * k.w[0] + o];
          for (int64_t i = 0; i < k.w[1]; ++i)
            for (int64_t j = 0; j < k.w[2]; ++j)
              for (int64_t c = 0; c < k.x[3]; ++c) {
                const int64_t ih = oh * k.sh - pt + i * k.dh, iw = ow * k.sw - pl + j * k.dw;
                if (ih < 0 || ih >= k.x[1] || iw < 0 || iw >= k.x[2]) continue;
                const int64_t xi = n * xs[0] + ih * xs[1] + iw * xs[2] + c;
                const int64_t wi = o * ws[0] + i * ws[1] + j * ws[2] + c;
                pdx[xi] += g * pw[wi];
                pdw[wi] += g * px[xi];
              }
        }
}

double max_rel(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < b.numel(); ++i) m = std::max(m, std::fabs(b.flat(i)));
  return max_abs_diff(a, b) / std::max(m, 1e-300);
}

std::vector<Tensor> conv_inputs(const Case& k, uint64_t seed, DType dt = DType::f64) {
  std::vector<Tensor> in{random(k.x, seed, dt), random(k.w, seed + 100, dt)};
  if (k.bias) in.push_back(random({k.w[0]}, seed + 200, dt));
  return in;
}

}  // namespace

TEST(Conv2d, ForwardMatchesDirectLoopsInDouble) {
  for (const Case& k : cases()) {
    const auto in = conv_inputs(k, 7);
    const Tensor y = ops::call("conv2d", in, k.attrs())[0];
    const Tensor want = naive_conv(k, in[0], in[1], k.bias ? in[2] : Tensor());
    ASSERT_EQ(y.shape(), want.shape()) << k.name;
    EXPECT_LE(max_abs_diff(y, want), 1e-12) << k.name;
  }
}

TEST(Conv2d, SameOutputSizesFollowTensorFlow) {
  // ceil(in / stride) whatever the kernel; VALID shrinks by k - 1.
  auto shape_of = [](Shape x, Shape w, int64_t s, const char* p) {
    return ops::infer("conv2d", {{"strides", std::vector<int64_t>{s, s}}, {"padding", std::string(p)}},
                      {{x, DType::f32}, {w, DType::f32}})[0]
        .shape;
  };
  EXPECT_EQ(shape_of({8, 299, 299, 3}, {32, 3, 3, 3}, 2, "VALID"), (Shape{8, 149, 149, 32}));
  EXPECT_EQ(shape_of({8, 149, 149, 32}, {32, 3, 3, 32}, 1, "VALID"), (Shape{8, 147, 147, 32}));
  EXPECT_EQ(shape_of({8, 147, 147, 32}, {64, 3, 3, 32}, 1, "SAME"), (Shape{8, 147, 147, 64}));
  EXPECT_EQ(shape_of({1, 17, 17, 8}, {8, 1, 7, 8}, 1, "SAME"), (Shape{1, 17, 17, 8}));
  EXPECT_EQ(shape_of({1, 35, 35, 8}, {8, 3, 3, 8}, 2, "VALID"), (Shape{1, 17, 17, 8}));
  EXPECT_EQ(shape_of({1, 6, 7, 1}, {1, 3, 3, 1}, 2, "SAME"), (Shape{1, 3, 4, 1}));
}

TEST(Conv2d, BackwardOpsMatchDirectLoops) {
  for (const Case& k : cases()) {
    const auto in = conv_inputs(k, 3);
    const Tensor y = ops::call("conv2d", in, k.attrs())[0];
    const Tensor dy = random(y.shape(), 99);
    Tensor dx_want, dw_want;
    naive_conv_backward(k, in[0], in[1], dy, dx_want, dw_want);
    ops::Attrs ai = k.attrs(), af = k.attrs();
    ai.set("input_shape", k.x.dims());
    af.set("filter_shape", k.w.dims());
    const Tensor dx = ops::call("conv2d_backward_input", {dy, in[1]}, ai)[0];
    const Tensor dw = ops::call("conv2d_backward_filter", {dy, in[0]}, af)[0];
    EXPECT_LE(max_abs_diff(dx, dx_want), 1e-12) << k.name;
    EXPECT_LE(max_abs_diff(dw, dw_want), 1e-12) << k.name;
    const Tensor db = ops::call("reduce_nhw_sum", {dy})[0];
    for (int64_t o = 0; o < k.w[0]; ++o) {
      double s = 0;
      for (int64_t i = 0; i < dy.numel() / k.w[0]; ++i) s += dy.flat(i * k.w[0] + o);
      EXPECT_NEAR(db.at({o}), s, 1e-12) << k.name;
    }
  }
}

TEST(Conv2d, ManyChunksMatchDirectLoops) {
  // Each image's column matrix is ~19 MB in double, so the 64 MB column budget
  // splits this batch into chunks (and backward_filter accumulates across them).
  const Case k{"chunked", {5, 64, 64, 64}, {3, 3, 3, 64}, true, 1, 1, "SAME", {}};
  const auto in = conv_inputs(k, 5);
  const Tensor y = ops::call("conv2d", in, k.attrs())[0];
  EXPECT_LE(max_abs_diff(y, naive_conv(k, in[0], in[1], in[2])), 1e-12);
  const Tensor dy = random(y.shape(), 6);
  Tensor dx_want, dw_want;
  naive_conv_backward(k, in[0], in[1], dy, dx_want, dw_want);
  ops::Attrs ai = k.attrs(), af = k.attrs();
  ai.set("input_shape", k.x.dims());
  af.set("filter_shape", k.w.dims());
  EXPECT_LE(max_abs_diff(ops::call("conv2d_backward_input", {dy, in[1]}, ai)[0], dx_want), 1e-12);
  EXPECT_LE(max_abs_diff(ops::call("conv2d_backward_filter", {dy, in[0]}, af)[0], dw_want), 1e-11);
}

TEST(Conv2d, FloatMatchesDoubleReference) {
  for (const Case& k : cases()) {
    const auto in64 = conv_inputs(k, 9);
    std::vector<Tensor> in32;
    for (const Tensor& t : in64) in32.push_back(t.to(DType::f32));
    const Tensor y = ops::call("conv2d", in32, k.attrs())[0];
    ASSERT_EQ(y.dtype(), DType::f32);
    EXPECT_LE(max_rel(y.to(DType::f64), naive_conv(k, in64[0], in64[1], k.bias ? in64[2] : Tensor())), 1e-5)
        << k.name;
  }
}

class Conv2dGrad : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Conv2dGrad, InputWeightsAndBias) {
  const uint64_t seed = GetParam();
  double worst = 0;
  for (const Case& k : cases()) {
    graph::GradCheckOptions o;
    o.seed = seed;
    o.param_inputs = k.bias ? std::vector<int>{1, 2} : std::vector<int>{1};
    const auto r = graph::check_op_gradients("conv2d", conv_inputs(k, seed), k.attrs(), o);
    EXPECT_TRUE(r.ok) << k.name << "\n" << r.detail;
    EXPECT_LE(r.max_rel_error_inputs, 1e-6) << k.name;
    EXPECT_LE(r.max_rel_error_params, 1e-6) << k.name;
    EXPECT_GT(r.checked, 0) << k.name;
    worst = std::max({worst, r.max_rel_error_inputs, r.max_rel_error_params});
  }
  std::printf("conv2d seed %llu: max relative error %.3g\n", static_cast<unsigned long long>(seed), worst);
}

TEST_P(Conv2dGrad, BackwardOpsAreDifferentiable) {
  const uint64_t seed = GetParam();
  for (const Case& k : {cases()[2], cases()[7], cases()[9]}) {
    const Tensor y = ops::call("conv2d", conv_inputs(k, seed), k.attrs())[0];
    ops::Attrs ai = k.attrs(), af = k.attrs();
    ai.set("input_shape", k.x.dims());
    af.set("filter_shape", k.w.dims());
    auto r = graph::check_op_gradients("conv2d_backward_input",
                                       {random(y.shape(), seed + 1), random(k.w, seed + 2)}, ai, {.seed = seed});
    EXPECT_TRUE(r.ok) << k.name << "\n" << r.detail;
    r = graph::check_op_gradients("conv2d_backward_filter",
                                  {random(y.shape(), seed + 3), random(k.x, seed + 4)}, af, {.seed = seed});
    EXPECT_TRUE(r.ok) << k.name << "\n" << r.detail;
  }
  const auto r = graph::check_op_gradients("reduce_nhw_sum", {random({2, 3, 5, 4}, seed)}, {}, {.seed = seed});
  EXPECT_TRUE(r.ok) << r.detail;
}

INSTANTIATE_TEST_SUITE_P(Seeds, Conv2dGrad, ::testing::Values(1u, 2u, 3u));

TEST(Conv2d, InferenceErrorsNameTheOpAndShapes) {
  const std::string channels = error_of([] {
    ops::call("conv2d", {random({2, 7, 5, 3}, 1), random({4, 3, 3, 5}, 2)}, {{"padding", std::string("SAME")}});
  });
  EXPECT_NE(channels.find("conv2d"), std::string::npos) << channels;
  EXPECT_NE(channels.find("[2, 7, 5, 3]"), std::string::npos) << channels;
  EXPECT_NE(channels.find("[4, 3, 3, 5]"), std::string::npos) << channels;
  EXPECT_NE(channels.find("channels"), std::string::npos) << channels;

  const std::string bias = error_of([] {
    ops::call("conv2d", {random({1, 5, 5, 3}, 1), random({4, 3, 3, 3}, 2), random({3}, 3)});
  });
  EXPECT_NE(bias.find("bias"), std::string::npos) << bias;
  EXPECT_NE(bias.find("[4, 3, 3, 3]"), std::string::npos) << bias;

  const std::string valid = error_of([] {
    ops::call("conv2d", {random({1, 2, 5, 3}, 1), random({4, 3, 3, 3}, 2)}, {{"padding", std::string("VALID")}});
  });
  EXPECT_NE(valid.find("conv2d"), std::string::npos) << valid;
  EXPECT_NE(valid.find("[1, 2, 5, 3]"), std::string::npos) << valid;

  const std::string pad = error_of([] {
    ops::call("conv2d", {random({1, 5, 5, 3}, 1), random({4, 3, 3, 3}, 2)}, {{"padding", std::string("same")}});
  });
  EXPECT_NE(pad.find("SAME, VALID or EXPLICIT"), std::string::npos) << pad;

  const std::string dtype = error_of([] {
    ops::call("conv2d", {random({1, 5, 5, 3}, 1), random({4, 3, 3, 3}, 2, DType::f32)});
  });
  EXPECT_NE(dtype.find("dtypes"), std::string::npos) << dtype;

  const std::string rank = error_of([] { ops::call("conv2d", {random({5, 5, 3}, 1), random({4, 3, 3, 3}, 2)}); });
  EXPECT_NE(rank.find("rank 4"), std::string::npos) << rank;
}
