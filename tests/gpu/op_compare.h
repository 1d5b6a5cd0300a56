// GPU op tests: run one op through ops::call on the GPU and on the CPU
// reference with the same inputs (mutated inputs come back too) and compare
// elementwise. Tests are typed over float and double (Caffe's pattern):
//
//   CUTRAIN_GPU_OP_TEST_SUITE(CudaPoolOps);
//   TYPED_TEST(CudaPoolOps, GlobalAvgPoolMatchesCpu) {
//     expect_op_matches_cpu("global_avg_pool", {this->random({16, 8, 8, 2048}, 1)}, {},
//                           this->tol(1e-6, 1e-15), this->tol(1e-4, 1e-12));
//   }
//
// runs as CudaPoolOps/f32 and CudaPoolOps/f64, each skipped with the reason
// when no GPU is usable.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"
#include "gpu_test_util.h"

namespace cutrain::testing {

inline Tensor random_tensor(const Shape& s, uint64_t seed, DType t = DType::f32, double lo = -1,
                            double hi = 1) {
  Tensor x = Tensor::empty(s, t);
  x.uniform(lo, hi, seed);
  return x;
}

// |got - ref| <= atol + rtol |ref| for every element (NaN matches NaN).
inline void expect_close(const Tensor& got, const Tensor& ref, double atol, double rtol,
                         const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  ASSERT_EQ(got.dtype(), ref.dtype()) << what;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double g = got.flat(i), r = ref.flat(i);
    if (std::isnan(g) && std::isnan(r)) continue;
    ASSERT_LE(std::fabs(g - r), atol + rtol * std::fabs(r))
        << what << " element " << i << " got " << g << " ref " << r;
  }
}

// The op's outputs and its inputs after the op (for ops that update inputs
// in place), copied back to the CPU.
struct OpRun {
  std::vector<Tensor> outputs, inputs;
};

// Runs `op` on copies of `in` on `device`.
inline OpRun run_op(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs,
                    Device device, bool training = true, uint64_t seed = 0, uint64_t step = 0) {
  const Stream s = Stream::default_stream(device);
  std::vector<Tensor> d;
  for (const Tensor& t : in) d.push_back(device.is_cuda() ? t.to(device, s) : t.clone());
  OpRun r;
  for (const Tensor& t : ops::call(op, d, attrs, training, seed, step))
    r.outputs.push_back(t.to(Device::cpu(), s));
  for (const Tensor& t : d) r.inputs.push_back(t.to(Device::cpu(), s));
  s.synchronize();
  return r;
}

inline OpRun run_on_gpu(const std::string& op, const std::vector<Tensor>& in,
                        const ops::Attrs& attrs = {}, bool training = true, uint64_t seed = 0,
                        uint64_t step = 0) {
  return run_op(op, in, attrs, Device::cuda(0), training, seed, step);
}

// Runs `op` on both devices and compares every output, and with
// `compare_inputs` every input after the op.
inline void compare_op(const std::string& op, const std::vector<Tensor>& in,
                       const ops::Attrs& attrs, double atol, double rtol, bool training = true,
                       bool compare_inputs = false) {
  const OpRun gpu = run_op(op, in, attrs, Device::cuda(0), training);
  const OpRun cpu = run_op(op, in, attrs, Device::cpu(), training);
  ASSERT_EQ(gpu.outputs.size(), cpu.outputs.size()) << op;
  for (size_t i = 0; i < cpu.outputs.size(); ++i)
    expect_close(gpu.outputs[i], cpu.outputs[i], atol, rtol, op + " output " + std::to_string(i));
  if (!compare_inputs) return;
  for (size_t i = 0; i < cpu.inputs.size(); ++i)
    expect_close(gpu.inputs[i], cpu.inputs[i], atol, rtol,
                 op + " input " + std::to_string(i) + " after the op");
}

// compare_op of the outputs and of every input after the op.
inline void expect_op_matches_cpu(const std::string& op, const std::vector<Tensor>& in,
                                  const ops::Attrs& attrs, double atol, double rtol,
                                  bool training = true) {
  compare_op(op, in, attrs, atol, rtol, training, /*compare_inputs=*/true);
}

template <typename T>
class GpuOpTest : public ::testing::Test {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);

 protected:
  void SetUp() override { CUTRAIN_REQUIRE_GPU(); }

  static constexpr DType dtype = std::is_same_v<T, float> ? DType::f32 : DType::f64;
  // A bound that depends on the element type.
  static constexpr double tol(double f32, double f64) {
    return std::is_same_v<T, float> ? f32 : f64;
  }
  // Uniform in [lo, hi) of this test's dtype.
  static Tensor random(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
    return random_tensor(s, seed, dtype, lo, hi);
  }
};

using GpuOpTypes = ::testing::Types<float, double>;

struct GpuOpTypeName {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "f32" : "f64";
  }
};

}  // namespace cutrain::testing

// Declares the typed suite `Suite` (float, double) for TYPED_TEST(Suite, ...).
#define CUTRAIN_GPU_OP_TEST_SUITE(Suite)                    \
  template <typename T>                                     \
  class Suite : public ::cutrain::testing::GpuOpTest<T> {}; \
  TYPED_TEST_SUITE(Suite, ::cutrain::testing::GpuOpTypes, ::cutrain::testing::GpuOpTypeName)
