// inception_concat and inception_concat_grad on CUDA against the CPU
// reference through ops::call, at Inception V3's block shapes (small batch);
// typed over float and double.
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

CUTRAIN_BACKEND_TEST_SUITE(CudaInceptionConcatOps);

TYPED_TEST(CudaInceptionConcatOps, MatchesCpu) {
  struct Block {
    int64_t hw;
    std::vector<int64_t> channels;
  };
  for (const Block& b : {Block{35, {64, 64, 96, 32}}, Block{17, {192, 192, 192, 192}},
                         Block{8, {320, 768, 768, 192}}, Block{9, {3, 5, 7}}})
    for (bool relu : {false, true})
      for (bool affine : {false, true}) {
        SCOPED_TRACE(std::to_string(b.hw) + " relu " + std::to_string(relu) + " affine " +
                     std::to_string(affine));
        std::vector<Tensor> in;
        for (size_t i = 0; i < b.channels.size(); ++i)
          in.push_back(this->random({4, b.hw, b.hw, b.channels[i]}, i));
        if (affine) {
          for (size_t i = 0; i < b.channels.size(); ++i)
            in.push_back(this->random({b.channels[i]}, 10 + i, -2, 2));
          for (size_t i = 0; i < b.channels.size(); ++i)
            in.push_back(this->random({b.channels[i]}, 20 + i));
        }
        const ops::Attrs a{{"relu", relu}, {"affine", affine}};
        expect_op_matches_cpu("inception_concat", in, a, this->tol(1e-6, 1e-15),
                              this->tol(1e-5, 1e-12));
        const Tensor y = ops::call("inception_concat", in, a)[0];
        std::vector<Tensor> gin{this->random(y.shape(), 30)};
        if (relu) gin.push_back(y);
        if (affine)
          for (size_t i = 0; i < b.channels.size(); ++i) gin.push_back(in[b.channels.size() + i]);
        expect_op_matches_cpu("inception_concat_grad", gin,
                              {{"channels", b.channels}, {"relu", relu}, {"affine", affine}}, 0,
                              this->tol(1e-6, 1e-15));
      }
}
