// Reductions, broadcast_to and softmax ops on CUDA against the CPU reference.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;
using cutrain::testing::random_tensor;

TEST(CudaReduceOps, SumMeanBroadcastMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-4 : 1e-12;
    const Tensor x = random_tensor({8, 17, 17, 33}, 1, t);
    for (const std::vector<int64_t>& axes :
         {std::vector<int64_t>{}, {0, 1, 2}, {3}, {1, 2}, {0, 2}, {-1}})
      for (bool keepdims : {false, true})
        for (const char* op : {"sum", "mean"}) compare_op(op, {x}, {{"axes", axes}, {"keepdims", keepdims}}, 1e-6, rtol);
    compare_op("broadcast_to", {random_tensor({17, 1, 33}, 2, t)}, {{"shape", std::vector<int64_t>{8, 17, 17, 33}}}, 0,
               0);
  }
}

TEST(CudaReduceOps, SoftmaxAndGradsMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-4 : 1e-12;
    for (const Shape& s : {Shape{64, 1000}, Shape{3, 1}, Shape{5, 7, 33}}) {
      const Tensor x = random_tensor(s, 3, t, -8, 8), dy = random_tensor(s, 4, t);
      for (const char* op : {"softmax", "log_softmax"}) {
        compare_op(op, {x}, {}, 1e-7, rtol);
        const Tensor y = ops::call(op, {x})[0];
        compare_op(std::string(op) + "_grad", {dy, y}, {}, 1e-6, rtol);
      }
    }
  }
}
