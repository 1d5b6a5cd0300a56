// Mixed precision on the CPU backend (CompileOptions::precision): the small
// CNN trained in bf16 and in fp16 reaches fp32's held-out accuracy within
// 0.5 points, with f32 master weights (parameters and optimizer state stay
// f32 and change every step) and 16-bit activations in the step graph.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cutrain/nn/small_cnn.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::synthetic;

struct PrecisionRun {
  double accuracy = 0;
  double loss = 0;
};

PrecisionRun train_small_cnn(graph::Precision p) {
  NetworkSpec s;
  s.batch_size = 32;
  s.height = s.width = 12;
  s.channels = 1;
  s.num_classes = 4;
  s.seed = 1;
  Model m(nn::small_cnn_builder({{8, 16}, 0.9}), s);
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  co.weight_decay = 1e-4;
  co.precision = p;
  m.compile(co);
  FitOptions fo;
  fo.batch_size = 32;
  fo.epochs = 3;
  fo.verbose = 0;
  fo.seed = 5;
  // Noise 2x the class pattern: fp32 stays well below 100 %, so the
  // comparison has room to fail. 640 samples train; the last 2,000 of the
  // same classes (validation_split) measure.
  fo.validation_split = 2000.0 / 2640.0;
  History h = m.fit(resize_image_data(synthetic(2640, 12, 4, 21, 2.0f), 12, 1, false), fo);
  // Master weights, states and optimizer slots: every leaf the model keeps is
  // f32, but the loss scaler's two counters (fp16), which are f64 to count
  // exactly past 2^24 steps.
  for (const auto& [name, t] : m.leaves()) {
    const bool counter = name == "loss_scale/growth_tracker" || name == "loss_scale/optimizer_steps";
    EXPECT_EQ(t.dtype(), counter ? DType::f64 : DType::f32) << name;
  }
  return {h["val_accuracy"].back(), h["val_loss"].back()};
}

TEST(MixedPrecision, SmallCnnInBf16AndFp16MatchesFp32Accuracy) {
  const PrecisionRun f32 = train_small_cnn(graph::Precision::fp32);
  const PrecisionRun bf16 = train_small_cnn(graph::Precision::bf16);
  const PrecisionRun f16 = train_small_cnn(graph::Precision::fp16);
  std::printf("held-out accuracy fp32 %.6f, bf16 %.6f, fp16 %.6f (loss %.6f, %.6f, %.6f)\n", f32.accuracy,
              bf16.accuracy, f16.accuracy, f32.loss, bf16.loss, f16.loss);
  EXPECT_GT(f32.accuracy, 0.4);   // learned (chance 0.25) ...
  EXPECT_LT(f32.accuracy, 0.99);  // ... but not saturated
  EXPECT_NEAR(bf16.accuracy, f32.accuracy, 0.005);
  EXPECT_NEAR(f16.accuracy, f32.accuracy, 0.005);
  // The runs differ: 16-bit activations change the arithmetic.
  EXPECT_NE(bf16.loss, f32.loss);
  EXPECT_NE(f16.loss, f32.loss);
}

// The low-precision CPU layer's temporaries live in the recorded step:
// replaying it (the default) trains bit for bit as enqueuing every kernel.
TEST(MixedPrecision, Bf16StepReplaysBitwise) {
  const auto leaves_after = [](bool replay, uint64_t steps) {
    NetworkSpec s;
    s.batch_size = 8;
    s.height = s.width = 12;
    s.channels = 1;
    s.num_classes = 4;
    s.seed = 1;
    Model m(nn::small_cnn_builder({{4, 8}, 0.9}), s);
    CompileOptions co;
    co.optimizer = adam(constant_schedule(0.01));
    co.precision = graph::Precision::bf16;
    co.graph_replay = replay;
    m.compile(co);
    Tensor x = Tensor::empty({8, 12, 12, 1}, DType::f32);
    const Tensor y = Tensor::from_vector({8}, {0, 1, 2, 3, 3, 2, 1, 0}, DType::i32);
    for (uint64_t step = 0; step < steps; ++step) {
      x.uniform(-1, 1, 40 + step);
      m.train_on_batch(x, y);
    }
    return m.leaves();
  };
  const auto a = leaves_after(true, 4), b = leaves_after(false, 4), fewer = leaves_after(true, 3);
  ASSERT_EQ(a.size(), b.size());
  int changed = 0;
  for (const auto& [name, t] : fewer) changed += std::memcmp(t.raw_data(), a.at(name).raw_data(), t.nbytes()) != 0;
  EXPECT_GT(changed, 0) << "the fourth step changed no leaf";
  for (const auto& [name, t] : a) {
    const Tensor& u = b.at(name);
    ASSERT_EQ(t.nbytes(), u.nbytes()) << name;
    EXPECT_EQ(std::memcmp(t.raw_data(), u.raw_data(), t.nbytes()), 0) << name;
  }
}

}  // namespace
}  // namespace cutrain::train
