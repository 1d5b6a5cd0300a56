// Checkpoint integrity on load: CRC-32C of every tensor and of the header,
// value checks (finite weights and slots, non-negative BN variances, step),
// tensors the model does not have, and the escape hatch (verify = false).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "common/test_util.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/checkpoint.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using cutrain::testing_util::error_of;
using cutrain::testing_util::slurp;
using cutrain::testing_util::spit;
using testing::small_cnn_spec;
using testing::synthetic;
using testing::temp_path;

std::unique_ptr<Model> make_model() {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{6, 8}}), small_cnn_spec(), R"({"model":"test"})");
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.01));
  co.seed = 3;
  m->compile(co);
  return m;
}

// A checkpoint of a model trained for one epoch.
std::string trained_checkpoint(const std::string& name) {
  auto m = make_model();
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = 1;
  fo.verbose = 0;
  m->fit(resize_image_data(synthetic(32, 10, 3, 4), 10, 1, false), fo);
  const std::string path = temp_path("ckpt_integrity", name);
  m->save(path);
  return path;
}

// Rewrites a checkpoint with `edit` applied and fresh, valid checksums: the
// value checks must catch what the checksums then cannot.
template <typename Edit>
void rewrite(const std::string& path, Edit edit) {
  io::SafetensorsContents c = io::load_safetensors(path);
  edit(c.tensors, c.metadata);
  c.metadata.erase(kTensorCrcKey);
  c.metadata.erase(kHeaderCrcKey);
  add_checksums(c.tensors, c.metadata);
  io::save_safetensors(path, c.tensors, c.metadata);
}

void set_first(Tensor& t, double v) {
  std::vector<double> x = t.to_vector();
  x[0] = v;
  t = Tensor::from_vector(t.shape(), x, t.dtype());
}

TEST(CheckpointIntegrity, WritesChecksumsAndLoadsCleanly) {
  const std::string path = trained_checkpoint("clean.safetensors");
  const io::SafetensorsContents c = io::load_safetensors(path);
  ASSERT_TRUE(c.metadata.count(kTensorCrcKey));
  ASSERT_TRUE(c.metadata.count(kHeaderCrcKey));
  EXPECT_EQ(c.metadata.at(kHeaderCrcKey).size(), 8u);
  auto m = make_model();
  EXPECT_NO_THROW(m->load(path));
  EXPECT_EQ(m->step(), 2);
}

TEST(CheckpointIntegrity, AFlippedBitInATensorIsCaught) {
  const std::string path = trained_checkpoint("flip.safetensors");
  std::string bytes = slurp(path);
  bytes[bytes.size() - 3] ^= 0x10;  // inside the last tensor's data
  spit(path, bytes);
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("does not match its checksum"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("--no-verify"), std::string::npos) << msg;
  EXPECT_NO_THROW(load_checkpoint(path, /*verify=*/false));
}

TEST(CheckpointIntegrity, AnEditedHeaderIsCaught) {
  const std::string path = trained_checkpoint("header.safetensors");
  io::SafetensorsContents c = io::load_safetensors(path);
  c.metadata["step"] = "1";  // checksums kept as they were
  io::save_safetensors(path, c.tensors, c.metadata);
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("header checksum does not match"), std::string::npos) << msg;
  EXPECT_EQ(load_checkpoint(path, false).step, 1);
}

TEST(CheckpointIntegrity, ACheckpointWithoutChecksumsStillLoads) {
  const std::string path = trained_checkpoint("old.safetensors");
  io::SafetensorsContents c = io::load_safetensors(path);
  c.metadata.erase(kTensorCrcKey);
  c.metadata.erase(kHeaderCrcKey);
  io::save_safetensors(path, c.tensors, c.metadata);
  EXPECT_EQ(load_checkpoint(path).step, 2);
  // Only one of the two: damaged.
  c.metadata[kHeaderCrcKey] = "00000000";
  io::save_safetensors(path, c.tensors, c.metadata);
  EXPECT_NE(error_of([&] { load_checkpoint(path); }).find("only one of"), std::string::npos);
}

TEST(CheckpointIntegrity, NonFiniteWeightsAndSlotsAreRefused) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string path = trained_checkpoint("nan.safetensors");
  rewrite(path, [&](io::TensorMap& t, io::Metadata&) { set_first(t.at("Conv2d_1.weight"), nan); });
  std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("tensor 'Conv2d_1.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 non-finite values (the first at element 0"), std::string::npos) << msg;
  auto m = make_model();
  EXPECT_THROW(m->load(path), Error);
  EXPECT_NO_THROW(m->load(path, false, /*verify=*/false));

  const std::string slot = trained_checkpoint("inf_slot.safetensors");
  std::string slot_name;
  rewrite(slot, [&](io::TensorMap& t, io::Metadata&) {
    for (auto& [name, v] : t)
      if (name.rfind("optimizer.", 0) == 0) {
        slot_name = name;
        set_first(v, inf);
        break;
      }
  });
  ASSERT_FALSE(slot_name.empty());
  msg = error_of([&] { load_checkpoint(slot); });
  EXPECT_NE(msg.find("tensor '" + slot_name + "'"), std::string::npos) << msg;
}

TEST(CheckpointIntegrity, NegativeBatchNormVarianceAndStepAreRefused) {
  const std::string path = trained_checkpoint("var.safetensors");
  rewrite(path, [&](io::TensorMap& t, io::Metadata&) {
    set_first(t.at("Conv2d_1.BatchNorm.running_var"), -0.5);
  });
  std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("batch-norm variance 'Conv2d_1.BatchNorm.running_var' is negative at element 0"),
            std::string::npos)
      << msg;

  const std::string step = trained_checkpoint("step.safetensors");
  rewrite(step, [&](io::TensorMap&, io::Metadata& m) { m["step"] = "-4"; });
  msg = error_of([&] { load_checkpoint(step); });
  EXPECT_NE(msg.find("step is -4 (must be >= 0"), std::string::npos) << msg;
  EXPECT_EQ(load_checkpoint(step, false).step, -4);
}

TEST(CheckpointIntegrity, TensorsTheModelDoesNotHaveAreNamed) {
  const std::string path = trained_checkpoint("extra.safetensors");
  rewrite(path, [&](io::TensorMap& t, io::Metadata&) {
    t["Mixed_5b.Branch_0.weight"] = Tensor::zeros({2}, DType::f32);
    t["optimizer.Mixed_5b.Branch_0.weight.m"] = Tensor::zeros({2}, DType::f32);
  });
  auto m = make_model();
  const std::string msg = error_of([&] { m->load(path); });
  EXPECT_NE(msg.find("has tensors the model does not have: 'Mixed_5b.Branch_0.weight', "
                     "'optimizer.Mixed_5b.Branch_0.weight.m'"),
            std::string::npos)
      << msg;
  // Weights only: the slots are not looked at, the extra weight still is.
  const std::string msg2 = error_of([&] { make_model()->load(path, /*weights_only=*/true); });
  EXPECT_NE(msg2.find("'Mixed_5b.Branch_0.weight' ("), std::string::npos) << msg2;
}

}  // namespace
}  // namespace cutrain::train
