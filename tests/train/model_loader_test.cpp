// Model::fit, evaluate and predict take their batches from data::Loader:
// the results are bitwise the same for any worker count and queue size, and
// the same as the batches built by hand on the calling thread (the old path:
// fit's permutation, the transform keyed by seed, epoch and sample index).
// A corrupt image ends fit with an error naming the file, within a time
// limit, and leaves the previous checkpoint intact.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <numeric>

#include "cutrain/data/image_folder.h"
#include "cutrain/data/shuffle.h"
#include "cutrain/io/png.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/callbacks/lambda_callback.h"
#include "cutrain/train/callbacks/model_checkpoint.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::synthetic;

NetworkSpec spec12(int64_t batch) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 12;
  s.channels = 1;
  s.num_classes = 4;
  s.seed = 3;
  return s;
}

std::unique_ptr<Model> compiled_cnn(int64_t batch) {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{4, 8}, 0.9}), spec12(batch));
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  co.seed = 11;  // keys the augmentation
  m->compile(co);
  return m;
}

bool bitwise_equal(const WeightSnapshot& a, const WeightSnapshot& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() || std::memcmp(a[i].raw_data(), b[i].raw_data(), a[i].nbytes()) != 0)
      return false;
  return true;
}

bool bitwise_equal(const History& a, const History& b) {
  if (a.history().size() != b.history().size()) return false;
  for (const auto& [key, values] : a.history()) {
    if (!b.contains(key) || b.history().at(key).size() != values.size()) return false;
    if (std::memcmp(values.data(), b.history().at(key).data(), values.size() * sizeof(double)) != 0) return false;
  }
  return true;
}

FitOptions fit_options(int workers, int queue) {
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = 3;
  fo.verbose = 0;
  fo.seed = 7;
  fo.workers = workers;
  fo.max_queue_size = queue;
  return fo;
}

TEST(ModelLoader, FitEvaluatePredictAreBitwiseTheSameForAnyWorkerCount) {
  auto train = synthetic(90, 12, 4, 5, 1.0f);  // 90 = 5 * 16 + 10: a short last batch
  const ImageData data = resize_image_data(train, 12, 1, /*flip=*/true);
  struct Run {
    History h;
    WeightSnapshot w;
    Logs eval;
    Tensor logits;
  };
  std::vector<Run> runs;
  for (auto [workers, queue] : {std::pair{0, 1}, {1, 1}, {2, 4}, {4, 2}}) {
    auto m = compiled_cnn(16);
    FitOptions fo = fit_options(workers, queue);
    fo.validation_split = 0.2;
    Run r;
    r.h = m->fit(data, fo);
    r.w = m->get_weights();
    EvaluateOptions eo;
    eo.verbose = 0;
    eo.batch_size = 20;
    eo.workers = workers;
    eo.max_queue_size = queue;
    r.eval = m->evaluate(data, eo);
    PredictOptions po;
    po.verbose = 0;
    po.batch_size = 32;
    po.workers = workers;
    r.logits = m->predict(data, po);
    runs.push_back(std::move(r));
  }
  ASSERT_EQ(runs[0].h["loss"].size(), 3u);
  ASSERT_EQ(runs[0].h["val_loss"].size(), 3u);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(runs[0].h, runs[i].h)) << "run " << i;
    EXPECT_TRUE(bitwise_equal(runs[0].w, runs[i].w)) << "run " << i;
    EXPECT_EQ(runs[0].eval.at("loss"), runs[i].eval.at("loss")) << "run " << i;
    ASSERT_EQ(runs[0].logits.nbytes(), runs[i].logits.nbytes());
    EXPECT_EQ(std::memcmp(runs[0].logits.raw_data(), runs[i].logits.raw_data(), runs[0].logits.nbytes()), 0);
  }
}

TEST(ModelLoader, FitEqualsBatchesBuiltByHand) {
  auto train = synthetic(90, 12, 4, 5, 1.0f);
  const ImageData data = resize_image_data(train, 12, 1, /*flip=*/true);
  auto through_loader = compiled_cnn(16);
  through_loader->fit(data, fit_options(2, 3));

  // The same steps from hand-made batches: fit's permutation per epoch, the
  // train transform keyed by (compile seed, epoch, sample index).
  auto by_hand = compiled_cnn(16);
  std::vector<int64_t> all(90);
  std::iota(all.begin(), all.end(), 0);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    by_hand->set_epoch(epoch);
    const std::vector<int64_t> order = data::shuffled_order(all, 7, epoch);
    for (int64_t lo = 0; lo < 90; lo += 16) {
      const int64_t n = std::min<int64_t>(16, 90 - lo);
      Tensor images = Tensor::empty({n, 12, 12, 1}, DType::f32);
      Tensor labels = Tensor::empty({n}, DType::i32);
      for (int64_t k = 0; k < n; ++k) {
        const int64_t idx = order[static_cast<std::size_t>(lo + k)];
        const data::Sample s = train->get(idx);
        data::SampleRng rng(11, static_cast<uint64_t>(epoch), static_cast<uint64_t>(idx));
        data.train_transform.apply(s.image, rng, images.data<float>() + k * 144);
        labels.data<int32_t>()[k] = s.label;
      }
      by_hand->train_on_batch(images, labels);
    }
  }
  EXPECT_EQ(through_loader->step(), by_hand->step());
  EXPECT_TRUE(bitwise_equal(through_loader->get_weights(), by_hand->get_weights()));
  // A different shuffle seed gives other weights: the comparison can fail.
  auto other = compiled_cnn(16);
  FitOptions fo = fit_options(2, 3);
  fo.seed = 8;
  other->fit(data, fo);
  EXPECT_FALSE(bitwise_equal(through_loader->get_weights(), other->get_weights()));
}

