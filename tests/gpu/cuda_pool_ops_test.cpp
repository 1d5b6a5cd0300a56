// Pooling ops on CUDA against the CPU reference through ops::call: TF SAME
// (asymmetric), VALID, explicit pads, both average divisors, global pooling.
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

namespace {

ops::Attrs pool_attrs(int64_t k, int64_t s, const std::string& padding, bool include_pad = false) {
  ops::Attrs a{{"window", std::vector<int64_t>{k, k}}, {"strides", std::vector<int64_t>{s, s}}, {"padding", padding}};
  if (padding == "EXPLICIT") a.set("pads", std::vector<int64_t>{1, 0, 0, 1});
  if (include_pad) a.set("count_include_pad", true);
  return a;
}

}  // namespace

TEST(CudaPoolOps, WindowPoolsAndGradsMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  struct Case {
    Shape x;
    int64_t k, s;
    const char* padding;
  };
  for (const Case& c : {Case{{4, 35, 35, 64}, 3, 2, "VALID"}, Case{{4, 17, 17, 33}, 3, 1, "SAME"},
                        Case{{2, 8, 8, 5}, 3, 2, "SAME"}, Case{{2, 9, 7, 3}, 2, 2, "EXPLICIT"}}) {
    SCOPED_TRACE(c.x.str() + " " + c.padding);
    const Tensor x = random_tensor(c.x, 1);
    const ops::Attrs a = pool_attrs(c.k, c.s, c.padding);
    expect_op_matches_cpu("max_pool", {x}, a, 0, 0);
    const Tensor y = ops::call("max_pool", {x}, a)[0];
    const Tensor dy = random_tensor(y.shape(), 2);
    expect_op_matches_cpu("max_pool_grad", {dy, x}, a, 0, 0);
    for (bool include_pad : {false, true}) {
      ops::Attrs ap = pool_attrs(c.k, c.s, c.padding, include_pad);
      expect_op_matches_cpu("avg_pool", {x}, ap, 1e-7, 1e-5);
      ap.set("input_shape", c.x.dims());
      expect_op_matches_cpu("avg_pool_grad", {dy}, ap, 1e-7, 1e-5);
    }
  }
}

TEST(CudaPoolOps, GlobalAvgPoolMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  const Tensor x = random_tensor({16, 8, 8, 2048}, 1);
  expect_op_matches_cpu("global_avg_pool", {x}, {}, 1e-6, 1e-4);
  expect_op_matches_cpu("global_avg_pool", {x}, {{"keepdims", true}}, 1e-6, 1e-4);
  expect_op_matches_cpu("global_avg_pool_grad", {random_tensor({16, 2048}, 2)},
                        {{"input_shape", std::vector<int64_t>{16, 8, 8, 2048}}}, 0, 1e-6);
  const Tensor x64 = random_tensor({2, 3, 5, 7}, 3, DType::f64, -1, 1);
  expect_op_matches_cpu("global_avg_pool", {x64}, {}, 1e-12, 1e-10);
  expect_op_matches_cpu("max_pool", {x64}, pool_attrs(3, 1, "SAME"), 0, 0);
}
