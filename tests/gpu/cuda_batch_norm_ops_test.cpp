// batch_norm, batch_norm_grad and batch_norm_stats_grad on CUDA against the
// CPU reference through ops::call (training and eval; running statistics
// compared after the op), typed over float and double.
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

CUTRAIN_BACKEND_TEST_SUITE(CudaBatchNormOps);

TYPED_TEST(CudaBatchNormOps, ForwardMatchesCpu) {
  for (const Shape& s : {Shape{8, 35, 35, 64}, Shape{3, 5, 7, 33}, Shape{17, 1}})
    for (bool training : {true, false})
      for (bool gamma : {true, false}) {
        SCOPED_TRACE(s.str() + (training ? " training" : " eval") + (gamma ? " gamma" : ""));
        const int64_t c = s[-1];
        std::vector<Tensor> in{this->random(s, 1, 1.0, 3.0), this->random({c}, 2),
                               this->random({c}, 3), this->random({c}, 4, 0.5, 2.0)};
        if (gamma) in.push_back(this->random({c}, 5));
        expect_op_matches_cpu("batch_norm", in,
                              {{"epsilon", 1e-3}, {"decay", 0.9}, {"has_gamma", gamma}},
                              this->tol(1e-5, 1e-12), this->tol(1e-4, 1e-10), training);
      }
}

TYPED_TEST(CudaBatchNormOps, GradsMatchCpu) {
  for (const Shape& s : {Shape{8, 17, 17, 192}, Shape{3, 5, 7, 33}})
    for (bool training : {true, false})
      for (bool gamma : {true, false}) {
        SCOPED_TRACE(s.str() + (training ? " training" : " eval") + (gamma ? " gamma" : ""));
        const int64_t c = s[-1];
        std::vector<Tensor> in{this->random(s, 1), this->random(s, 2), this->random({c}, 3),
                               this->random({c}, 4, 0.5, 2.0)};
        if (gamma) in.push_back(this->random({c}, 5));
        // Sums over N*H*W rows of size ~1: absolute slack, one rounding per term.
        const double rows = static_cast<double>(s.numel() / c);
        expect_op_matches_cpu("batch_norm_grad", in, {{"has_gamma", gamma}},
                              this->tol(1e-6, 1e-14) * rows, this->tol(1e-4, 1e-10), training);
        expect_op_matches_cpu("batch_norm_stats_grad",
                              {in[1], in[2], in[3], this->random({c}, 6), this->random({c}, 7)}, {},
                              this->tol(1e-6, 1e-14), this->tol(1e-5, 1e-12), training);
      }
}
