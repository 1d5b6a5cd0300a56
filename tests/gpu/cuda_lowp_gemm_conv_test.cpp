// cuBLAS (cublasGemmEx) and cuDNN in f16 and bf16 with fp32 accumulation,
// against double-precision loops on the same rounded inputs. Products of two
// 16-bit values are exact in fp32, so the fp32 sum of K of them lies within
// (K - 1) * 2^-24 * sum|a*b| of the exact value, and the final rounding to the
// output type adds at most one ulp there: the bound each element is held to.
// A TF32 or 16-bit accumulator would break it on these sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gpu_test_util.h"
#if CUTRAIN_WITH_CUDA
#include "cutrain/cuda/conv.h"
#include "cutrain/cuda/matmul.h"
#endif

using namespace cutrain;

#if CUTRAIN_WITH_CUDA
namespace {

double lowp_spacing(DType t, double v) {
  const int p = t == DType::f16 ? 11 : 8, emin = t == DType::f16 ? -14 : -126;
  int e = 0;
  std::frexp(std::fabs(v), &e);
  return std::ldexp(1.0, std::max(e - 1, emin) - (p - 1));
}

// Rounded to t on the host (the 16-bit values every side then uses).
Tensor rounded(const Shape& s, DType t, uint64_t seed) {
  Tensor f = Tensor::empty(s, DType::f32);
  f.uniform(-1, 1, seed);
  return f.to(t);
}

class CudaLowpGemm : public ::testing::TestWithParam<DType> {};

TEST_P(CudaLowpGemm, MatchesDoubleWithinTheFp32AccumulationBound) {
  CUTRAIN_REQUIRE_GPU();
  const DType t = GetParam();
  const Device gpu = Device::cuda(0);
  const Stream s = Stream::create(gpu);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const int64_t m = 37, k = 300, n = 19;
      const Tensor a = rounded(ta ? Shape{k, m} : Shape{m, k}, t, 1), b = rounded(tb ? Shape{n, k} : Shape{k, n}, t, 2);
      Tensor cd = Tensor::empty({m, n}, t, gpu, s);
      cuda::matmul("matmul", a.to(gpu, s), b.to(gpu, s), ta, tb, cd, s);
      const Tensor c = cd.to(Device::cpu(), s);
      s.synchronize();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double exact = 0, mag = 0;
          for (int64_t q = 0; q < k; ++q) {
            const double p = (ta ? a.at({q, i}) : a.at({i, q})) * (tb ? b.at({j, q}) : b.at({q, j}));
            exact += p;
            mag += std::fabs(p);
          }
          const double bound = lowp_spacing(t, exact) + static_cast<double>(k - 1) * 0x1p-24 * mag;
          ASSERT_LE(std::fabs(c.at({i, j}) - exact), bound)
              << dtype_name(t) << " ta=" << ta << " tb=" << tb << " at " << i << "," << j;
        }
    }
}

class CudaLowpConv : public ::testing::TestWithParam<DType> {};

TEST_P(CudaLowpConv, ForwardMatchesDoubleWithinTheFp32AccumulationBound) {
  CUTRAIN_REQUIRE_GPU();
  const DType t = GetParam();
  const Device gpu = Device::cuda(0);
  const Stream s = Stream::create(gpu);
  // 3x3 SAME stride 1 (symmetric padding), NHWC / OHWI, channel counts multiples of 8 for the tensor cores.
  cuda::ConvGeometry g;
  g.n = 2, g.h = 9, g.w = 7, g.c = 16, g.o = 24, g.kh = 3, g.kw = 3, g.oh = 9, g.ow = 7;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 1;
  const Tensor x = rounded({g.n, g.h, g.w, g.c}, t, 3), w = rounded({g.o, g.kh, g.kw, g.c}, t, 4);
  Tensor yd = Tensor::empty({g.n, g.oh, g.ow, g.o}, t, gpu, s);
  cuda::conv2d_forward(x.to(gpu, s), w.to(gpu, s), yd, g, s);
  const Tensor y = yd.to(Device::cpu(), s);
  s.synchronize();
  const int64_t terms = int64_t{g.kh} * g.kw * g.c;
  for (int n = 0; n < g.n; ++n)
    for (int a = 0; a < g.oh; ++a)
      for (int b = 0; b < g.ow; ++b)
        for (int o = 0; o < g.o; ++o) {
          double exact = 0, mag = 0;
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j) {
              const int hi = a + i - g.pad_top, wj = b + j - g.pad_left;
              if (hi < 0 || hi >= g.h || wj < 0 || wj >= g.w) continue;
              for (int c = 0; c < g.c; ++c) {
                const double p = x.at({n, hi, wj, c}) * w.at({o, i, j, c});
                exact += p;
                mag += std::fabs(p);
              }
            }
          const double bound = lowp_spacing(t, exact) + static_cast<double>(terms - 1) * 0x1p-24 * mag;
          ASSERT_LE(std::fabs(y.at({n, a, b, o}) - exact), bound) << dtype_name(t) << " at " << n << "," << a << ","
                                                                  << b << "," << o;
        }
}

INSTANTIATE_TEST_SUITE_P(Formats, CudaLowpGemm, ::testing::Values(DType::f16, DType::bf16));
INSTANTIATE_TEST_SUITE_P(Formats, CudaLowpConv, ::testing::Values(DType::f16, DType::bf16));

}  // namespace
#else
TEST(CudaLowpGemmConv, Skipped) { GTEST_SKIP() << "GPU test skipped: this build has no CUDA backend"; }
#endif
