// reduce_sum against a double-precision CPU loop, on every backend.
#include <cmath>
#include <random>

#include "kernel_test_harness.h"
#include "reduce.cuh"

namespace {

using cutrain::testing::all_close;
using cutrain::testing::DeviceBuffer;
using cutrain::testing::edge_sizes;

CUTRAIN_KERNEL_TEST(ReduceSumKernel) {
  std::vector<int64_t> sizes = edge_sizes(256);
  sizes.push_back(256 * 1024 * 2 + 5);  // more than the grid cap: grid-stride loop
  for_each_order([&] {
    for (int64_t n : sizes) {
      SCOPED_TRACE(::testing::Message() << "n = " << n);
      std::mt19937 rng(static_cast<uint32_t>(n));
      std::uniform_real_distribution<float> d(-1.0f, 1.0f);
      std::vector<float> x(static_cast<std::size_t>(n));
      double ref = 0.0, abs_sum = 0.0;
      for (auto& v : x) {
        v = d(rng);
        ref += v;
        abs_sum += std::abs(v);
      }
      DeviceBuffer<float> dx(backend(), x), ws(backend(), static_cast<std::size_t>(
                                                             cutrain::kernels::emu::reduce_sum_workspace(n))),
          out(backend(), 1);
      CUTRAIN_KERNEL_CALL(backend(), reduce_sum, dx.get(), n, ws.get(), out.get(), backend().stream());
      // Float accumulation: error bounded by ~log2(n) roundings of partial sums of |x|.
      EXPECT_TRUE(all_close(out.download(), std::vector<float>{static_cast<float>(ref)}, 1e-6 * abs_sum + 1e-6, 0.0));
    }
  });
}

}  // namespace