TEST(ModelLoader, StepsPerEpochContinuesThePassForAnyWorkerCount) {
  auto train = synthetic(90, 12, 4, 5, 1.0f);
  const ImageData data = resize_image_data(train, 12, 1, true);
  std::vector<WeightSnapshot> w;
  for (int workers : {0, 3}) {
    auto m = compiled_cnn(16);
    FitOptions fo = fit_options(workers, 2);
    fo.steps_per_epoch = 4;  // a pass of 6 batches spans epochs
    fo.epochs = 4;
    fo.warn = [](const std::string&) {};
    m->fit(data, fo);
    w.push_back(m->get_weights());
  }
  EXPECT_TRUE(bitwise_equal(w[0], w[1]));
}

// Several steps per execution leave the loss and metric outputs unread
// until the execution ends: the History and the weights do not change.
TEST(ModelLoader, StepsPerExecutionGivesTheSameHistory) {
  auto train = synthetic(90, 12, 4, 5, 1.0f);
  const ImageData data = resize_image_data(train, 12, 1, true);
  std::vector<History> h;
  std::vector<WeightSnapshot> w;
  for (int64_t k : {1, 4}) {
    auto m = compiled_cnn(16);
    FitOptions fo = fit_options(1, 2);
    fo.steps_per_execution = k;
    fo.validation_split = 0.2;
    h.push_back(m->fit(data, fo));
    w.push_back(m->get_weights());
  }
  EXPECT_TRUE(bitwise_equal(h[0], h[1]));
  EXPECT_TRUE(bitwise_equal(w[0], w[1]));
}

// A folder of 8x8 gray PNGs in two classes.
std::string image_folder(const std::string& tag, int per_class) {
  const std::string root = testing::temp_path(tag, "images");
  for (int c = 0; c < 2; ++c) {
    const std::string dir = root + "/class" + std::to_string(c);
    std::filesystem::create_directories(dir);
    for (int i = 0; i < per_class; ++i) {
      data::Image im{8, 8, 1, std::vector<uint8_t>(64)};
      for (int p = 0; p < 64; ++p) im.pixels[static_cast<std::size_t>(p)] = static_cast<uint8_t>((p * 7 + i * 13 + c * 100) % 256);
      io::write_png(dir + "/img" + std::to_string(i) + ".png", im.pixels.data(), 8, 8, 1);
    }
  }
  return root;
}

TEST(ModelLoader, CorruptImageEndsFitWithTheFileNameAndKeepsTheCheckpoint) {
  const std::string root = image_folder("loader_corrupt", 12);
  auto ds = std::make_shared<data::ImageFolderDataset>(root);
  NetworkSpec s = spec12(8);
  s.num_classes = 2;
  s.channels = 3;  // the folder decodes to RGB
  Model m(nn::small_cnn_builder({{4, 8}, 0.9}), s);
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  m.compile(co);
  const std::string ckpt_pattern = testing::temp_path("loader_corrupt", "epoch-{epoch:03d}.safetensors");
  const std::string ckpt0 = testing::temp_path("loader_corrupt", "epoch-001.safetensors");
  const std::string ckpt1 = testing::temp_path("loader_corrupt", "epoch-002.safetensors");
  std::filesystem::remove(ckpt1);
  ModelCheckpointOptions mo;
  mo.filepath = ckpt_pattern;
  auto checkpoint = std::make_shared<ModelCheckpoint>(mo);
  // After epoch 0 is saved, one file goes bad: epoch 1 meets it.
  const std::string bad = root + "/class1/img5.png";
  WeightSnapshot saved;
  auto corrupt = std::make_shared<LambdaCallback>();
  corrupt->epoch_end = [&](int64_t epoch, Logs&) {
    if (epoch != 0) return;
    saved = m.get_weights();
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << "this is not a PNG file";
  };
  FitOptions fo;
  fo.batch_size = 8;
  fo.epochs = 3;
  fo.verbose = 0;
  fo.workers = 2;
  fo.max_queue_size = 2;
  const ImageData data = resize_image_data(ds, 12, 3, true);
  auto done = std::async(std::launch::async, [&]() -> std::string {
    try {
      m.fit(data, fo, {checkpoint, corrupt});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  });
  if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "fit did not end within 60 s after a corrupt image";
    std::fflush(stdout);
    std::_Exit(1);  // a hung loader thread cannot be joined
  }
  const std::string msg = done.get();
  EXPECT_NE(msg.find("img5.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sample"), std::string::npos) << msg;
  EXPECT_NE(msg.find("epoch 1"), std::string::npos) << msg;
  ASSERT_TRUE(std::filesystem::exists(ckpt0));
  EXPECT_FALSE(std::filesystem::exists(ckpt1));
  Model reloaded(nn::small_cnn_builder({{4, 8}, 0.9}), s);
  reloaded.compile(co);
  reloaded.load(ckpt0);
  EXPECT_TRUE(bitwise_equal(reloaded.get_weights(), saved));
  EXPECT_EQ(reloaded.epoch(), 0);
}

}  // namespace
}  // namespace cutrain::train
