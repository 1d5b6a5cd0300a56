// Gradient accumulation (CompileOptions::accumulate_steps): N micro-batches
// of B then one update equal one batch of N·B without batch norm, to
// rounding (the mean of the micro-batch means is the big batch's mean);
// nothing is updated before the last micro-batch, but BN statistics move per
// micro-batch; step() counts updates; a resume mid-way continues the sum.
#include <gtest/gtest.h>

#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/checkpoint.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

std::unique_ptr<Model> linear(int64_t batch, int accumulate, OptimizerConfig opt) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 4;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 4;
  auto m = std::make_unique<Model>(testing::linear_net, s);
  CompileOptions co;
  co.optimizer = std::move(opt);
  co.dtype = DType::f64;
  co.weight_decay = 1e-2;
  co.metrics = {};
  co.accumulate_steps = accumulate;
  m->compile(co);
  return m;
}

Tensor images(int64_t n, uint64_t seed) {
  Tensor x = Tensor::empty({n, 4, 4, 1}, DType::f64);
  x.normal(0.0, 1.0, seed);
  return x;
}

Tensor labels(int64_t n, int64_t offset = 0) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>((i + offset) % 3));
  return Tensor::from_vector({n}, v, DType::i32);
}

std::map<std::string, std::vector<double>> snapshot(const Model& m) {
  std::map<std::string, std::vector<double>> s;
  for (const auto& [name, t] : m.leaves()) s[name] = t.to_vector();
  return s;
}

TEST(AccumulateSteps, EqualsOneBigBatchWithoutBatchNorm) {
  for (const OptimizerConfig& opt : {sgd(constant_schedule(0.5), 0.9), adam(constant_schedule(0.05))}) {
    SCOPED_TRACE(optimizer_name(opt.kind));
    auto big = linear(16, 1, opt);
    auto acc = linear(8, 2, opt);
    for (uint64_t step = 0; step < 3; ++step) {
      const Tensor x = images(16, 10 + step), y = labels(16, static_cast<int64_t>(step));
      big->train_on_batch(x, y);
      acc->train_on_batch(x.slice(0, 0, 8).clone(), y.slice(0, 0, 8).clone());
      if (step == 0) {
        // Nothing moves before the last micro-batch.
        auto fresh = linear(8, 2, opt);
        fresh->test_on_batch(x.slice(0, 0, 8).clone(), y.slice(0, 0, 8).clone());
        for (const std::string& n : acc->parameter_names())
          EXPECT_EQ(acc->leaves().at(n).to_vector(), fresh->leaves().at(n).to_vector()) << n;
        EXPECT_EQ(acc->step(), 0);
      }
      acc->train_on_batch(x.slice(0, 8, 16).clone(), y.slice(0, 8, 16).clone());
      EXPECT_EQ(acc->step(), big->step());
    }
    // f64: a few ulps of rounding per step (sums in another order).
    for (const std::string& n : big->parameter_names()) {
      const std::vector<double> a = big->leaves().at(n).to_vector(), b = acc->leaves().at(n).to_vector();
      for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-13 * std::max(1.0, std::fabs(a[i]))) << n << i;
    }
    // The accumulators are empty again after an update.
    for (const auto& [name, t] : acc->leaves()) {
      if (name.find("grad_accum") == std::string::npos) continue;
      for (double v : t.to_vector()) ASSERT_EQ(v, 0.0) << name;
    }
  }
}

TEST(AccumulateSteps, ResumeMidAccumulationContinuesTheSum) {
  const OptimizerConfig opt = adam(constant_schedule(0.05));
  auto a = linear(8, 3, opt);
  a->train_on_batch(images(8, 1), labels(8));
  a->train_on_batch(images(8, 2), labels(8, 1));
  const std::string path = testing::temp_path("accumulate", "mid.safetensors");
  a->save(path);
  const io::SafetensorsContents c = io::load_safetensors(path);
  ASSERT_TRUE(c.tensors.count(kMicroStepTensor));
  EXPECT_EQ(c.tensors.at(kMicroStepTensor).item(), 2.0);
  EXPECT_TRUE(c.tensors.count("optimizer.Logits.weight.grad_accum"));
  auto b = linear(8, 3, opt);
  b->load(path);
  for (uint64_t k : {3, 4, 5, 6}) {
    a->train_on_batch(images(8, k), labels(8, static_cast<int64_t>(k)));
    b->train_on_batch(images(8, k), labels(8, static_cast<int64_t>(k)));
  }
  EXPECT_EQ(b->step(), 2);
  for (const auto& [name, v] : snapshot(*a)) EXPECT_EQ(v, b->leaves().at(name).to_vector()) << name;
  // Another accumulation count cannot continue it.
  auto other = linear(8, 2, opt);
  EXPECT_THROW(other->load(path), Error);
}

TEST(AccumulateSteps, BatchNormStatisticsMovePerMicroBatch) {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{6, 8}, 0.9}), testing::small_cnn_spec());
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.05), 0.9);
  co.accumulate_steps = 2;
  m->compile(co);
  Tensor x = Tensor::empty({16, 10, 10, 1}, DType::f32);
  x.normal(0.0, 1.0, 3);
  m->test_on_batch(x, labels(16));
  const auto before = snapshot(*m);
  m->train_on_batch(x, labels(16));
  int moved_stats = 0;
  for (const std::string& n : m->state_names()) moved_stats += m->leaves().at(n).to_vector() != before.at(n);
  EXPECT_GT(moved_stats, 0);
  for (const std::string& n : m->parameter_names()) EXPECT_EQ(m->leaves().at(n).to_vector(), before.at(n)) << n;
  CompileOptions bad;
  bad.accumulate_steps = 0;
  Model z(nn::small_cnn_builder({{6, 8}, 0.9}), testing::small_cnn_spec());
  EXPECT_THROW(z.compile(bad), Error);
}

}  // namespace
}  // namespace cutrain::train
