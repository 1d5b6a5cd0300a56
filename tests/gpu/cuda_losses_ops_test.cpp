// Loss ops and their gradients on CUDA against the CPU reference.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;
using cutrain::testing::random_tensor;

TEST(CudaLossOps, SoftmaxCrossEntropyMatchesCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-4 : 1e-12;
    const int64_t n = 32, c = 1001;
    const Tensor logits = random_tensor({n, c}, 1, t, -6, 6), dloss = random_tensor({n}, 2, t);
    std::vector<int64_t> ids(static_cast<size_t>(n));
    std::vector<int32_t> ids32(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ids32[static_cast<size_t>(i)] = static_cast<int32_t>(ids[static_cast<size_t>(i)] = (i * 37) % c);
    const Tensor probs = random_tensor({n, c}, 3, t, 0, 1);
    for (const Tensor& labels :
         {Tensor::from_data<int64_t>({n}, ids), Tensor::from_data<int32_t>({n}, ids32), probs})
      for (double s : {0.0, 0.1}) {
        const ops::Attrs a{{"label_smoothing", s}};
        compare_op("softmax_cross_entropy", {logits, labels}, a, 1e-6, rtol);
        compare_op("softmax_cross_entropy_grad", {dloss, logits, labels}, a, 1e-7, rtol);
      }
  }
}

TEST(CudaLossOps, PerSampleLossesAndReductionMatchCpu) {
  CUTRAIN_REQUIRE_GPU();
  for (DType t : {DType::f32, DType::f64}) {
    const double rtol = t == DType::f32 ? 1e-4 : 1e-12;
    const Tensor a = random_tensor({16, 7, 7, 3}, 4, t, -5, 5), b = random_tensor({16, 7, 7, 3}, 5, t, 0, 1),
                 dl = random_tensor({16}, 6, t);
    const ops::Attrs bce{{"label_smoothing", 0.1}, {"sum_features", true}};
    compare_op("sigmoid_binary_cross_entropy", {a, b}, bce, 1e-6, rtol);
    compare_op("sigmoid_binary_cross_entropy_grad", {dl, a, b}, bce, 1e-7, rtol);
    for (const char* op : {"mean_squared_error", "gaussian_kl"}) {
      compare_op(op, {a, b}, {}, 1e-6, rtol);
      compare_op(std::string(op) + "_grad", {dl, a, b}, {}, 1e-7, rtol);
    }
    const Tensor l = random_tensor({300}, 7, t, 0, 3), w = random_tensor({300}, 8, t, 0, 1),
                 dy = random_tensor({}, 9, t);
    for (const char* mode : {"sum_over_batch_size", "mean_weighted", "sum"}) {
      compare_op("weighted_loss_reduce", {l, w}, {{"mode", std::string(mode)}}, 1e-7, rtol);
      compare_op("weighted_loss_reduce", {l}, {{"mode", std::string(mode)}}, 1e-7, rtol);
      compare_op("weighted_loss_reduce_grad", {dy, w}, {{"mode", std::string(mode)}, {"n", int64_t{300}}}, 1e-7, rtol);
    }
  }
}
