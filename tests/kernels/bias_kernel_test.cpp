// bias.cu against the CPU ops on the same inputs: bias_add against conv2d's
// broadcast add, channel_sum against reduce_nhw_sum, and the pad/crop pair
// against direct loops; typed over float and double.
#include "bias.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

// channel_sum adds m values of size ~1 in a different order than the CPU op.
template <typename T>
double sum_atol(int64_t m) {
  return tolerance<T>(1e-6, 1e-15) * static_cast<double>(m);
}

CUTRAIN_TYPED_KERNEL_TEST(BiasKernels) {
  using T = typename TypeParam::Scalar;
  KernelBackend& be = this->backend();
  const double rtol = reduction_rtol<T>();
  this->for_each_order([&] {
    for (int64_t m : edge_sizes(64))
      for (int64_t c : {1, 3, 32, 33, 67}) {
        SCOPED_TRACE(::testing::Message() << "m=" << m << " c=" << c);
        const auto x = uniform_values<T>(m * c, static_cast<uint32_t>(m * c)),
                   b = uniform_values<T>(c, static_cast<uint32_t>(c));
        DeviceBuffer<T> bx(be, x), bb(be, b), sum(be, static_cast<size_t>(c)),
            ws(be, static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
        CUTRAIN_KERNEL_CALL(be, channel_sum<T>, bx.get(), m, c, sum.get(), ws.get(), be.stream());
        EXPECT_TRUE(
            all_close(sum.download(),
                      host_values<T>(ops::call("reduce_nhw_sum", {host_tensor({m, c}, x)})[0]),
                      sum_atol<T>(m), rtol));
        CUTRAIN_KERNEL_CALL(be, bias_add<T>, bx.get(), bb.get(), m, c, be.stream());
        EXPECT_TRUE(all_close(
            bx.download(),
            host_values<T>(ops::call("add", {host_tensor({m, c}, x), host_tensor({c}, b)})[0]), 0,
            0));
      }
    // Large enough for the row-block cap.
    const int64_t m = 70001, c = 2;
    const auto x = uniform_values<T>(m * c, 3);
    DeviceBuffer<T> bx(be, x), sum(be, 2),
        ws(be, static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
    CUTRAIN_KERNEL_CALL(be, channel_sum<T>, bx.get(), m, c, sum.get(), ws.get(), be.stream());
    EXPECT_TRUE(all_close(sum.download(),
                          host_values<T>(ops::call("reduce_nhw_sum", {host_tensor({m, c}, x)})[0]),
                          sum_atol<T>(m), rtol));
  });
}

CUTRAIN_TYPED_KERNEL_TEST(PadCropKernels) {
  using T = typename TypeParam::Scalar;
  KernelBackend& be = this->backend();
  this->for_each_order([&] {
    const int64_t n = 2, h = 5, w = 6, c = 3, top = 0, bottom = 1, left = 2, right = 1;
    const int64_t ph = h + top + bottom, pw = w + left + right;
    const auto x = uniform_values<T>(n * h * w * c, 11);
    std::vector<T> want(static_cast<size_t>(n * ph * pw * c), T(0));
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
          for (int64_t k = 0; k < c; ++k)
            want[static_cast<size_t>(((b * ph + i + top) * pw + j + left) * c + k)] =
                x[static_cast<size_t>(((b * h + i) * w + j) * c + k)];
    DeviceBuffer<T> bx(be, x), padded(be, want.size()), back(be, x.size());
    CUTRAIN_KERNEL_CALL(be, pad_nhwc<T>, bx.get(), n, h, w, c, top, bottom, left, right,
                        padded.get(), be.stream());
    EXPECT_TRUE(all_close(padded.download(), want, 0, 0));
    CUTRAIN_KERNEL_CALL(be, crop_nhwc<T>, padded.get(), n, h, w, c, top, bottom, left, right,
                        back.get(), be.stream());
    EXPECT_TRUE(all_close(back.download(), x, 0, 0));
  });
}

}  // namespace
