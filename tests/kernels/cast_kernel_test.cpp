// The cast kernel against the CPU reference (cpu::cast) and the rounding
// oracle (tests/common/round_oracle.h), bit for bit: every rounding edge of
// f16 and bf16 (ties to even, subnormal results, float subnormal inputs,
// overflow to infinity at the midpoint past the largest finite value, NaN
// stays NaN, signed zeros), from f32 and from f64 (rounded once: the kernel
// rounds to odd first), the exact widenings back, and f16 <-> bf16; sizes
// around the block and a grid-stride tail; every thread order.
#include <cmath>
#include <cstring>
#include <limits>

#include "../common/round_oracle.h"
#include "cast.cuh"
#include "cutrain/cpu/cast.h"
#include "kernel_test_harness.h"

namespace {

using cutrain::DType;
using cutrain::Shape;
using cutrain::Tensor;
using cutrain::testing::DeviceBuffer;

// Host tensor of dtype `t` holding `bytes` (a whole number of elements).
Tensor cast_host(DType t, const std::vector<uint8_t>& bytes) {
  Tensor x = Tensor::empty(Shape({static_cast<int64_t>(bytes.size() / cutrain::dtype_size(t))}), t);
  std::memcpy(x.raw_data(), bytes.data(), bytes.size());
  return x;
}

template <typename T>
std::vector<uint8_t> cast_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

bool cast_is_nan(const uint8_t* p, DType t) {
  double v = cutrain::load_as_double(p, t);
  return std::isnan(v);
}

// Runs the kernel on x (dtype from) and compares with cpu::cast elementwise:
// equal bits, or both NaN. Returns the device result's bytes.
std::vector<uint8_t> check_cast(cutrain::testing::KernelBackend& be, DType from, DType to,
                                const std::vector<uint8_t>& x) {
  const Tensor hx = cast_host(from, x);
  const int64_t n = hx.numel();
  Tensor ref = Tensor::empty(hx.shape(), to);
  cutrain::cpu::cast("cast", {from, to}, hx, ref);
  const size_t out_size = cutrain::dtype_size(to);
  DeviceBuffer<uint8_t> dx(be, x), dy(be, static_cast<size_t>(n) * out_size);
  CUTRAIN_KERNEL_CALL(be, cast, dx.get(), from, dy.get(), to, n, be.stream());
  const std::vector<uint8_t> y = dy.download();
  const auto* r = static_cast<const uint8_t*>(ref.raw_data());
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* yi = y.data() + i * out_size;
    const uint8_t* ri = r + i * out_size;
    const bool ok = cast_is_nan(ri, to) ? cast_is_nan(yi, to) : std::memcmp(yi, ri, out_size) == 0;
    if (!ok && ++wrong <= 5)
      ADD_FAILURE() << cutrain::dtype_name(from) << " -> " << cutrain::dtype_name(to) << " element " << i << ": "
                    << std::hexfloat << cutrain::load_as_double(x.data() + i * cutrain::dtype_size(from), from)
                    << " gave " << cutrain::load_as_double(yi, to) << ", reference "
                    << cutrain::load_as_double(ri, to);
  }
  EXPECT_EQ(wrong, 0) << cutrain::dtype_name(from) << " -> " << cutrain::dtype_name(to) << " of " << n;
  return y;
}

// The reference itself against the oracle for the narrowing casts.
void check_against_oracle(DType to, const std::vector<uint8_t>& y, const std::vector<double>& x) {
  const bool half = to == DType::f16;
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t b;
    std::memcpy(&b, y.data() + 2 * i, 2);
    if (std::isnan(x[i])) {
      EXPECT_GT(b & 0x7fffu, half ? 0x7c00u : 0x7f80u);
    } else {
      ASSERT_EQ(b, cutrain::testing::oracle_round_16(x[i], half)) << std::hexfloat << x[i];
    }
  }
}

template <typename T>
void check_narrowing(cutrain::testing::KernelBackend& be, int stride) {
  for (DType to : {DType::f16, DType::bf16}) {
    const std::vector<T> x = cutrain::testing::rounding_edge_inputs<T>(to == DType::f16, stride);
    const std::vector<uint8_t> y = check_cast(be, cutrain::dtype_v<T>, to, cast_bytes(x));
    check_against_oracle(to, y, std::vector<double>(x.begin(), x.end()));
    // The exact widening back to T, and to the other wide type.
    check_cast(be, to, cutrain::dtype_v<T>, y);
    check_cast(be, to, cutrain::dtype_v<T> == DType::f32 ? DType::f64 : DType::f32, y);
  }
}

// Every 16-bit pattern to the other 16-bit format (one rounding through f32).
void check_between_16_bit(cutrain::testing::KernelBackend& be) {
  std::vector<uint16_t> all(65536);
  for (uint32_t b = 0; b < 65536; ++b) all[b] = static_cast<uint16_t>(b);
  check_cast(be, DType::f16, DType::bf16, cast_bytes(all));
  check_cast(be, DType::bf16, DType::f16, cast_bytes(all));
}

// f64 -> f32 ties and overflow, and sizes around the block (256) and past
// the grid's first pass (4096 blocks x 256 threads).
void check_sizes(cutrain::testing::KernelBackend& be) {
  const double eps = std::ldexp(1.0, -24);
  const double specials[] = {1 + eps, 1 + 3 * eps, -(1 + eps), 1e300, -1e300, 1e-300, 0.0, -0.0,
                             std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()};
  for (int64_t n : {int64_t{1}, int64_t{10}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{4096 * 256 + 3}}) {
    std::vector<double> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = specials[i % 10] * (1 + static_cast<double>(i % 7) / 8);
    check_cast(be, DType::f64, DType::f32, cast_bytes(x));
    if (n < 4096) check_cast(be, DType::f64, DType::bf16, cast_bytes(x));
  }
}

CUTRAIN_KERNEL_TEST(CastKernel) {
  // The full edge set once (about a million elements), a sample of it under every order.
  check_narrowing<float>(backend(), 1);
  check_narrowing<double>(backend(), 1);
  check_between_16_bit(backend());
  check_sizes(backend());
  for_each_order([&] {
    check_narrowing<float>(backend(), 61);
    check_narrowing<double>(backend(), 61);
  });
}

}  // namespace
