// reduce_sum against a double-precision CPU loop; axis reductions (sum,
// mean, sum_to) and broadcast_to against the CPU reference ops; every backend.
#include <cmath>
#include <random>

#include "kernel_test_harness.h"
#include "op_reference.h"
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


using cutrain::Shape;
using cutrain::testing::host_tensor;
using cutrain::testing::reference;
using cutrain::testing::uniform_values;
namespace k = cutrain::kernels;

struct AxesCase {
  Shape x;
  std::vector<int64_t> axes;  // empty: all
};
// Rows (innermost reduced) and columns (innermost kept) at edge sizes, NHWC
// bias-gradient style [N, H, W, C] over (0, 1, 2) with odd C, middle axes,
// alternating axes, everything.
std::vector<AxesCase> axes_cases() {
  std::vector<AxesCase> v;
  for (int64_t n : edge_sizes(256)) {
    v.push_back({Shape{3, n}, {1}});
    v.push_back({Shape{n, 3}, {0}});
  }
  v.push_back({Shape{2, 5, 7, 3}, {0, 1, 2}});
  v.push_back({Shape{2, 5, 7, 33}, {0, 1, 2}});
  v.push_back({Shape{4, 6, 5}, {1}});
  v.push_back({Shape{3, 4, 5, 6, 2}, {0, 2, 4}});
  v.push_back({Shape{3, 4, 5, 6, 2}, {1, 3}});
  v.push_back({Shape{17, 31}, {}});
  v.push_back({Shape{7, 1, 5}, {1}});
  v.push_back({Shape{4, 5}, {-1}});
  return v;
}

std::vector<char> mask_of(const Shape& s, const std::vector<int64_t>& axes) {
  std::vector<char> red(static_cast<std::size_t>(s.rank()), axes.empty() ? 1 : 0);
  for (int64_t a : axes) red[static_cast<std::size_t>(a < 0 ? a + s.rank() : a)] = 1;
  return red;
}

template <typename T>
void check_axes(cutrain::testing::KernelBackend& be, const AxesCase& c, bool mean) {
  SCOPED_TRACE(::testing::Message() << (mean ? "mean " : "sum ") << c.x.str() << " axes " << c.axes.size());
  const std::vector<T> x = uniform_values<T>(c.x.numel(), 7);
  const std::vector<T> ref = reference<T>(mean ? "mean" : "sum", {host_tensor(c.x, x)}, {{"axes", c.axes}});
  const k::ReduceIndex idx = k::make_reduce_index(c.x.dims(), mask_of(c.x, c.axes));
  ASSERT_EQ(static_cast<std::size_t>(idx.outputs), ref.size());
  const double scale = mean ? 1.0 / static_cast<double>(idx.reduced) : 1.0;
  DeviceBuffer<T> dx(be, x), out(be, ref.size());
  CUTRAIN_KERNEL_CALL(be, reduce_axes, dx.get(), idx, scale, out.get(), be.stream());
  EXPECT_TRUE(all_close(out.download(), ref, 1e-6, cutrain::testing::reduction_rtol<T>()));
}

CUTRAIN_KERNEL_TEST(ReduceAxesKernel) {
  const std::vector<AxesCase> cases = axes_cases();
  for_each_order([&] {
    for (const AxesCase& c : cases)
      for (bool mean : {false, true}) {
        check_axes<float>(backend(), c, mean);
        check_axes<double>(backend(), c, mean);
      }
  });
}

struct BroadcastCase {
  Shape small, big;
};
const BroadcastCase kBroadcasts[] = {{Shape{3}, Shape{5, 7, 3}},   {Shape{7, 1}, Shape{5, 7, 33}},
                                     {Shape{1, 6, 1}, Shape{5, 6, 7}}, {Shape{}, Shape{257}},
                                     {Shape{2, 1, 3}, Shape{4, 2, 5, 3}}, {Shape{33}, Shape{33}}};

template <typename T>
void check_sum_to(cutrain::testing::KernelBackend& be, const BroadcastCase& c) {
  SCOPED_TRACE(::testing::Message() << "sum_to " << c.big.str() << " -> " << c.small.str());
  const std::vector<T> x = uniform_values<T>(c.big.numel(), 8);
  const std::vector<T> ref = reference<T>("sum_to", {host_tensor(c.big, x)}, {{"shape", c.small.dims()}});
  DeviceBuffer<T> dx(be, x), out(be, ref.size());
  CUTRAIN_KERNEL_CALL(be, reduce_axes, dx.get(), k::make_sum_to_index(c.big.dims(), c.small.dims()), 1.0, out.get(),
                      be.stream());
  EXPECT_TRUE(all_close(out.download(), ref, 1e-6, cutrain::testing::reduction_rtol<T>()));
}

template <typename T>
void check_broadcast(cutrain::testing::KernelBackend& be, const BroadcastCase& c) {
  SCOPED_TRACE(::testing::Message() << "broadcast_to " << c.small.str() << " -> " << c.big.str());
  const std::vector<T> x = uniform_values<T>(c.small.numel(), 9);
  const std::vector<T> ref = reference<T>("broadcast_to", {host_tensor(c.small, x)}, {{"shape", c.big.dims()}});
  DeviceBuffer<T> dx(be, x), out(be, ref.size());
  CUTRAIN_KERNEL_CALL(be, broadcast_to, dx.get(), k::make_broadcast_index(c.big.dims(), c.small.dims(), c.big.dims()),
                      c.big.numel(), out.get(), be.stream());
  EXPECT_TRUE(all_close(out.download(), ref, 0.0, 0.0));
}

CUTRAIN_KERNEL_TEST(SumToAndBroadcastKernels) {
  for_each_order([&] {
    for (const BroadcastCase& c : kBroadcasts) {
      check_sum_to<float>(backend(), c);
      check_sum_to<double>(backend(), c);
      check_broadcast<float>(backend(), c);
      check_broadcast<double>(backend(), c);
    }
  });
}

}  // namespace
