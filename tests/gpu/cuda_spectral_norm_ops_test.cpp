// spectral_norm and spectral_norm_grad on CUDA against the CPU reference
// through ops::call; u and v compared after the op (training updates them).
#include "cutrain/ops/op.h"
#include "cutrain/ops/spectral_norm.h"
#include "op_compare.h"

using namespace cutrain;
using namespace cutrain::testing;

TEST(CudaSpectralNormOps, ForwardMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (const auto& [shape, dim] : std::vector<std::pair<Shape, int>>{
           {{192, 3, 3, 160}, 0}, {{1000, 2048}, 0}, {{64, 3, 3, 33}, 3}, {{1, 7}, 0}})
    for (int64_t iterations : {1, 2})
      for (bool training : {true, false}) {
        SCOPED_TRACE(shape.str() + " dim " + std::to_string(dim) + " iterations " + std::to_string(iterations) +
                     (training ? " training" : " eval"));
        const auto [u, v] = ops::spectral_norm_init_uv(shape, dim, DType::f32, 5);
        expect_op_matches_cpu("spectral_norm", {random_tensor(shape, 1), u, v},
                              {{"n_power_iterations", iterations}, {"dim", static_cast<int64_t>(dim)}}, 1e-7, 1e-5,
                              training);
      }
}

TEST(CudaSpectralNormOps, GradMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  const Shape s{192, 3, 3, 160};
  const std::vector<Tensor> in{random_tensor(s, 1), random_tensor(s, 2), random_tensor({192}, 3),
                               random_tensor({s.numel() / 192}, 4), random_tensor(Shape{}, 5, DType::f32, 0.5, 2)};
  expect_op_matches_cpu("spectral_norm_grad", in, {}, 1e-7, 1e-5);
  std::vector<Tensor> with_ds = in;
  with_ds.push_back(random_tensor(Shape{}, 6));
  expect_op_matches_cpu("spectral_norm_grad", with_ds, {}, 1e-7, 1e-5);
}
