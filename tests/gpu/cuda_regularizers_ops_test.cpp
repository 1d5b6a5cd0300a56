// l2_loss and l2_loss_grad on CUDA against the CPU reference, through the
// op registry (sizes around the kernel's block and pass boundaries).
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::random_tensor;

TEST(CudaRegularizerOps, L2LossAndGradMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-5 : 1e-12;
    for (int64_t n : {1, 2048, 2049, 1000003, 3000000}) {
      const Tensor w = random_tensor({n}, static_cast<uint64_t>(n), t);
      cutrain::testing::compare_op("l2_loss", {w}, {{"weight_decay", 4e-5}}, 0, t == DType::f32 ? 1e-4 : 1e-12);
      const Tensor dy = random_tensor({}, 9, t);
      cutrain::testing::compare_op("l2_loss_grad", {dy, w}, {{"weight_decay", 4e-5}}, 0, rtol);
    }
  }
}
