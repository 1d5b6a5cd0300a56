// The numerics-check kernel against the CPU reference (cpu::first_non_finite):
// the flag is lowered to the smallest id whose tensor holds a NaN or an
// infinity and left alone for finite ones, for 2-, 4- and 8-byte floats and
// sizes around the block and grid limits; every backend.
#include <cstring>
#include <limits>

#include "check_finite.cuh"
#include "cutrain/cpu/check_finite.h"
#include "kernel_test_harness.h"

namespace {

using cutrain::DType;
using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::DeviceBuffer;
namespace k = cutrain::kernels;

constexpr int32_t kNone = std::numeric_limits<int32_t>::max();

// Raw words of a host tensor of `dtype` with the value `bad` at `pos` (none when pos < 0).
template <typename W>
std::vector<W> words(DType dtype, int64_t n, int64_t pos, double bad) {
  Tensor t = Tensor::full(Shape({n}), dtype, 0.25);
  if (pos >= 0) t.set_flat(pos, bad);
  std::vector<W> w(static_cast<std::size_t>(n));
  std::memcpy(w.data(), t.raw_data(), w.size() * sizeof(W));
  EXPECT_EQ(cutrain::cpu::first_non_finite(t), pos);
  return w;
}

template <typename W>
void check_dtype(cutrain::testing::KernelBackend& be, DType dtype) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const uint64_t mask = k::non_finite_mask(static_cast<int>(sizeof(W)), dtype == DType::bf16);
  for (int64_t n : {1, 31, 255, 256, 257, 4097}) {
    for (int64_t pos : {int64_t{-1}, int64_t{0}, n / 2, n - 1}) {
      for (double bad : {nan, inf, -inf}) {
        SCOPED_TRACE(::testing::Message() << cutrain::dtype_name(dtype) << " n " << n << " pos " << pos << " bad " << bad);
        DeviceBuffer<W> x(be, words<W>(dtype, n, pos, bad));
        DeviceBuffer<int32_t> flag(be, std::vector<int32_t>{kNone});
        // Two checks with ids 9 then 4 on the same tensor: the flag keeps the smaller.
        CUTRAIN_KERNEL_CALL(be, check_finite, x.get(), static_cast<int>(sizeof(W)), mask, n, 9, flag.get(), be.stream());
        CUTRAIN_KERNEL_CALL(be, check_finite, x.get(), static_cast<int>(sizeof(W)), mask, n, 4, flag.get(), be.stream());
        CUTRAIN_KERNEL_CALL(be, check_finite, x.get(), static_cast<int>(sizeof(W)), mask, n, 7, flag.get(), be.stream());
        EXPECT_EQ(flag.download(), std::vector<int32_t>{pos < 0 ? kNone : 4});
        if (pos < 0) break;  // one finite case per size
      }
    }
  }
}

// Past 1024 blocks x 256 threads the grid-stride loop covers the rest: the
// only NaN is in the last element, which the first pass does not reach.
template <typename W>
void check_grid_stride(cutrain::testing::KernelBackend& be, DType dtype) {
  const int64_t n = 1024 * 256 + 5;
  const uint64_t mask = k::non_finite_mask(static_cast<int>(sizeof(W)), dtype == DType::bf16);
  DeviceBuffer<W> x(be, words<W>(dtype, n, n - 1, std::numeric_limits<double>::quiet_NaN()));
  DeviceBuffer<int32_t> flag(be, std::vector<int32_t>{kNone});
  CUTRAIN_KERNEL_CALL(be, check_finite, x.get(), static_cast<int>(sizeof(W)), mask, n, 3, flag.get(), be.stream());
  EXPECT_EQ(flag.download(), std::vector<int32_t>{3});
}

CUTRAIN_KERNEL_TEST(CheckFiniteKernel) {
  check_grid_stride<uint32_t>(backend(), DType::f32);
  for_each_order([&] {
    check_dtype<uint32_t>(backend(), DType::f32);
    check_dtype<uint64_t>(backend(), DType::f64);
    check_dtype<uint16_t>(backend(), DType::f16);
    check_dtype<uint16_t>(backend(), DType::bf16);
  });
}

}  // namespace
