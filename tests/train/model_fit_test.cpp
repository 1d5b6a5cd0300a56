// A small CNN learns a synthetic data set through Model::fit, and the
// Keras-facing pieces (history, validation, evaluate, predict, learning rate)
// behave as documented.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <thread>

#include "cutrain/nn/small_cnn.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::synthetic;

NetworkSpec cnn_spec(int64_t batch) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 12;
  s.channels = 1;
  s.num_classes = 4;
  s.seed = 1;
  return s;
}

TEST(ModelFit, SmallCnnLearnsSyntheticData) {
  auto train = synthetic(384, 12, 4, 21, 1.0f);
  Model m(nn::small_cnn_builder({{8, 16}, 0.9}), cnn_spec(32));  // fast BN statistics: few steps
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  co.weight_decay = 1e-4;
  co.metrics = {"accuracy", "top_k"};
  co.top_k = 2;
  m.compile(co);
  FitOptions fo;
  fo.batch_size = 32;
  fo.epochs = 4;
  fo.verbose = 0;
  fo.validation_split = 0.25;
  fo.seed = 5;
  History h = m.fit(resize_image_data(train, 12, 1, false), fo);
  ASSERT_EQ(h["loss"].size(), 4u);
  ASSERT_EQ(h["val_accuracy"].size(), 4u);
  EXPECT_TRUE(h.contains("top_k_categorical_accuracy"));
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  // Chance is 0.25 on 4 classes; held-out samples are classified well.
  EXPECT_GT(h["val_accuracy"].back(), 0.8) << "train accuracy " << h["accuracy"].back();
  EXPECT_EQ(m.step(), 4 * 9);  // 288 training samples in batches of 32
  EXPECT_EQ(m.epoch(), 3);

  // evaluate agrees with the argmax of predict on the same data.
  auto test = synthetic(384, 12, 4, 21, 1.0f);
  const ImageData td = resize_image_data(test, 12, 1, false);
  EvaluateOptions eo;
  eo.batch_size = 50;  // 384 = 7 * 50 + 34: two more batch sizes, sharing the weights
  eo.verbose = 0;
  const Logs logs = m.evaluate(td, eo);
  PredictOptions po;
  po.verbose = 0;
  po.batch_size = 64;
  const Tensor logits = m.predict(td, po);
  ASSERT_EQ(logits.dim(0), 384);
  double hits = 0;
  for (int64_t i = 0; i < 384; ++i) {
    int64_t best = 0;
    for (int64_t k = 1; k < 4; ++k)
      if (logits.at({i, k}) > logits.at({i, best})) best = k;
    hits += best == test->get(i).label;
  }
  EXPECT_NEAR(logs.at("accuracy"), hits / 384.0, 1e-9);
}

// The step spread over 1, 2 or 4 streams (CPU stream threads) computes the
// same bits: History and weights equal; the default follows the thread count.
TEST(ModelFit, StreamCountLeavesHistoryAndWeightsBitwiseUnchanged) {
  auto train = synthetic(128, 12, 4, 21, 1.0f);
  std::vector<History> hs;
  std::vector<std::vector<Tensor>> ws;
  for (int streams : {1, 2, 4}) {
    Model m(nn::small_cnn_builder({{8, 16}, 0.9}), cnn_spec(32));
    CompileOptions co;
    co.optimizer = adam(constant_schedule(0.01));
    co.streams = streams;
    m.compile(co);
    FitOptions fo;
    fo.batch_size = 32;
    fo.epochs = 2;
    fo.verbose = 0;
    hs.push_back(m.fit(resize_image_data(train, 12, 1, false), fo));
    ws.push_back(m.get_weights());
  }
  for (size_t k = 1; k < hs.size(); ++k) {
    EXPECT_EQ(hs[k]["loss"], hs[0]["loss"]) << "streams run " << k;
    ASSERT_EQ(ws[k].size(), ws[0].size());
    for (size_t i = 0; i < ws[0].size(); ++i) EXPECT_EQ(ws[k][i].to_vector(), ws[0][i].to_vector()) << i;
  }
  const int threads = omp_get_max_threads();
  set_cpu_threads(1);
  EXPECT_EQ(default_streams(Device::cpu()), std::thread::hardware_concurrency() > 1 ? 4 : 1);
  set_cpu_threads(2);
  EXPECT_EQ(default_streams(Device::cpu()), 1);
  EXPECT_EQ(default_streams(Device::cuda(0)), 4);
  set_cpu_threads(threads);
}

TEST(ModelFit, LearningRateFollowsTheScheduleUntilSet) {
  Model m(nn::small_cnn_builder({{4}}), cnn_spec(8));
  CompileOptions co;
  co.optimizer = sgd(exponential_decay(0.1, 0.5, 1, ScheduleUnit::steps, true));
  m.compile(co);
  Tensor x = Tensor::zeros({8, 12, 12, 1}, DType::f32);
  const Tensor y = Tensor::zeros({8}, DType::i32);
  EXPECT_DOUBLE_EQ(m.learning_rate(), 0.1);
  m.train_on_batch(x, y);
  m.train_on_batch(x, y);
  EXPECT_DOUBLE_EQ(m.learning_rate(), 0.025);
  m.set_learning_rate(0.3);
  m.train_on_batch(x, y);
  EXPECT_DOUBLE_EQ(m.learning_rate(), 0.3);
}

TEST(ModelFit, CompileRejectsUnknownLossAndMetric) {
  Model m(nn::small_cnn_builder(), cnn_spec(8));
  CompileOptions co;
  co.losses = {LossSpec{"no_such_loss"}};
  EXPECT_THROW(m.compile(co), Error);
  co.losses = {LossSpec{}};
  co.metrics = {"f1"};
  EXPECT_THROW(m.compile(co), Error);
}

}  // namespace
}  // namespace cutrain::train
