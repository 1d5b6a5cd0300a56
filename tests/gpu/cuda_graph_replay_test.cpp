// CUDA graph replay of a training step (graph/planned_executor.h): a small
// CNN with batch norm, dropout, Adam with a changing learning rate and EMA,
// trained on cuda:0 with replay on and off, agrees with itself; with the
// learning rate set to 0 after a first step, replayed steps leave the
// weights alone (a rate baked into the recorded graph would not).
#include <gtest/gtest.h>

#include <cmath>

#include "common/replay_test_net.h"
#include "gpu_test_util.h"

using namespace cutrain;
using graph::Graph;
using graph::Value;

namespace {

using testing_util::random_tensor;

train::Network small_cnn(Graph& g, const train::NetworkSpec& s) { return testing_util::bn_dropout_cnn(g, s, 8); }

struct Trained {
  std::vector<double> losses;
  std::vector<std::vector<double>> weights;
  std::vector<std::vector<double>> after_first;  // get_weights() after the first step
};

Trained train_steps(bool replay, const std::vector<double>& lrs) {
  train::NetworkSpec spec;
  spec.batch_size = 16;
  spec.height = spec.width = 8;
  spec.channels = 2;
  spec.num_classes = 4;
  train::Model m(small_cnn, spec);
  train::CompileOptions co;
  co.optimizer = train::adam(train::constant_schedule(0.01));
  co.ema_decay = 0.9;
  co.dtype = DType::f64;
  co.device = Device::cuda(0);
  co.graph_replay = replay;
  m.compile(co);
  Trained t;
  for (size_t k = 0; k < lrs.size(); ++k) {
    m.set_learning_rate(lrs[k]);
    const Tensor x = random_tensor({16, 8, 8, 2}, DType::f64, 1.0, 90 + k);
    std::vector<double> lv;
    for (int i = 0; i < 16; ++i) lv.push_back(static_cast<double>((i + static_cast<int>(k)) % 4));
    t.losses.push_back(m.train_on_batch(x, Tensor::from_vector({16}, lv, DType::i32)).at("loss"));
    if (k == 0)
      for (const Tensor& w : m.get_weights()) t.after_first.push_back(w.to_vector());
  }
  for (const Tensor& w : m.get_weights()) t.weights.push_back(w.to_vector());
  for (const Tensor& w : m.averaged_weights()) t.weights.push_back(w.to_vector());
  return t;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-12 * (1.0 + std::abs(b[i]))) << what << " [" << i << "]";
}

}  // namespace

// cuDNN's backward-filter algorithms may add in any order, so the two runs
// are compared to f64 rounding rather than bitwise.
TEST(CudaGraphReplay, TrainingStepsAgreeWithEnqueuedSteps) {
  CUTRAIN_REQUIRE_GPU();
  const std::vector<double> lrs{0.02, 0.0, 0.05, 0.01, 0.03};
  const Trained plain = train_steps(false, lrs);
  const Trained replayed = train_steps(true, lrs);
  expect_close(plain.losses, replayed.losses, "loss");
  ASSERT_EQ(plain.weights.size(), replayed.weights.size());
  for (size_t i = 0; i < plain.weights.size(); ++i)
    expect_close(plain.weights[i], replayed.weights[i], "weight " + std::to_string(i));
}

TEST(CudaGraphReplay, LearningRateIsReadFromDeviceMemory) {
  CUTRAIN_REQUIRE_GPU();
  const Trained frozen = train_steps(true, {0.05, 0.0, 0.0});
  // Parameters (the first three tensors) did not move after the first step.
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(frozen.after_first[i], frozen.weights[i]) << "parameter " << i;
}
