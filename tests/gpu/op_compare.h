// GPU op tests: run one op through ops::call on the GPU and on the CPU
// reference with the same inputs and compare every output.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cutrain/ops/op.h"
#include "gpu_test_util.h"

namespace cutrain::testing {

inline Tensor random_tensor(const Shape& s, uint64_t seed, DType t = DType::f32, double lo = -1, double hi = 1) {
  Tensor x = Tensor::empty(s, t);
  x.uniform(lo, hi, seed);
  return x;
}

// |got - ref| <= atol + rtol |ref| for every element (NaN matches NaN).
inline void expect_close(const Tensor& got, const Tensor& ref, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  ASSERT_EQ(got.dtype(), ref.dtype()) << what;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double g = got.flat(i), r = ref.flat(i);
    if (std::isnan(g) && std::isnan(r)) continue;
    ASSERT_LE(std::fabs(g - r), atol + rtol * std::fabs(r)) << what << " element " << i << " got " << g << " ref " << r;
  }
}

// The op's outputs on the GPU, copied back, and the inputs after the op (for
// ops that update inputs in place).
struct GpuRun {
  std::vector<Tensor> outputs, inputs;
};

inline GpuRun run_on_gpu(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs = {},
                         bool training = true, uint64_t seed = 0, uint64_t step = 0) {
  const Stream s = Stream::default_stream(Device::cuda(0));
  std::vector<Tensor> d;
  for (const Tensor& t : in) d.push_back(t.to(Device::cuda(0), s));
  GpuRun r;
  for (const Tensor& t : ops::call(op, d, attrs, training, seed, step)) r.outputs.push_back(t.to(Device::cpu(), s));
  for (const Tensor& t : d) r.inputs.push_back(t.to(Device::cpu(), s));
  return r;
}

// Runs `op` on both devices (CPU on copies of the inputs) and compares every output.
inline void compare_op(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs, double atol,
                       double rtol) {
  std::vector<Tensor> cpu_in;
  for (const Tensor& t : in) cpu_in.push_back(t.to(Device::cpu()));
  const std::vector<Tensor> ref = ops::call(op, cpu_in, attrs);
  const GpuRun got = run_on_gpu(op, in, attrs);
  ASSERT_EQ(got.outputs.size(), ref.size()) << op;
  for (size_t i = 0; i < ref.size(); ++i) expect_close(got.outputs[i], ref[i], atol, rtol, op + " output " + std::to_string(i));
}

}  // namespace cutrain::testing
