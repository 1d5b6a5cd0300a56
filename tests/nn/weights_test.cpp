// Weights by name with a report (nn/weights.h), inference by default, and
// the torchvision preset.
#include "cutrain/nn/weights.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "cutrain/graph/executor.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/inception_v3.h"
#include "cutrain/nn/layers.h"
#include "cutrain/ops/shape_ops.h"
#include "cutrain/train/checkpoint.h"

namespace cutrain {
namespace {

// conv 3x3 (BN, beta only) -> global pool -> dense 3, batch 2 of 6x6x2, in scope "Net".
nn::Model tiny(uint64_t seed, int64_t classes = 3) {
  nn::Model m;
  m.name = "Net";
  nn::ModelBuilder b(m, DType::f32, seed);
  m.input = b.graph().input("images", {Shape({2, 6, 6, 2}), DType::f32});
  graph::NameScope scope(b.graph(), "Net");
  nn::ConvBnOptions co;
  co.bn.decay = 0.5;
  graph::Value x = nn::conv2d_bn_relu(b, m.input, 4, {3, 3}, 1, "SAME", "Conv2d_1a_3x3", co);
  x = nn::global_avg_pool(x, false, "Pool");
  m.logits = nn::dense(b, x, classes, "Logits");
  return m;
}

Tensor images(uint64_t seed) {
  Tensor t = Tensor::empty({2, 6, 6, 2}, DType::f32);
  t.uniform(-1, 1, seed);
  return t;
}

TEST(WeightNames, OneSchemeForCheckpointsConvertedFilesAndLoadWeights) {
  EXPECT_EQ(nn::weight_name("InceptionV3/Mixed_5b/Branch_1/Conv2d_0a_1x1/weights"),
            "InceptionV3.Mixed_5b.Branch_1.Conv2d_0a_1x1.weight");
  EXPECT_EQ(nn::weight_name("Conv2d_1a_3x3/BatchNorm/moving_variance"), "Conv2d_1a_3x3.BatchNorm.running_var");
  EXPECT_EQ(nn::weight_name("Logits/Conv2d_1c_1x1/biases"), "Logits.Conv2d_1c_1x1.bias");
  EXPECT_EQ(nn::weight_name("Logits.Conv2d_1c_1x1.bias"), "Logits.Conv2d_1c_1x1.bias");
  for (const char* n : {"A/B/weights", "A/BatchNorm/gamma", "A/BatchNorm/beta", "A/BatchNorm/moving_mean"})
    EXPECT_EQ(train::checkpoint_name(n), nn::weight_name(n)) << n;
}

TEST(LoadWeights, RoundTripThroughAFileIsExact) {
  nn::Model a = tiny(1), b = tiny(2);
  const std::string path = (std::filesystem::temp_directory_path() / "cutrain_weights_rt.safetensors").string();
  nn::save_weights(a, path);
  const nn::LoadReport r = nn::load_weights(b, path);
  EXPECT_TRUE(r.ok()) << r.str();
  EXPECT_EQ(r.loaded.size(), 6u) << r.str();  // conv weight, beta, moving mean/var, dense weight/bias
  const auto wa = nn::named_weights(a), wb = nn::named_weights(b);
  for (const auto& [name, t] : wa) EXPECT_EQ(max_abs_diff(t, wb.at(name)), 0.0) << name;
  EXPECT_EQ(max_abs_diff(a.predict(images(3)), b.predict(images(3))), 0.0);
  std::filesystem::remove(path);
}

TEST(LoadWeights, StrictReportsMissingUnexpectedAndMismatchedAndWritesNothing) {
  nn::Model m = tiny(1);
  std::map<std::string, Tensor> file;
  nn::Model other = tiny(2);
  for (const auto& [name, t] : nn::named_weights(other)) file[name] = t.clone();
  file.erase("Net.Conv2d_1a_3x3.BatchNorm.running_mean");
  file["Net.Extra.weight"] = Tensor::zeros({1}, DType::f32);
  file["Net.Logits.weight"] = Tensor::zeros({5, 4}, DType::f32);
  const Tensor conv_before = nn::named_weights(m).at("Net.Conv2d_1a_3x3.weight").clone();
  try {
    nn::load_weights(m, file, {}, "wrong.safetensors");
    FAIL() << "a wrong file loaded silently";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'wrong.safetensors'"), std::string::npos) << what;
    EXPECT_NE(what.find("missing (1): Net.Conv2d_1a_3x3.BatchNorm.running_mean"), std::string::npos) << what;
    EXPECT_NE(what.find("unexpected (1): Net.Extra.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("Net.Logits.weight: file f32[5, 4], model f32[3, 4]"), std::string::npos) << what;
  }
  EXPECT_EQ(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.weight"), conv_before), 0.0);

  nn::LoadWeightsOptions loose;
  loose.strict = false;
  const nn::LoadReport r = nn::load_weights(m, file, loose);
  EXPECT_EQ(r.missing, std::vector<std::string>{"Net.Conv2d_1a_3x3.BatchNorm.running_mean"});
  EXPECT_EQ(r.unexpected, std::vector<std::string>{"Net.Extra.weight"});
  ASSERT_EQ(r.mismatched.size(), 1u);
  EXPECT_EQ(r.mismatched[0].file_shape, Shape({5, 4}));
  EXPECT_EQ(r.loaded.size(), 4u);
  EXPECT_EQ(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.weight"),
                         file.at("Net.Conv2d_1a_3x3.weight")), 0.0);
}

TEST(LoadWeights, SkipRegexDtypeCastAndSlimNames) {
  nn::Model m = tiny(1);
  std::map<std::string, Tensor> file;
  nn::Model other = tiny(2);
  for (const auto& [name, t] : nn::named_weights(other)) {
    // Slim names (the form older converters wrote), in float64.
    std::string slim = name;
    for (auto [from, to] : {std::pair{".weight", "/weights"}, {".bias", "/biases"}, {".running_mean", "/moving_mean"},
                            {".running_var", "/moving_variance"}})
      if (slim.size() > std::string(from).size() && slim.ends_with(from))
        slim = slim.substr(0, slim.size() - std::string(from).size()) + to;
    for (size_t p; (p = slim.find('.')) != std::string::npos;) slim[p] = '/';
    if (slim.ends_with("BatchNorm/biases")) slim.replace(slim.size() - 6, 6, "beta");
    file[slim] = t.to(DType::f64);
  }
  file["Net/Logits/weights"] = Tensor::zeros({7, 4}, DType::f64);  // another head
  file["Net/Logits/biases"] = Tensor::zeros({7}, DType::f64);
  EXPECT_THROW(nn::load_weights(m, file), Error);  // dtype differs
  nn::LoadWeightsOptions o;
  o.allow_dtype_cast = true;
  o.skip = "^Net\\.Logits\\.";
  const nn::LoadReport r = nn::load_weights(m, file, o);
  EXPECT_TRUE(r.ok()) << r.str();
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"Net.Logits.bias", "Net.Logits.weight"}));
  EXPECT_EQ(r.loaded.size(), 4u);
  EXPECT_LT(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.weight"),
                         file.at("Net/Conv2d_1a_3x3/weights")), 1e-7);
  o.skip = "([";
  EXPECT_THROW(nn::load_weights(m, file, o), Error);
}

