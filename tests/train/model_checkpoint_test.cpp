// Checkpoints: round trip of weights, BN statistics, optimizer slots and
// step; resuming continues bit for bit; damaged files are named in errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cutrain/io/safetensors.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/checkpoint.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::small_cnn_spec;
using testing::synthetic;
using testing::temp_path;

std::unique_ptr<Model> make_model(OptimizerConfig opt) {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{6, 8}}), small_cnn_spec(), R"({"model":"test"})");
  CompileOptions co;
  co.optimizer = std::move(opt);
  co.weight_decay = 1e-3;
  co.seed = 7;
  m->compile(co);
  return m;
}

// Every leaf (parameters, states, slots), bitwise.
void expect_same_leaves(const Model& a, const Model& b) {
  ASSERT_EQ(a.leaves().size(), b.leaves().size());
  for (const auto& [name, t] : a.leaves()) {
    const Tensor& u = b.leaves().at(name);
    ASSERT_EQ(t.shape(), u.shape()) << name;
    const std::vector<double> x = t.to_vector(), y = u.to_vector();
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], y[i]) << name << "[" << i << "]";
  }
}

TEST(ModelCheckpoint, NamesMapToPyTorchStyle) {
  EXPECT_EQ(checkpoint_name("Mixed_5b/Branch_1/Conv2d_0a_1x1/weights"), "Mixed_5b.Branch_1.Conv2d_0a_1x1.weight");
  EXPECT_EQ(checkpoint_name("Conv2d_1a_3x3/BatchNorm/moving_variance"), "Conv2d_1a_3x3.BatchNorm.running_var");
  EXPECT_EQ(checkpoint_name("Logits/Conv2d_1c_1x1/biases"), "Logits.Conv2d_1c_1x1.bias");
  EXPECT_EQ(checkpoint_name("Conv2d_1/weights/momentum"), "Conv2d_1.weight.momentum");
}

TEST(ModelCheckpoint, RoundTripRestoresWeightsStatsSlotsAndStep) {
  auto data = synthetic(48, 10, 3, 4);
  const ImageData d = resize_image_data(data, 10, 1, true);
  auto a = make_model(sgd(constant_schedule(0.05), 0.9));
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = 1;
  fo.verbose = 0;
  a->fit(d, fo);
  const std::string path = temp_path("model_ckpt", "roundtrip.safetensors");
  a->save(path);

  const io::SafetensorsContents c = io::load_safetensors(path);
  EXPECT_TRUE(c.tensors.count("Conv2d_1.weight"));
  EXPECT_TRUE(c.tensors.count("Conv2d_2.BatchNorm.running_mean"));
  EXPECT_TRUE(c.tensors.count("optimizer.Logits.weight.momentum"));
  EXPECT_EQ(c.metadata.at("step"), "3");
  EXPECT_EQ(c.metadata.at("epoch"), "0");
  EXPECT_EQ(c.metadata.at("format"), "pt");

  auto b = make_model(sgd(constant_schedule(0.05), 0.9));
  b->load(path);
  EXPECT_EQ(b->step(), 3);
  EXPECT_EQ(b->epoch(), 0);
  expect_same_leaves(*a, *b);
  // The BN statistics moved away from their initial values, so the check above saw them.
  const std::vector<double> rm = b->leaves().at("Conv2d_1/BatchNorm/moving_mean").to_vector();
  double s = 0;
  for (double v : rm) s += std::abs(v);
  EXPECT_GT(s, 0.0);
}

TEST(ModelCheckpoint, ResumeEqualsUninterruptedRunBitForBit) {
  auto data = synthetic(40, 10, 3, 8);  // 40 = 2 * 16 + 8: a partial last batch too
  const ImageData d = resize_image_data(data, 10, 1, true);
  auto opt = [] { return adam(exponential_decay(0.01, 0.7, 2, ScheduleUnit::steps, false)); };
  FitOptions fo;
  fo.batch_size = 16;
  fo.verbose = 0;
  fo.seed = 3;

  auto full = make_model(opt());
  fo.epochs = 3;
  full->fit(d, fo);

  auto first = make_model(opt());
  fo.epochs = 1;
  first->fit(d, fo);
  const std::string path = temp_path("model_ckpt", "resume.safetensors");
  first->save(path);

  auto resumed = make_model(opt());
  resumed->load(path);
  fo.epochs = 3;
  fo.initial_epoch = resumed->epoch() + 1;
  ASSERT_EQ(fo.initial_epoch, 1);
  resumed->fit(d, fo);
  EXPECT_EQ(resumed->step(), full->step());
  expect_same_leaves(*full, *resumed);
  // And training changed something after the checkpoint (the comparison is not vacuous).
  EXPECT_GT(max_abs_diff(first->leaves().at("Logits/weights"), full->leaves().at("Logits/weights")), 0.0);
}

TEST(ModelCheckpoint, DamagedFileErrorNamesTheFile) {
  auto m = make_model(sgd(constant_schedule(0.1)));
  Tensor x = Tensor::zeros({16, 10, 10, 1}, DType::f32);
  m->train_on_batch(x, Tensor::zeros({16}, DType::i32));
  const std::string path = temp_path("model_ckpt", "damaged.safetensors");
  m->save(path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));  // truncated
  }
  try {
    m->load(path);
    FAIL() << "loading a truncated checkpoint must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  const std::string missing = temp_path("model_ckpt", "missing.safetensors");
  try {
    m->load(missing);
    FAIL() << "loading a missing checkpoint must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
}

TEST(ModelCheckpoint, WrongShapesAreRejected) {
  auto a = make_model(sgd(constant_schedule(0.1)));
  Tensor x = Tensor::zeros({16, 10, 10, 1}, DType::f32);
  a->train_on_batch(x, Tensor::zeros({16}, DType::i32));
  const std::string path = temp_path("model_ckpt", "shapes.safetensors");
  a->save(path);
  Model other(nn::small_cnn_builder({{6, 12}}), small_cnn_spec());
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.1));
  other.compile(co);
  EXPECT_THROW(other.load(path), Error);
}

}  // namespace
}  // namespace cutrain::train
