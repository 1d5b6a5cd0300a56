// cuDNN convolutions against a naive double-precision loop (NHWC, OHWI), for
// Inception V3's kinds of convolution: 1x1, 3x3 stride 2 VALID, 1x7/7x1 and
// 3x3 SAME, odd channel counts.
#include <gtest/gtest.h>

#include <cmath>

#include "gpu_test_util.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/conv.h"
#endif

using namespace cutrain;

#if CUTRAIN_WITH_CUDA
namespace {

struct Case {
  int n, h, w, c, o, kh, kw, stride;
  bool same;
};

cuda::ConvGeometry geometry(const Case& k) {
  cuda::ConvGeometry g;
  g.n = k.n, g.h = k.h, g.w = k.w, g.c = k.c, g.o = k.o, g.kh = k.kh, g.kw = k.kw;
  g.stride_h = g.stride_w = k.stride;
  if (k.same) {
    g.oh = (k.h + k.stride - 1) / k.stride;
    g.ow = (k.w + k.stride - 1) / k.stride;
    const int ph = std::max((g.oh - 1) * k.stride + k.kh - k.h, 0), pw = std::max((g.ow - 1) * k.stride + k.kw - k.w, 0);
    g.pad_top = ph / 2, g.pad_bottom = ph - ph / 2, g.pad_left = pw / 2, g.pad_right = pw - pw / 2;
  } else {
    g.oh = (k.h - k.kh) / k.stride + 1;
    g.ow = (k.w - k.kw) / k.stride + 1;
  }
  return g;
}

// y[n,oh,ow,o] = sum x[n, oh*s+i-pt, ow*s+j-pl, c] * w[o,i,j,c]
Tensor naive_forward(const Tensor& x, const Tensor& w, const cuda::ConvGeometry& g) {
  Tensor y = Tensor::zeros({g.n, g.oh, g.ow, g.o}, DType::f64);
  for (int n = 0; n < g.n; ++n)
    for (int a = 0; a < g.oh; ++a)
      for (int b = 0; b < g.ow; ++b)
        for (int o = 0; o < g.o; ++o) {
          double s = 0;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j) {
              const int hi = a * g.stride_h + i - g.pad_top, wj = b * g.stride_w + j - g.pad_left;
              if (hi < 0 || hi >= g.h || wj < 0 || wj >= g.w) continue;
              for (int c = 0; c < g.c; ++c) s += x.at({n, hi, wj, c}) * w.at({o, i, j, c});
            }
          y.set_flat(((static_cast<int64_t>(n) * g.oh + a) * g.ow + b) * g.o + o, s);
        }
  return y;
}

double rel_error(const Tensor& got, const Tensor& ref) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    num = std::max(num, std::fabs(got.flat(i) - ref.flat(i)));
    den = std::max(den, std::fabs(ref.flat(i)));
  }
  return num / std::max(den, 1e-30);
}

}  // namespace

class CudnnConv : public ::testing::TestWithParam<Case> {};

TEST_P(CudnnConv, ForwardAndBackwardMatchNaiveLoops) {
  CUTRAIN_REQUIRE_GPU();
  const Case k = GetParam();
  const cuda::ConvGeometry g = geometry(k);
  const Device gpu = Device::cuda(0);
  const Stream s = Stream::create(gpu);
  Tensor x = Tensor::empty({k.n, k.h, k.w, k.c}, DType::f32), w = Tensor::empty({k.o, k.kh, k.kw, k.c}, DType::f32);
  x.uniform(-1, 1, 1);
  w.uniform(-1, 1, 2);
  Tensor dy = Tensor::empty({g.n, g.oh, g.ow, g.o}, DType::f32);
  dy.uniform(-1, 1, 3);
  Tensor xd = x.to(gpu, s), wd = w.to(gpu, s), dyd = dy.to(gpu, s);
  Tensor yd = Tensor::empty(dy.shape(), DType::f32, gpu, s);
  Tensor dxd = Tensor::empty(x.shape(), DType::f32, gpu, s), dwd = Tensor::empty(w.shape(), DType::f32, gpu, s);
  cuda::conv2d_forward(xd, wd, yd, g, s);
  cuda::conv2d_backward_data(dyd, wd, dxd, g, s);
  cuda::conv2d_backward_filter(dyd, xd, dwd, g, s);
  const Tensor y = yd.to(Device::cpu(), s), dx = dxd.to(Device::cpu(), s), dw = dwd.to(Device::cpu(), s);

  const Tensor x64 = x.to(DType::f64), w64 = w.to(DType::f64), dy64 = dy.to(DType::f64);
  EXPECT_LE(rel_error(y, naive_forward(x64, w64, g)), 1e-4) << g.str();
  // Backward references by linearity: <dy, conv(x, w)> is bilinear, so
  // dx[e] = <dy, conv(unit_e, w)> and dw[e] = <dy, conv(x, unit_e)>; check a sample of entries.
  auto dot = [&](const Tensor& a, const Tensor& b) {
    double s2 = 0;
    for (int64_t i = 0; i < a.numel(); ++i) s2 += a.flat(i) * b.flat(i);
    return s2;
  };
  for (int64_t e = 0; e < x.numel(); e += std::max<int64_t>(1, x.numel() / 17)) {
    Tensor unit = Tensor::zeros(x.shape(), DType::f64);
    unit.set_flat(e, 1);
    EXPECT_NEAR(dx.flat(e), dot(dy64, naive_forward(unit, w64, g)), 1e-4 * (1 + std::fabs(dx.flat(e)))) << e;
  }
  for (int64_t e = 0; e < w.numel(); e += std::max<int64_t>(1, w.numel() / 17)) {
    Tensor unit = Tensor::zeros(w.shape(), DType::f64);
    unit.set_flat(e, 1);
    EXPECT_NEAR(dw.flat(e), dot(dy64, naive_forward(x64, unit, g)), 1e-4 * (1 + std::fabs(dw.flat(e)))) << e;
  }
  EXPECT_GE(cuda::chosen_algorithm("fwd", g), 0);
}

INSTANTIATE_TEST_SUITE_P(InceptionKinds, CudnnConv,
                         ::testing::Values(Case{2, 9, 7, 5, 3, 1, 1, 1, true}, Case{2, 11, 11, 3, 4, 3, 3, 2, false},
                                           Case{1, 9, 9, 6, 5, 1, 7, 1, true}, Case{1, 9, 9, 6, 5, 7, 1, 1, true},
                                           Case{3, 8, 6, 7, 9, 3, 3, 1, true}));

TEST(CudnnConvErrors, AsymmetricPaddingIsAClearError) {
  CUTRAIN_REQUIRE_GPU();
  cuda::ConvGeometry g = geometry(Case{1, 8, 8, 2, 2, 3, 3, 2, true});  // SAME stride 2 on even input
  const Stream s = Stream::create(Device::cuda(0));
  Tensor x = Tensor::zeros({1, 8, 8, 2}, DType::f32, Device::cuda(0), s), w = Tensor::zeros({2, 3, 3, 2}, DType::f32, Device::cuda(0), s);
  Tensor y = Tensor::zeros({1, g.oh, g.ow, 2}, DType::f32, Device::cuda(0), s);
  EXPECT_THROW(cuda::conv2d_forward(x, w, y, g, s), Error);
}
#else
TEST(CudnnConv, Skipped) { GTEST_SKIP() << "GPU test skipped: this build has no CUDA backend"; }
#endif
