// bias.cu against the CPU ops on the same inputs: bias_add against conv2d's
// broadcast add, channel_sum against reduce_nhw_sum, and the pad/crop pair
// against direct loops.
#include "bias.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using namespace cutrain;
using namespace cutrain::testing;

CUTRAIN_KERNEL_TEST(BiasKernels) {
  for_each_order([&] {
    for (int64_t m : edge_sizes(64))
      for (int64_t c : {1, 3, 32, 33, 67}) {
        SCOPED_TRACE(::testing::Message() << "m=" << m << " c=" << c);
        const auto x = uniform_values(m * c, static_cast<uint32_t>(m * c)), b = uniform_values(c, static_cast<uint32_t>(c));
        DeviceBuffer<float> bx(backend(), x), bb(backend(), b), sum(backend(), static_cast<size_t>(c)),
            ws(backend(), static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
        CUTRAIN_KERNEL_CALL(backend(), channel_sum<float>, bx.get(), m, c, sum.get(), ws.get(), backend().stream());
        EXPECT_TRUE(all_close(sum.download(), host_values(ops::call("reduce_nhw_sum", {host_tensor({m, c}, x)})[0]),
                              1e-6 * static_cast<double>(m), 1e-4));
        CUTRAIN_KERNEL_CALL(backend(), bias_add<float>, bx.get(), bb.get(), m, c, backend().stream());
        EXPECT_TRUE(all_close(bx.download(), host_values(ops::call("add", {host_tensor({m, c}, x), host_tensor({c}, b)})[0]), 0,
                              0));
      }
    // Large enough for the row-block cap.
    const int64_t m = 70001, c = 2;
    const auto x = uniform_values(m * c, 3);
    DeviceBuffer<float> bx(backend(), x), sum(backend(), 2),
        ws(backend(), static_cast<size_t>(kernels::emu::channel_sum_workspace(m, c)));
    CUTRAIN_KERNEL_CALL(backend(), channel_sum<float>, bx.get(), m, c, sum.get(), ws.get(), backend().stream());
    EXPECT_TRUE(all_close(sum.download(), host_values(ops::call("reduce_nhw_sum", {host_tensor({m, c}, x)})[0]), 1e-6 * static_cast<double>(m), 1e-4));
  });
}

CUTRAIN_KERNEL_TEST(PadCropKernels) {
  for_each_order([&] {
    const int64_t n = 2, h = 5, w = 6, c = 3, top = 0, bottom = 1, left = 2, right = 1;
    const int64_t ph = h + top + bottom, pw = w + left + right;
    const auto x = uniform_values(n * h * w * c, 11);
    std::vector<float> want(static_cast<size_t>(n * ph * pw * c), 0.0f);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
          for (int64_t k = 0; k < c; ++k)
            want[static_cast<size_t>(((b * ph + i + top) * pw + j + left) * c + k)] =
                x[static_cast<size_t>(((b * h + i) * w + j) * c + k)];
    DeviceBuffer<float> bx(backend(), x), padded(backend(), want.size()), back(backend(), x.size());
    CUTRAIN_KERNEL_CALL(backend(), pad_nhwc<float>, bx.get(), n, h, w, c, top, bottom, left, right, padded.get(),
                        backend().stream());
    EXPECT_TRUE(all_close(padded.download(), want, 0, 0));
    CUTRAIN_KERNEL_CALL(backend(), crop_nhwc<float>, padded.get(), n, h, w, c, top, bottom, left, right, back.get(),
                        backend().stream());
    EXPECT_TRUE(all_close(back.download(), x, 0, 0));
  });
}

}  // namespace
