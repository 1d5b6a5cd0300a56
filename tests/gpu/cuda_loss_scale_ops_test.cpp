// The loss-scaling, clip_by_value and gradient-accumulation ops on CUDA
// against the CPU reference, through the ops' CUDA bindings (the flag reset,
// the guard tensors, the token): every output and every input after the op.
#include <limits>

#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::expect_op_matches_cpu;
using cutrain::testing::random_tensor;

namespace {
Tensor f64_scalar(double v) { return Tensor::full(Shape{}, DType::f64, v); }
}  // namespace

TEST(CudaLossScaleOps, UnscaleAndCheckMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    std::vector<Tensor> in;
    for (int64_t n : {1, 33, 8193, 300000}) in.push_back(random_tensor({n}, static_cast<uint64_t>(n), t, -1e4, 1e4));
    in.push_back(Tensor::full(Shape{}, t, 65536.0));
    expect_op_matches_cpu("unscale_check_finite", in, {}, 0, 0);  // exact: a power-of-two scale
    in[2].set_flat(8192, std::numeric_limits<double>::infinity());
    const auto gpu = cutrain::testing::run_on_gpu("unscale_check_finite", in);
    EXPECT_EQ(gpu.outputs.back().item(), 1.0);  // run_on_gpu copied it back
  }
}

TEST(CudaLossScaleOps, GuardedUpdatesScaleUpdateAndClipMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-5 : 1e-12;
    const Tensor w = random_tensor({8193}, 1, t), g = random_tensor({8193}, 2, t),
                 s0 = random_tensor({8193}, 3, t, 0, 1), s1 = random_tensor({8193}, 4, t, 0, 1);
    for (double found : {0.0, 1.0}) {
      ops::Attrs sgd{{"lr", 0.1}, {"guarded", true}};
      expect_op_matches_cpu("sgd_update", {w, g, f64_scalar(found)}, sgd, 1e-7, rtol);
      ops::Attrs adam{{"lr", 1e-2}, {"step", int64_t{1}}, {"guarded", true}};
      expect_op_matches_cpu("adam_update", {w, g, s0, s1, f64_scalar(found), f64_scalar(4)}, adam, 1e-7, rtol);
      expect_op_matches_cpu("rmsprop_update", {w, g, s0, s1, f64_scalar(found)},
                            {{"lr", 0.01}, {"momentum", 0.9}, {"guarded", true}}, 1e-7, rtol);
      expect_op_matches_cpu("ema_update", {w, g, f64_scalar(found)}, {{"decay", 0.9}, {"guarded", true}}, 1e-7, rtol);
      expect_op_matches_cpu("update_loss_scale",
                            {Tensor::full(Shape{}, t, 1024.0), f64_scalar(1999), f64_scalar(7), f64_scalar(found)},
                            {}, 0, 0);
    }
    expect_op_matches_cpu("clip_by_value", {g, s0}, {{"clip_value", 0.25}}, 0, 0);
    expect_op_matches_cpu("accumulate_gradient", {s0, g}, {}, 0, 0);
    expect_op_matches_cpu("take_accumulated", {s0, g}, {{"scale", 0.25}}, 0, 0);
  }
}
