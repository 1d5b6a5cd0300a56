// Pooling ops on CUDA against the CPU reference through ops::call: TF SAME
// (asymmetric), VALID, explicit pads, both average divisors, global pooling;
// typed over float and double.
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

namespace {

ops::Attrs pool_attrs(int64_t k, int64_t s, const std::string& padding, bool include_pad = false) {
  ops::Attrs a{{"window", std::vector<int64_t>{k, k}},
               {"strides", std::vector<int64_t>{s, s}},
               {"padding", padding}};
  if (padding == "EXPLICIT") a.set("pads", std::vector<int64_t>{1, 0, 0, 1});
  if (include_pad) a.set("count_include_pad", true);
  return a;
}

}  // namespace

CUTRAIN_BACKEND_TEST_SUITE(CudaPoolOps);

TYPED_TEST(CudaPoolOps, WindowPoolsAndGradsMatchCpu) {
  const double avg_atol = this->tol(1e-7, 1e-16), avg_rtol = this->tol(1e-5, 1e-12);
  struct Case {
    Shape x;
    int64_t k, s;
    const char* padding;
  };
  for (const Case& c : {Case{{4, 35, 35, 64}, 3, 2, "VALID"}, Case{{4, 17, 17, 33}, 3, 1, "SAME"},
                        Case{{2, 8, 8, 5}, 3, 2, "SAME"}, Case{{2, 9, 7, 3}, 2, 2, "EXPLICIT"}}) {
    SCOPED_TRACE(c.x.str() + " " + c.padding);
    const Tensor x = this->random(c.x, 1);
    const ops::Attrs a = pool_attrs(c.k, c.s, c.padding);
    expect_op_matches_cpu("max_pool", {x}, a, 0, 0);
    const Tensor y = ops::call("max_pool", {x}, a)[0];
    const Tensor dy = this->random(y.shape(), 2);
    expect_op_matches_cpu("max_pool_grad", {dy, x}, a, 0, 0);
    for (bool include_pad : {false, true}) {
      ops::Attrs ap = pool_attrs(c.k, c.s, c.padding, include_pad);
      expect_op_matches_cpu("avg_pool", {x}, ap, avg_atol, avg_rtol);
      ap.set("input_shape", c.x.dims());
      expect_op_matches_cpu("avg_pool_grad", {dy}, ap, avg_atol, avg_rtol);
    }
  }
}

TYPED_TEST(CudaPoolOps, GlobalAvgPoolMatchesCpu) {
  const Tensor x = this->random({16, 8, 8, 2048}, 1);
  const double atol = this->tol(1e-6, 1e-15), rtol = this->tol(1e-4, 1e-12);
  expect_op_matches_cpu("global_avg_pool", {x}, {}, atol, rtol);
  expect_op_matches_cpu("global_avg_pool", {x}, {{"keepdims", true}}, atol, rtol);
  expect_op_matches_cpu("global_avg_pool_grad", {this->random({16, 2048}, 2)},
                        {{"input_shape", std::vector<int64_t>{16, 8, 8, 2048}}}, 0,
                        this->tol(1e-6, 1e-15));
  expect_op_matches_cpu("global_avg_pool", {this->random({2, 3, 5, 7}, 3)}, {}, atol, rtol);
}
