// GPU op tests on the public kit (cutrain/testing/backend_compare.h): run one
// op through ops::call on the GPU and on the CPU reference with the same
// inputs and compare elementwise, NaN matching NaN. Tests are typed over
// float and double:
//
//   CUTRAIN_BACKEND_TEST_SUITE(CudaPoolOps);
//   TYPED_TEST(CudaPoolOps, GlobalAvgPoolMatchesCpu) {
//     expect_op_matches_cpu("global_avg_pool", {this->random({16, 8, 8, 2048}, 1)}, {},
//                           this->tol(1e-6, 1e-15), this->tol(1e-4, 1e-12));
//   }
//
// runs as CudaPoolOps/f32 and CudaPoolOps/f64, each skipped with the reason
// when no GPU is usable. The helpers here take (atol, rtol) in that order.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/ops/op.h"
#include "cutrain/testing/backend_compare.h"
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
  EXPECT_TRUE(detail::close(what, got, ref, {rtol, atol, /*equal_nan=*/true}));
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
  EXPECT_TRUE(op_matches_cpu(op, in, attrs, {rtol, atol, /*equal_nan=*/true}, Device::cuda(0),
                             training, compare_inputs));
}

// compare_op of the outputs and of every input after the op.
inline void expect_op_matches_cpu(const std::string& op, const std::vector<Tensor>& in,
                                  const ops::Attrs& attrs, double atol, double rtol,
                                  bool training = true) {
  compare_op(op, in, attrs, atol, rtol, training, /*compare_inputs=*/true);
}

}  // namespace cutrain::testing
