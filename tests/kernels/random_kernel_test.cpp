// random_normal kernel: equals the CPU reference for the same (seed, step),
// bit for bit when emulated (the same host math), to the last bits of the
// device's double log/cos on a GPU; every backend.
#include "kernel_test_harness.h"
#include "op_reference.h"
#include "random.cuh"

namespace {

using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;
using cutrain::testing::host_values;

template <typename T>
void check_random_normal(cutrain::testing::KernelBackend& be, int64_t n, double mean, double stddev,
                         uint64_t seed, uint64_t step, bool exact) {
  SCOPED_TRACE(::testing::Message() << "random_normal n = " << n << " seed " << seed << " step " << step);
  const cutrain::DType dt = sizeof(T) == 4 ? cutrain::DType::f32 : cutrain::DType::f64;
  const cutrain::ops::Attrs attrs{{"shape", std::vector<int64_t>{n}},
                                  {"dtype", std::string(cutrain::dtype_name(dt))},
                                  {"mean", mean},
                                  {"stddev", stddev}};
  const auto ref = cutrain::ops::call("random_normal", {}, attrs, true, seed, step);
  DeviceBuffer<T> out(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, random_normal, out.get(), n, mean, stddev, seed, step, nullptr, be.stream());
  const double rtol = exact ? 0.0 : (sizeof(T) == 4 ? 1e-6 : 1e-13);
  EXPECT_TRUE(all_close(out.download(), host_values<T>(ref[0]), exact ? 0.0 : 1e-12, rtol));
  // The step read from device memory (a per-step scalar) instead of the
  // argument, which is then wrong on purpose.
  DeviceBuffer<double> step_slot(be, std::vector<double>{static_cast<double>(step)});
  DeviceBuffer<T> out2(be, static_cast<std::size_t>(n));
  CUTRAIN_KERNEL_CALL(be, random_normal, out2.get(), n, mean, stddev, seed, step + 1, step_slot.get(), be.stream());
  EXPECT_TRUE(all_close(out2.download(), host_values<T>(ref[0]), exact ? 0.0 : 1e-12, rtol));
}

CUTRAIN_KERNEL_TEST(RandomNormalKernels) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256)) {
      check_random_normal<float>(backend(), n, 0.0, 1.0, 1234, 0, emulated());
      check_random_normal<double>(backend(), n, 0.5, 2.0, 0xDEADBEEFCAFEull, 7, emulated());
    }
  });
  // A large tensor and a large step: the counter's high words are used.
  check_random_normal<float>(backend(), (1 << 18) + 3, -1.0, 0.5, 42, (1ull << 33) + 5, emulated());
}

}  // namespace
