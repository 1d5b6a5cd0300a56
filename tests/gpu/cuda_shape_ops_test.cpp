// Shape ops on CUDA against the CPU reference: views, transpose, concat,
// split; typed over float and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;

CUTRAIN_BACKEND_TEST_SUITE(CudaShapeOps);

TYPED_TEST(CudaShapeOps, CopiesMatchCpu) {
  const Tensor x = this->random({2, 5, 5, 33}, 1);
  compare_op("reshape", {x}, {{"shape", std::vector<int64_t>{10, 165}}}, 0, 0);
  compare_op("flatten", {x}, {}, 0, 0);
  compare_op("expand_dims", {x}, {{"axis", 1}}, 0, 0);
  compare_op("squeeze", {this->random({3, 1, 4}, 2)}, {}, 0, 0);
  compare_op("transpose", {x}, {{"perm", std::vector<int64_t>{0, 3, 1, 2}}}, 0, 0);
  compare_op("transpose", {x}, {}, 0, 0);
  compare_op("concat", {x, this->random({2, 5, 5, 7}, 3), this->random({2, 5, 5, 1}, 4)},
             {{"axis", 3}}, 0, 0);
  compare_op("concat", {x, this->random({1, 5, 5, 33}, 5)}, {{"axis", 0}}, 0, 0);
  compare_op("split", {x}, {{"axis", -1}, {"sizes", std::vector<int64_t>{3, 30}}}, 0, 0);
}
