// Shared by the GPU op tests: run an op through ops::call on the GPU and on
// the CPU reference with the same inputs (mutated inputs come back too) and
// compare elementwise.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"

namespace cutrain::testing {

inline Tensor random_tensor(const Shape& s, uint64_t seed, double lo = -1, double hi = 1, DType t = DType::f32) {
  Tensor x = Tensor::empty(s, t);
  x.uniform(lo, hi, seed);
  return x;
}

struct OpRun {
  std::vector<Tensor> outputs;  // on the CPU
  std::vector<Tensor> inputs;   // after the op (mutated state), on the CPU
};

// Runs `op` on copies of `in` on `device`.
inline OpRun run_op(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs, bool training,
                    Device device) {
  const Stream s = Stream::default_stream(device);
  std::vector<Tensor> d;
  for (const Tensor& t : in) d.push_back(device.is_cuda() ? t.to(device, s) : t.clone());
  OpRun r;
  for (const Tensor& t : ops::call(op, d, attrs, training)) r.outputs.push_back(t.to(Device::cpu(), s));
  for (const Tensor& t : d) r.inputs.push_back(t.to(Device::cpu(), s));
  s.synchronize();
  return r;
}

// |got - ref| <= atol + rtol |ref| for every element.
inline void expect_close(const Tensor& got, const Tensor& ref, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  ASSERT_EQ(got.dtype(), ref.dtype()) << what;
  for (int64_t i = 0; i < ref.numel(); ++i)
    ASSERT_LE(std::fabs(got.flat(i) - ref.flat(i)), atol + rtol * std::fabs(ref.flat(i)))
        << what << " element " << i << " got " << got.flat(i) << " ref " << ref.flat(i);
}

// Runs on the GPU and the CPU; compares every output and every input after the op.
inline void expect_op_matches_cpu(const std::string& op, const std::vector<Tensor>& in, const ops::Attrs& attrs,
                                  double atol, double rtol, bool training = true) {
  const OpRun gpu = run_op(op, in, attrs, training, Device::cuda(0));
  const OpRun cpu = run_op(op, in, attrs, training, Device::cpu());
  ASSERT_EQ(gpu.outputs.size(), cpu.outputs.size()) << op;
  for (size_t i = 0; i < cpu.outputs.size(); ++i)
    expect_close(gpu.outputs[i], cpu.outputs[i], atol, rtol, op + " output " + std::to_string(i));
  for (size_t i = 0; i < cpu.inputs.size(); ++i)
    expect_close(gpu.inputs[i], cpu.inputs[i], atol, rtol, op + " input " + std::to_string(i) + " after the op");
}

}  // namespace cutrain::testing
