// Loss ops and their gradients on CUDA against the CPU reference, typed over
// float and double.
#include "op_compare.h"

using namespace cutrain;
using cutrain::testing::compare_op;

CUTRAIN_BACKEND_TEST_SUITE(CudaLossOps);

TYPED_TEST(CudaLossOps, SoftmaxCrossEntropyMatchesCpu) {
  const double rtol = this->tol(1e-4, 1e-12);
  const int64_t n = 32, c = 1001;
  const Tensor logits = this->random({n, c}, 1, -6, 6), dloss = this->random({n}, 2);
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::vector<int32_t> ids32(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ids32[static_cast<size_t>(i)] =
        static_cast<int32_t>(ids[static_cast<size_t>(i)] = (i * 37) % c);
  const Tensor probs = this->random({n, c}, 3, 0, 1);
  for (const Tensor& labels :
       {Tensor::from_data<int64_t>({n}, ids), Tensor::from_data<int32_t>({n}, ids32), probs})
    for (double s : {0.0, 0.1}) {
      const ops::Attrs a{{"label_smoothing", s}};
      compare_op("softmax_cross_entropy", {logits, labels}, a, 1e-6, rtol);
      compare_op("softmax_cross_entropy_grad", {dloss, logits, labels}, a, 1e-7, rtol);
    }
}

TYPED_TEST(CudaLossOps, PerSampleLossesAndReductionMatchCpu) {
  const double rtol = this->tol(1e-4, 1e-12);
  const Tensor a = this->random({16, 7, 7, 3}, 4, -5, 5), b = this->random({16, 7, 7, 3}, 5, 0, 1),
               dl = this->random({16}, 6);
  const ops::Attrs bce{{"label_smoothing", 0.1}, {"sum_features", true}};
  compare_op("sigmoid_binary_cross_entropy", {a, b}, bce, 1e-6, rtol);
  compare_op("sigmoid_binary_cross_entropy_grad", {dl, a, b}, bce, 1e-7, rtol);
  for (const char* op : {"mean_squared_error", "gaussian_kl"}) {
    compare_op(op, {a, b}, {}, 1e-6, rtol);
    compare_op(std::string(op) + "_grad", {dl, a, b}, {}, 1e-7, rtol);
  }
  const Tensor l = this->random({300}, 7, 0, 3), w = this->random({300}, 8, 0, 1),
               dy = this->random({}, 9);
  for (const char* mode : {"sum_over_batch_size", "mean_weighted", "sum"}) {
    compare_op("weighted_loss_reduce", {l, w}, {{"mode", std::string(mode)}}, 1e-7, rtol);
    compare_op("weighted_loss_reduce", {l}, {{"mode", std::string(mode)}}, 1e-7, rtol);
    compare_op("weighted_loss_reduce_grad", {dy, w},
               {{"mode", std::string(mode)}, {"n", int64_t{300}}}, 1e-7, rtol);
  }
}
