// Dropout kernels: the mask equals the CPU reference's bit for bit (same
// seed and step), y and dx match; eval mode copies; every backend.
#include "dropout.cuh"
#include "kernel_test_harness.h"
#include "op_reference.h"

namespace {

using cutrain::Shape;
using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;
using cutrain::testing::host_tensor;
using cutrain::testing::host_values;
using cutrain::testing::uniform_values;

template <typename T>
void check_dropout(cutrain::testing::KernelBackend& be, int64_t n, double rate, bool training, uint64_t seed,
                   uint64_t step) {
  SCOPED_TRACE(::testing::Message() << "dropout n = " << n << " rate " << rate << " training " << training
                                    << " seed " << seed << " step " << step);
  const std::vector<T> x = uniform_values<T>(n, 11), dy = uniform_values<T>(n, 12);
  const cutrain::ops::Attrs attrs{{"rate", rate}};
  const auto ref = cutrain::ops::call("dropout", {host_tensor(Shape{n}, x)}, attrs, training, seed, step);
  const auto dref = cutrain::ops::call("dropout_grad", {host_tensor(Shape{n}, dy), ref[1]}, attrs, training);
  DeviceBuffer<T> dx(be, x), ddy(be, dy), y(be, x.size()), grad(be, x.size());
  DeviceBuffer<uint8_t> mask(be, x.size());
  CUTRAIN_KERNEL_CALL(be, dropout_forward, dx.get(), y.get(), mask.get(), n, rate, training, seed, step, nullptr,
                      be.stream());
  CUTRAIN_KERNEL_CALL(be, dropout_backward, ddy.get(), mask.get(), grad.get(), n, rate, training, be.stream());
  EXPECT_EQ(mask.download(), host_values<uint8_t>(ref[1]));
  EXPECT_TRUE(all_close(y.download(), host_values<T>(ref[0]), 0.0, 0.0));
  EXPECT_TRUE(all_close(grad.download(), host_values<T>(dref[0]), 0.0, 0.0));
  // The step read from device memory (a per-step scalar), the argument wrong on purpose.
  DeviceBuffer<double> step_slot(be, std::vector<double>{static_cast<double>(step)});
  DeviceBuffer<uint8_t> mask2(be, x.size());
  CUTRAIN_KERNEL_CALL(be, dropout_forward, dx.get(), y.get(), mask2.get(), n, rate, training, seed, step + 1,
                      step_slot.get(), be.stream());
  EXPECT_EQ(mask2.download(), host_values<uint8_t>(ref[1]));
}

CUTRAIN_KERNEL_TEST(DropoutKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256))
      for (double rate : {0.0, 0.3, 0.8}) {
        check_dropout<float>(backend(), n, rate, true, 1234, 0);
        check_dropout<double>(backend(), n, rate, true, 0xDEADBEEFCAFEull, 7);
      }
    check_dropout<float>(backend(), 1000, 0.5, false, 1, 1);
  });
  // A large tensor and a large step: the counter's high words are used.
  check_dropout<float>(backend(), (1 << 18) + 3, 0.2, true, 42, (1ull << 33) + 5);
}

}  // namespace
