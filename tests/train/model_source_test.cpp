// Model::fit over a user batch source (Keras' Sequence): its batches go
// through the loader's queue, with the same result for any worker count as
// train_on_batch on the same batches, and a throwing source ends fit with
// an error naming the batch, within a time limit, the previous checkpoint
// intact.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>

#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/callbacks/model_checkpoint.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

NetworkSpec spec() {
  NetworkSpec s;
  s.batch_size = 8;
  s.height = s.width = 6;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 4;
  return s;
}

std::unique_ptr<Model> compiled() {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{4}, 0.9}), spec());
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  m->compile(co);
  return m;
}

// Batch i of epoch e: a pure function of (e, i), as a Sequence should be.
data::Batch make(int64_t epoch, int64_t index) {
  data::Batch b;
  b.images = Tensor::empty({8, 6, 6, 1}, DType::f32);
  b.images.uniform(-1, 1, static_cast<uint64_t>(epoch * 1000 + index));
  b.labels = Tensor::empty({8}, DType::i32);
  for (int64_t r = 0; r < 8; ++r) b.labels.data<int32_t>()[r] = static_cast<int32_t>((r + index) % 3);
  return b;
}

bool same(const WeightSnapshot& a, const WeightSnapshot& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(a[i].raw_data(), b[i].raw_data(), a[i].nbytes()) != 0) return false;
  return true;
}

TEST(ModelSource, FitOverASourceEqualsTrainOnBatchForAnyWorkerCount) {
  auto by_hand = compiled();
  for (int64_t e = 0; e < 2; ++e)
    for (int64_t i = 0; i < 5; ++i) {
      const data::Batch b = make(e, i);
      by_hand->train_on_batch(b.images, b.labels);
    }
  for (int workers : {0, 1, 3}) {
    auto m = compiled();
    FitOptions fo;
    fo.epochs = 2;
    fo.verbose = 0;
    fo.workers = workers;
    fo.max_queue_size = 2;
    const History h = m->fit(make, 5, fo);
    EXPECT_EQ(h["loss"].size(), 2u);
    EXPECT_EQ(m->step(), 10);
    EXPECT_EQ(m->epoch(), 1);
    EXPECT_TRUE(same(m->get_weights(), by_hand->get_weights())) << workers << " workers";
  }
  auto m = compiled();
  FitOptions bad;
  bad.validation_split = 0.5;
  EXPECT_THROW(m->fit(make, 5, bad), Error);
  EXPECT_THROW(m->fit(make, 0, FitOptions{}), Error);
}

TEST(ModelSource, AThrowingSourceEndsFitNamingTheBatchAndKeepsTheCheckpoint) {
  auto m = compiled();
  const std::string pattern = testing::temp_path("source_throw", "epoch-{epoch:03d}.safetensors");
  const std::string first = testing::temp_path("source_throw", "epoch-001.safetensors");
  const std::string second = testing::temp_path("source_throw", "epoch-002.safetensors");
  std::filesystem::remove(first);
  std::filesystem::remove(second);
  ModelCheckpointOptions mo;
  mo.filepath = pattern;
  auto checkpoint = std::make_shared<ModelCheckpoint>(mo);
  data::BatchSource source = [](int64_t epoch, int64_t index) {
    if (epoch == 1 && index == 3) throw std::runtime_error("record 27 is truncated");
    return make(epoch, index);
  };
  FitOptions fo;
  fo.epochs = 3;
  fo.verbose = 0;
  fo.workers = 2;
  fo.max_queue_size = 2;
  auto done = std::async(std::launch::async, [&]() -> std::string {
    try {
      m->fit(source, 5, fo, {checkpoint});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  });
  if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "fit did not end within 60 s after the source threw";
    std::fflush(stdout);
    std::_Exit(1);  // a hung loader thread cannot be joined
  }
  const std::string msg = done.get();
  EXPECT_NE(msg.find("batch source failed at batch 3 of epoch 1: record 27 is truncated"), std::string::npos) << msg;
  EXPECT_EQ(m->step(), 5 + 3);  // epoch 0, then three batches of epoch 1
  ASSERT_TRUE(std::filesystem::exists(first));
  EXPECT_FALSE(std::filesystem::exists(second));
  // The checkpoint holds epoch 0's weights: replaying epoch 0 by hand gives them.
  auto by_hand = compiled();
  for (int64_t i = 0; i < 5; ++i) {
    const data::Batch b = make(0, i);
    by_hand->train_on_batch(b.images, b.labels);
  }
  auto reloaded = compiled();
  reloaded->load(first);
  EXPECT_EQ(reloaded->epoch(), 0);
  EXPECT_EQ(reloaded->step(), 5);
  EXPECT_TRUE(same(reloaded->get_weights(), by_hand->get_weights()));
}

}  // namespace
}  // namespace cutrain::train