// Casting goes both ways between floating types, rounds to nearest even,
// is listed in the report, and never touches integer tensors.
TEST(LoadWeights, DtypeCastIsReportedBothWaysAndNeverForIntegers) {
  Tensor f32 = Tensor::from_vector({3}, {1.0, 1.0 + 0x1p-8, -3.0 - 0x1p-9}, DType::f32);  // ties in bf16
  Tensor bf16 = Tensor::zeros({3}, DType::bf16), wide = Tensor::zeros({3}, DType::f32);
  Tensor count = Tensor::zeros({1}, DType::i64);
  const std::map<std::string, Tensor> targets{{"a.weight", bf16}, {"b.weight", wide}, {"c.count", count}};
  const std::map<std::string, Tensor> file{{"a.weight", f32},
                                           {"b.weight", f32.to(DType::bf16)},
                                           {"c.count", Tensor::full({1}, DType::f32, 7.0)}};
  nn::LoadWeightsOptions o;
  o.allow_dtype_cast = true;
  o.strict = false;
  const nn::LoadReport r = nn::load_weights(targets, file, o);
  ASSERT_EQ(r.cast.size(), 2u) << r.str();
  EXPECT_EQ(r.cast[0].name, "a.weight");
  EXPECT_EQ(r.cast[0].file_dtype, DType::f32);
  EXPECT_EQ(r.cast[0].model_dtype, DType::bf16);
  EXPECT_EQ(r.cast[1].file_dtype, DType::bf16);
  ASSERT_EQ(r.mismatched.size(), 1u);  // i64 <- f32: refused
  EXPECT_EQ(r.mismatched[0].name, "c.count");
  EXPECT_EQ(count.flat(0), 0.0);
  EXPECT_NE(r.str().find("cast to the model's dtype (2): a.weight f32 -> bf16, b.weight bf16 -> f32"),
            std::string::npos)
      << r.str();
  // Ties round to even: 1 + 2^-8 -> 1, -3 - 2^-9 -> -3 (bf16 keeps 8 bits).
  EXPECT_EQ(bf16.to_vector(), (std::vector<double>{1.0, 1.0, -3.0}));
  EXPECT_EQ(wide.to_vector(), bf16.to_vector());
}

