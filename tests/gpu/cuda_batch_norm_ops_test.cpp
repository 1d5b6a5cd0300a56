// batch_norm, batch_norm_grad and batch_norm_stats_grad on CUDA against the
// CPU reference through ops::call (training and eval; running statistics
// compared after the op).
#include "cutrain/ops/op.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

TEST(CudaBatchNormOps, ForwardMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (const Shape& s : {Shape{8, 35, 35, 64}, Shape{3, 5, 7, 33}, Shape{17, 1}})
    for (bool training : {true, false})
      for (bool gamma : {true, false}) {
        SCOPED_TRACE(s.str() + (training ? " training" : " eval") + (gamma ? " gamma" : ""));
        const int64_t c = s[-1];
        std::vector<Tensor> in{random_tensor(s, 1, DType::f32, 1.0, 3.0), random_tensor({c}, 2), random_tensor({c}, 3),
                               random_tensor({c}, 4, DType::f32, 0.5, 2.0)};
        if (gamma) in.push_back(random_tensor({c}, 5));
        expect_op_matches_cpu("batch_norm", in, {{"epsilon", 1e-3}, {"decay", 0.9}, {"has_gamma", gamma}}, 1e-5,
                              1e-4, training);
      }
}

TEST(CudaBatchNormOps, GradsMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (const Shape& s : {Shape{8, 17, 17, 192}, Shape{3, 5, 7, 33}})
    for (bool training : {true, false})
      for (bool gamma : {true, false}) {
        SCOPED_TRACE(s.str() + (training ? " training" : " eval") + (gamma ? " gamma" : ""));
        const int64_t c = s[-1];
        std::vector<Tensor> in{random_tensor(s, 1), random_tensor(s, 2), random_tensor({c}, 3),
                               random_tensor({c}, 4, DType::f32, 0.5, 2.0)};
        if (gamma) in.push_back(random_tensor({c}, 5));
        expect_op_matches_cpu("batch_norm_grad", in, {{"has_gamma", gamma}}, 1e-6 * static_cast<double>(s.numel() / c),
                              1e-4, training);
        expect_op_matches_cpu("batch_norm_stats_grad",
                              {in[1], in[2], in[3], random_tensor({c}, 6), random_tensor({c}, 7)}, {}, 1e-6, 1e-5,
                              training);
      }
}

TEST(CudaBatchNormOps, DoubleMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  const Shape s{4, 6, 6, 33};
  std::vector<Tensor> in{random_tensor(s, 1, DType::f64, -1, 1), random_tensor({33}, 2, DType::f64, -1, 1),
                         random_tensor({33}, 3, DType::f64, -1, 1), random_tensor({33}, 4, DType::f64, 0.5, 2),
                         random_tensor({33}, 5, DType::f64, -1, 1)};
  expect_op_matches_cpu("batch_norm", in, {{"has_gamma", true}}, 1e-12, 1e-10);
}
