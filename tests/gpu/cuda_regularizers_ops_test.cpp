// l2_loss and l2_loss_grad on CUDA against the CPU reference, through the
// op registry (sizes around the kernel's block and pass boundaries), typed
// over float and double.
#include "op_compare.h"

using namespace cutrain;

CUTRAIN_BACKEND_TEST_SUITE(CudaRegularizerOps);

TYPED_TEST(CudaRegularizerOps, L2LossAndGradMatchCpu) {
  for (int64_t n : {1, 2048, 2049, 1000003, 3000000}) {
    const Tensor w = this->random({n}, static_cast<uint64_t>(n));
    cutrain::testing::compare_op("l2_loss", {w}, {{"weight_decay", 4e-5}}, 0,
                                 this->tol(1e-4, 1e-12));
    const Tensor dy = this->random({}, 9);
    cutrain::testing::compare_op("l2_loss_grad", {dy, w}, {{"weight_decay", 4e-5}}, 0,
                                 this->tol(1e-5, 1e-12));
  }
}
