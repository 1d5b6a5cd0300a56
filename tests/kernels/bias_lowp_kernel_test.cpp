// bias.cu in f16 and bf16: bias_add is one fp32 add rounded once, so it must
// equal round(float(y) + float(b)) bit for bit; pad/crop move bits. The
// channel sums accumulate in fp32 in an order of the kernel's choosing: the
// fp32 sum of m terms is within (m - 1) * 2^-24 * sum|x| of the exact sum, and
// the final rounding adds at most one ulp of the 16-bit type, so the output
// must lie within ulp(|exact|) + (m - 1) * 2^-24 * sum|x| of the exact sum
// (computed in double from the rounded inputs).
#include <cmath>

#include "bias.cuh"
#include "kernel_test_harness.h"
#include "lowp_test_util.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

// One ulp of H at magnitude |v| (the spacing just above |v|, subnormals included).
template <typename H>
double lowp_ulp_at(double v) {
  const int p = std::is_same_v<H, Half> ? 11 : 8, emin = std::is_same_v<H, Half> ? -14 : -126;
  int e = 0;
  std::frexp(std::fabs(v), &e);  // |v| in [2^(e-1), 2^e)
  return std::ldexp(1.0, std::max(e - 1, emin) - (p - 1));
}

template <typename H>
void check_bias_lowp(KernelBackend& be, int64_t m, int64_t c) {
  SCOPED_TRACE(::testing::Message() << lowp_name<H>() << " m=" << m << " c=" << c);
  const std::vector<H> x = lowp_round<H>(uniform_values(m * c, static_cast<uint32_t>(m * c)));
  const std::vector<H> b = lowp_round<H>(uniform_values(c, static_cast<uint32_t>(c)));
  DeviceBuffer<H> bx(be, x), bb(be, b), sum(be, static_cast<size_t>(c));
  DeviceBuffer<float> ws(be, static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
  CUTRAIN_KERNEL_CALL(be, channel_sum, bx.get(), m, c, sum.get(), ws.get(), be.stream());
  const std::vector<H> got = sum.download();
  for (int64_t ch = 0; ch < c; ++ch) {
    double exact = 0, abs_sum = 0;
    for (int64_t r = 0; r < m; ++r) {
      const double v = lowp_to_float(x[static_cast<size_t>(r * c + ch)]);
      exact += v;  // double: its error is some 2^-29 of the fp32 bound
      abs_sum += std::fabs(v);
    }
    const double bound = lowp_ulp_at<H>(exact) + static_cast<double>(m - 1) * 0x1p-24 * abs_sum;
    ASSERT_LE(std::fabs(lowp_to_float(got[static_cast<size_t>(ch)]) - exact), bound) << "channel " << ch;
  }
  std::vector<H> want(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    want[i] = lowp_from_float<H>(lowp_to_float(x[i]) + lowp_to_float(b[i % static_cast<size_t>(c)]));
  CUTRAIN_KERNEL_CALL(be, bias_add<H>, bx.get(), bb.get(), m, c, be.stream());
  EXPECT_TRUE(lowp_within_ulps(bx.download(), want, 0));
}

template <typename H>
void check_pad_crop_lowp(KernelBackend& be) {
  const int64_t n = 2, h = 5, w = 6, c = 3, top = 0, bottom = 1, left = 2, right = 1;
  const int64_t ph = h + top + bottom, pw = w + left + right;
  const std::vector<H> x = lowp_round<H>(uniform_values(n * h * w * c, 11));
  std::vector<H> want(static_cast<size_t>(n * ph * pw * c), H{0});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        for (int64_t k = 0; k < c; ++k)
          want[static_cast<size_t>(((b * ph + i + top) * pw + j + left) * c + k)] =
              x[static_cast<size_t>(((b * h + i) * w + j) * c + k)];
  DeviceBuffer<H> bx(be, x), padded(be, want.size()), back(be, x.size());
  CUTRAIN_KERNEL_CALL(be, pad_nhwc<H>, bx.get(), n, h, w, c, top, bottom, left, right, padded.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(padded.download(), want, 0));
  CUTRAIN_KERNEL_CALL(be, crop_nhwc<H>, padded.get(), n, h, w, c, top, bottom, left, right, back.get(), be.stream());
  EXPECT_TRUE(lowp_within_ulps(back.download(), x, 0));
}

CUTRAIN_KERNEL_TEST(BiasLowpKernels) {
  for_each_order([&] {
    for (int64_t m : edge_sizes(64))
      for (int64_t c : {1, 3, 32, 33, 67}) {
        check_bias_lowp<Half>(backend(), m, c);
        check_bias_lowp<BFloat16>(backend(), m, c);
      }
    check_bias_lowp<BFloat16>(backend(), 70001, 2);  // the row-block cap
    check_pad_crop_lowp<Half>(backend());
    check_pad_crop_lowp<BFloat16>(backend());
  });
}

}  // namespace
