// Reductions, broadcast_to and softmax ops on CUDA against the CPU reference,
// typed over float and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;

CUTRAIN_BACKEND_TEST_SUITE(CudaReduceOps);

TYPED_TEST(CudaReduceOps, SumMeanBroadcastMatchCpu) {
  const double rtol = this->tol(1e-4, 1e-12);
  const Tensor x = this->random({8, 17, 17, 33}, 1);
  for (const std::vector<int64_t>& axes :
       {std::vector<int64_t>{}, {0, 1, 2}, {3}, {1, 2}, {0, 2}, {-1}})
    for (bool keepdims : {false, true})
      for (const char* op : {"sum", "mean"})
        compare_op(op, {x}, {{"axes", axes}, {"keepdims", keepdims}}, 1e-6, rtol);
  compare_op("broadcast_to", {this->random({17, 1, 33}, 2)},
             {{"shape", std::vector<int64_t>{8, 17, 17, 33}}}, 0, 0);
}

TYPED_TEST(CudaReduceOps, SoftmaxAndGradsMatchCpu) {
  const double rtol = this->tol(1e-4, 1e-12);
  for (const Shape& s : {Shape{64, 1000}, Shape{3, 1}, Shape{5, 7, 33}}) {
    const Tensor x = this->random(s, 3, -8, 8), dy = this->random(s, 4);
    for (const char* op : {"softmax", "log_softmax"}) {
      compare_op(op, {x}, {}, 1e-7, rtol);
      const Tensor y = ops::call(op, {x})[0];
      compare_op(std::string(op) + "_grad", {dy, y}, {}, 1e-6, rtol);
    }
  }
}