TEST(Inference, ExecutorRunDefaultsToInferenceAndLeavesMovingStatisticsAlone) {
  nn::Model m = tiny(1);
  const Tensor mean_before = nn::named_weights(m).at("Net.Conv2d_1a_3x3.BatchNorm.running_mean").clone();
  graph::Executor ex(*m.graph, Device::cpu());
  const Tensor x = images(5);
  const Tensor plain = ex.run({{m.input, x}}, {m.logits})[0].clone();
  ex.sync_leaves_to_graph();
  EXPECT_EQ(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.BatchNorm.running_mean"), mean_before), 0.0);
  const Tensor eval = ex.run({{m.input, x}}, {m.logits}, graph::kInference)[0];
  EXPECT_EQ(max_abs_diff(plain, eval), 0.0);
  const Tensor train = ex.run({{m.input, x}}, {m.logits}, graph::kTraining)[0];
  EXPECT_GT(max_abs_diff(plain, train), 1e-6);  // batch statistics differ from the initial moving ones
  ex.sync_leaves_to_graph();
  EXPECT_GT(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.BatchNorm.running_mean"), mean_before), 0.0);
}

TEST(Inference, ModelPredictIsInferenceEvenForAModelBuiltForTraining) {
  nn::Model m = tiny(1);
  ASSERT_TRUE(m.training);
  const Tensor mean_before = nn::named_weights(m).at("Net.Conv2d_1a_3x3.BatchNorm.running_mean").clone();
  const Tensor x = images(5);
  const Tensor p1 = m.predict(x), p2 = m.predict(x);
  EXPECT_EQ(p1.shape(), Shape({2, 3}));
  EXPECT_EQ(max_abs_diff(p1, p2), 0.0);
  EXPECT_EQ(max_abs_diff(nn::named_weights(m).at("Net.Conv2d_1a_3x3.BatchNorm.running_mean"), mean_before), 0.0);
  EXPECT_THROW(m.predict(Tensor::zeros({3, 6, 6, 2}, DType::f32)), Error);
}

TEST(Inference, TorchvisionPresetIsPublic) {
  const nn::InceptionV3Options o = nn::InceptionV3Options::torchvision(10, 139, 4);
  EXPECT_TRUE(o.bn_gamma);
  EXPECT_TRUE(o.torchvision_pools);
  EXPECT_FALSE(o.is_training);
  EXPECT_EQ(o.dropout_keep_prob, 1.0);
  EXPECT_FALSE(o.initialize);
  EXPECT_EQ(o.num_classes, 10);
  EXPECT_EQ(o.image_size, 139);
  EXPECT_EQ(o.batch_size, 4);
  nn::InceptionV3Options small = o;
  small.depth_multiplier = 0.1;
  small.create_aux_logits = false;
  nn::Model m = nn::inception_v3(small);
  EXPECT_FALSE(m.training);
  // Every batch norm has a gamma, named as torchvision's bn.weight is after conversion.
  EXPECT_EQ(nn::named_weights(m).count("InceptionV3.Conv2d_1a_3x3.BatchNorm.weight"), 1u);
}

}  // namespace
}  // namespace cutrain
