// The CPU reference of 16-bit activations (ops/low_precision.h): an op on
// f16/bf16 inputs gives, bit for bit, its fp32 kernel's result on the
// widened inputs rounded once to the 16-bit dtype; batch norm on 16-bit
// activations keeps f32 statistics and updates its f32 running statistics
// exactly as on the widened activations; f16 beside bf16 is an error naming
// the op; ops report a 16-bit CPU kernel.
#include <gtest/gtest.h>

#include <cstring>

#include "cutrain/ops/cast.h"
#include "cutrain/ops/conv2d.h"
#include "cutrain/ops/low_precision.h"
#include "cutrain/ops/op.h"

using namespace cutrain;

namespace {

Tensor lp_random(const Shape& s, uint64_t seed, DType t, double lo = -2, double hi = 2) {
  Tensor x = Tensor::empty(s, DType::f32);
  x.uniform(lo, hi, seed);
  return ops::call(ops::kCastOp, {x}, ops::cast_attrs(t))[0];
}
Tensor lp_cast(const Tensor& x, DType t) { return ops::call(ops::kCastOp, {x}, ops::cast_attrs(t))[0]; }

void expect_same_bits(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << what;
}

// op on 16-bit inputs == round(op on the inputs widened to f32).
void expect_rounded_fp32(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs, DType low) {
  std::vector<Tensor> wide;
  for (const Tensor& t : in) wide.push_back(ops::is_16_bit_float(t.dtype()) ? lp_cast(t, DType::f32) : t);
  const auto got = ops::call(op, in, attrs);
  const auto want = ops::call(op, wide, attrs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k)
    expect_same_bits(got[k], lp_cast(want[k], low), op + " output " + std::to_string(k) + " in " +
                                                        std::string(dtype_name(low)));
}

class LowPrecisionCpu : public ::testing::TestWithParam<DType> {};

TEST_P(LowPrecisionCpu, OpsRoundTheirFp32ResultOnce) {
  const DType low = GetParam();
  const Tensor x = lp_random({2, 5, 6, 3}, 1, low), y = lp_random({2, 5, 6, 3}, 2, low);
  expect_rounded_fp32("relu", {x}, {}, low);
  expect_rounded_fp32("add", {x, y}, {}, low);
  expect_rounded_fp32("mul", {x, y}, {}, low);
  expect_rounded_fp32("tanh", {x}, {}, low);
  ops::Conv2dOptions c;
  c.strides = {2, 1};
  expect_rounded_fp32("conv2d", {x, lp_random({4, 3, 3, 3}, 3, low, -0.5, 0.5)}, c.attrs(), low);
  expect_rounded_fp32("matmul", {lp_random({7, 9}, 4, low), lp_random({9, 5}, 5, low)}, {}, low);
  expect_rounded_fp32("softmax", {lp_random({4, 11}, 6, low)}, {}, low);
  EXPECT_TRUE(ops::has_low_precision_kernel("conv2d", DeviceType::cpu, low));
  EXPECT_TRUE(ops::has_low_precision_kernel("batch_norm", DeviceType::cpu, low));
  EXPECT_TRUE(ops::has_low_precision_kernel("cast", DeviceType::cpu, low));
}

TEST_P(LowPrecisionCpu, BatchNormKeepsF32StatisticsAndRunningStatistics) {
  const DType low = GetParam();
  const Tensor x = lp_random({4, 3, 3, 5}, 7, low, -2, 3);
  const auto params = [] {
    Tensor beta = Tensor::empty({5}, DType::f32), mean = Tensor::empty({5}, DType::f32),
           var = Tensor::empty({5}, DType::f32);
    beta.uniform(-1, 1, 8);
    mean.uniform(-1, 1, 9);
    var.uniform(0.5, 2, 10);
    return std::vector<Tensor>{beta, mean, var};
  };
  const ops::Attrs attrs{{"epsilon", 0.001}, {"decay", 0.9}, {"has_gamma", false}};
  std::vector<Tensor> p16 = params(), p32 = params();
  const auto got = ops::call("batch_norm", {x, p16[0], p16[1], p16[2]}, attrs, true);
  const auto want = ops::call("batch_norm", {lp_cast(x, DType::f32), p32[0], p32[1], p32[2]}, attrs, true);
  ASSERT_EQ(got.size(), want.size());
  expect_same_bits(got[0], lp_cast(want[0], low), "y");
  for (size_t k = 1; k < got.size(); ++k) expect_same_bits(got[k], want[k], "statistic " + std::to_string(k));
  // The mutated running statistics, f32 in both runs, were updated alike.
  expect_same_bits(p16[1], p32[1], "running mean");
  expect_same_bits(p16[2], p32[2], "running variance");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LowPrecisionCpu, ::testing::Values(DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(LowPrecisionCpu, F16BesideBf16IsAnErrorNamingTheOp) {
  try {
    ops::infer("add", {}, {{Shape{3}, DType::f16}, {Shape{3}, DType::bf16}});
    ADD_FAILURE() << "f16 + bf16 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("op 'add': mixes f16 and bf16"), std::string::npos) << e.what();
  }
}

}  // namespace
