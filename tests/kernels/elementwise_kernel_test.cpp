// relu forward/backward kernels against plain CPU loops, on every backend.
#include <limits>
#include <random>

#include "elementwise.cuh"
#include "kernel_test_harness.h"

namespace {

using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;

template <typename T>
std::vector<T> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(-2.0, 2.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  if (n > 3) {
    v[1] = T(0);
    v[2] = std::numeric_limits<T>::quiet_NaN();  // relu(NaN) = 0, as in the CPU reference
  }
  return v;
}

template <typename T>
void check_relu(cutrain::testing::KernelTest& t, cutrain::testing::KernelBackend& be, int64_t n, int64_t offset) {
  SCOPED_TRACE(::testing::Message() << "n = " << n << ", offset " << offset);
  const std::vector<T> x = random_values<T>(n + offset, 1), dy = random_values<T>(n + offset, 2);
  std::vector<T> y_ref(static_cast<std::size_t>(n)), dx_ref(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[static_cast<std::size_t>(i + offset)];
    y_ref[static_cast<std::size_t>(i)] = v > T(0) ? v : T(0);
  }
  for (int64_t i = 0; i < n; ++i)
    dx_ref[static_cast<std::size_t>(i)] = y_ref[static_cast<std::size_t>(i)] > T(0) ? dy[static_cast<std::size_t>(i + offset)] : T(0);
  DeviceBuffer<T> dx_in(be, x), ddy(be, dy), dyout(be, static_cast<std::size_t>(n + offset)),
      ddx(be, static_cast<std::size_t>(n + offset));
  (void)t;
  // offset 1 misaligns every pointer: the scalar path; offset 0: the vector path.
  CUTRAIN_KERNEL_CALL(be, relu_forward, dx_in.get() + offset, dyout.get() + offset, n, be.stream());
  CUTRAIN_KERNEL_CALL(be, relu_backward, dyout.get() + offset, ddy.get() + offset, ddx.get() + offset, n,
                      be.stream());
  const std::vector<T> y = dyout.download(), dx = ddx.download();
  EXPECT_TRUE(all_close(std::vector<T>(y.begin() + offset, y.end()), y_ref, 0.0, 0.0));
  EXPECT_TRUE(all_close(std::vector<T>(dx.begin() + offset, dx.end()), dx_ref, 0.0, 0.0));
}

CUTRAIN_KERNEL_TEST(ReluKernel) {
  for_each_order([&] {
    for (int64_t n : edge_sizes(256)) {
      for (int64_t offset : {0, 1}) {
        check_relu<float>(*this, backend(), n, offset);
        check_relu<double>(*this, backend(), n, offset);
      }
    }
  });
}

}  // namespace
