// Dropout on CUDA: the mask equals the CPU reference's exactly for the same
// seed and step, and y and dx match; typed over float and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::expect_close;
using cutrain::testing::run_on_gpu;

CUTRAIN_BACKEND_TEST_SUITE(CudaDropoutOps);

TYPED_TEST(CudaDropoutOps, MaskEqualsCpuBitForBit) {
  for (int64_t n : {1, 33, 1000003})
    for (uint64_t step : {0ull, 3ull, (1ull << 40) + 1}) {
      const Tensor x = this->random({n}, 1), dy = this->random({n}, 2);
      const ops::Attrs a{{"rate", 0.3}};
      const auto ref = ops::call("dropout", {x}, a, true, 99, step);
      const auto got = run_on_gpu("dropout", {x}, a, true, 99, step).outputs;
      expect_close(got[1], ref[1], 0, 0, "mask");
      expect_close(got[0], ref[0], 0, 0, "y");
      const auto dref = ops::call("dropout_grad", {dy, ref[1]}, a);
      expect_close(run_on_gpu("dropout_grad", {dy, ref[1]}, a).outputs[0], dref[0], 0, 0, "dx");
    }
}
