// spectral_norm and spectral_norm_grad on CUDA against the CPU reference
// through ops::call; u and v compared after the op (training updates them);
// typed over float and double.
#include "cutrain/ops/op.h"
#include "cutrain/ops/spectral_norm.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

CUTRAIN_BACKEND_TEST_SUITE(CudaSpectralNormOps);

TYPED_TEST(CudaSpectralNormOps, ForwardMatchesCpu) {
  for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{
           {{192, 3, 3, 160}, 0}, {{1000, 2048}, 0}, {{64, 3, 3, 33}, 3}, {{1, 7}, 0}})
    for (int64_t iterations : {1, 2})
      for (bool training : {true, false}) {
        SCOPED_TRACE(shape.str() + " dim " + std::to_string(dim) + " iterations " +
                     std::to_string(iterations) + (training ? " training" : " eval"));
        const auto [u, v] = ops::spectral_norm_init_uv(shape, dim, this->dtype, 5);
        expect_op_matches_cpu(
            "spectral_norm", {this->random(shape, 1), u, v},
            {{"n_power_iterations", iterations}, {"dim", static_cast<int64_t>(dim)}},
            this->tol(1e-7, 1e-15), this->tol(1e-5, 1e-12), training);
      }
}

TYPED_TEST(CudaSpectralNormOps, GradMatchesCpu) {
  const Shape s{192, 3, 3, 160};
  const std::vector<Tensor> in{this->random(s, 1), this->random(s, 2), this->random({192}, 3),
                               this->random({s.numel() / 192}, 4),
                               this->random(Shape{}, 5, 0.5, 2)};
  const double atol = this->tol(1e-7, 1e-15), rtol = this->tol(1e-5, 1e-12);
  expect_op_matches_cpu("spectral_norm_grad", in, {}, atol, rtol);
  std::vector<Tensor> with_ds = in;
  with_ds.push_back(this->random(Shape{}, 6));
  expect_op_matches_cpu("spectral_norm_grad", with_ds, {}, atol, rtol);
}
