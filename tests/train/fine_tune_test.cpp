// Fine-tuning: frozen parameters, initialisation from a file with another
// classifier, the gradient contract, and pre-training that pays off.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "cutrain/data/idx.h"
#include "cutrain/graph/ops/matmul.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/graph/ops/regularizers.h"
#include "cutrain/graph/ops/shape_ops.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/train/fine_tune.h"
#include "cutrain/train/gradient_contract.h"
#include "cutrain/train/image_data.h"
#include "cutrain/train/schedules.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::synthetic;
using testing::temp_path;

CompileOptions adam_options(double lr = 0.01) {
  CompileOptions co;
  co.optimizer = adam(constant_schedule(lr));
  co.seed = 3;
  return co;
}

Tensor batch_images(const data::Dataset& d, int64_t n, int hw) {
  Tensor x = Tensor::empty({n, hw, hw, 1}, DType::f32);
  for (int64_t i = 0; i < n; ++i) {
    const data::Sample s = d.get(i);
    for (int64_t p = 0; p < hw * hw; ++p) x.data<float>()[i * hw * hw + p] = s.image.pixels[p] / 255.0f;
  }
  return x;
}

Tensor batch_labels(const data::Dataset& d, int64_t n) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(d.get(i).label);
  return Tensor::from_vector({n}, v, DType::i32);
}

TEST(Freeze, FrozenParametersGetNoUpdateNoSlotsAndTheirBatchNormRunsInInference) {
  NetworkSpec spec = testing::small_cnn_spec();
  auto report = std::make_shared<FreezeReport>();
  Model m(freeze_builder(nn::small_cnn_builder(), "^Conv2d_1\\.", report), spec);
  m.compile(adam_options());
  const std::map<std::string, Tensor> before_named = named_weights(m);
  std::map<std::string, Tensor> before;
  for (const auto& [k, t] : before_named) before[k] = t.clone();

  const auto data = synthetic(spec.batch_size, spec.height, spec.num_classes, 1);
  for (int i = 0; i < 3; ++i) m.train_on_batch(batch_images(*data, spec.batch_size, spec.height),
                                                 batch_labels(*data, spec.batch_size));

  EXPECT_EQ(report->frozen, (std::vector<std::string>{"Conv2d_1/weights", "Conv2d_1/BatchNorm/beta"}));
  ASSERT_EQ(report->bn_inference.size(), 1u);
  const std::map<std::string, Tensor> after = named_weights(m);
  for (const char* frozen : {"Conv2d_1.weight", "Conv2d_1.BatchNorm.bias", "Conv2d_1.BatchNorm.running_mean",
                             "Conv2d_1.BatchNorm.running_var"})
    EXPECT_EQ(max_abs_diff(after.at(frozen), before.at(frozen)), 0.0) << frozen;
  for (const char* trained : {"Conv2d_2.weight", "Logits.weight", "Conv2d_2.BatchNorm.running_mean"})
    EXPECT_GT(max_abs_diff(after.at(trained), before.at(trained)), 0.0) << trained;
  // Adam keeps two slots per trained parameter (named after it) and none for frozen ones.
  auto leaves_naming = [&](const std::string& param) {
    return std::count_if(m.leaves().begin(), m.leaves().end(),
                         [&](const auto& kv) { return kv.first.find(param) != std::string::npos; });
  };
  EXPECT_EQ(leaves_naming("Conv2d_1/weights"), 1);
  EXPECT_EQ(leaves_naming("Conv2d_1/BatchNorm/beta"), 1);
  EXPECT_EQ(leaves_naming("Conv2d_2/weights"), 3);
  const std::vector<std::string> trainable = m.parameter_names();
  EXPECT_EQ(std::count(trainable.begin(), trainable.end(), "Conv2d_1/weights"), 0);
}

TEST(Freeze, RejectsPatternsThatFreezeNothingOrEverything) {
  NetworkSpec spec = testing::small_cnn_spec();
  for (const char* pattern : {"^NoSuchLayer", ".", "([bad"}) {
    Model m(freeze_builder(nn::small_cnn_builder(), pattern), spec);
    m.compile(adam_options());
    try {
      m.output_names();
      FAIL() << pattern << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("freeze"), std::string::npos) << e.what();
    }
  }
}

TEST(GradientContract, WarnsNamingUnreachedParametersAndFailsWhenNoneIsReached) {
  graph::Graph g;
  const graph::Value a = g.parameter("a", Tensor::full({3}, DType::f64, 1.0));
  const graph::Value b = g.parameter("b", Tensor::full({3}, DType::f64, 2.0));
  const graph::Value x = g.input("x", {Shape{3}, DType::f64});
  std::vector<std::string> warnings;
  const WarningSink sink = [&](const std::string& m) { warnings.push_back(m); };

  check_gradient_contract(g, graph::l2_loss(a, 1.0), {a, b}, sink);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("b"), std::string::npos) << warnings[0];
  EXPECT_EQ(unreached_parameters(g, graph::l2_loss(a, 1.0), {a, b}), std::vector<std::string>{"b"});

  warnings.clear();
  check_gradient_contract(g, graph::sum(graph::l2_loss(a, 1.0)), {a}, sink);
  EXPECT_TRUE(warnings.empty());

  const graph::Value input_only = graph::l2_loss(x, 1.0);
  try {
    check_gradient_contract(g, input_only, {a, b}, sink);
    FAIL() << "a loss that reaches no parameter was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no gradients"), std::string::npos) << what;
    EXPECT_NE(what.find(g.node(input_only.node).name), std::string::npos) << what;
    EXPECT_NE(what.find("a, b"), std::string::npos) << what;
  }
}

// The step of a network whose loss reaches none of its trainable parameters fails before it runs.
TEST(GradientContract, ModelRejectsALossThatReachesNoParameter) {
  NetworkSpec spec = testing::small_cnn_spec();
  NetworkBuilder b = [](graph::Graph& g, const NetworkSpec& s) {
    Network n;
    n.input = g.input("images", {Shape{s.batch_size, s.height, s.width, s.channels}, s.dtype});
    const int64_t features = int64_t{s.height} * s.width * s.channels;
    // Logits through constant weights; the trainable list names a parameter nothing reads.
    const graph::Value w = g.constant(Tensor::full({s.num_classes, features}, s.dtype, 0.01), "fixed_weights");
    n.outputs = {graph::dense(graph::flatten(n.input), w)};
    n.trainable = {g.parameter("orphan", Tensor::full({2}, s.dtype, 1.0))};
    return n;
  };
  Model m(b, spec);
  m.compile(adam_options());
  const auto data = synthetic(spec.batch_size, spec.height, spec.num_classes, 1);
  try {
    m.train_on_batch(batch_images(*data, spec.batch_size, spec.height), batch_labels(*data, spec.batch_size));
    FAIL() << "trained a step with no gradients";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("orphan"), std::string::npos) << e.what();
  }
}

TEST(InitFrom, ReplacesAClassifierOfAnotherClassCountAndLoadsTheRest) {
  NetworkSpec three = testing::small_cnn_spec();
  Model pre(nn::small_cnn_builder(), three);
  pre.compile(adam_options());
  const auto data = synthetic(three.batch_size, three.height, three.num_classes, 1);
  pre.train_on_batch(batch_images(*data, three.batch_size, three.height), batch_labels(*data, three.batch_size));
  const std::string path = temp_path("init_from", "pre.safetensors");
  pre.save(path);

  NetworkSpec five = three;
  five.num_classes = 5;
  five.seed = 9;
  Model m(nn::small_cnn_builder(), five);
  m.compile(adam_options());
  const Tensor head_before = named_weights(m).at("Logits.weight").clone();
  const InitFromReport r = init_from(m, path, five.num_classes);
  EXPECT_EQ(r.file_classes, 3);
  EXPECT_EQ(r.replaced, (std::vector<std::string>{"Logits.bias", "Logits.weight"}));
  EXPECT_NE(r.str().find("classifier replaced (3 classes in the file, 5 in the model)"), std::string::npos)
      << r.str();
  const auto got = named_weights(m), want = named_weights(pre);
  EXPECT_EQ(max_abs_diff(got.at("Conv2d_3.weight"), want.at("Conv2d_3.weight")), 0.0);
  EXPECT_EQ(max_abs_diff(got.at("Conv2d_1.BatchNorm.running_var"), want.at("Conv2d_1.BatchNorm.running_var")), 0.0);
  EXPECT_EQ(max_abs_diff(got.at("Logits.weight"), head_before), 0.0);

  // Another architecture: a report naming the tensors, and the model untouched.
  Model wide(nn::small_cnn_builder({{16, 32, 48}, 0.99}), five);
  wide.compile(adam_options());
  const Tensor conv_before = named_weights(wide).at("Conv2d_2.weight").clone();
  try {
    init_from(wide, path, five.num_classes);
    FAIL() << "loaded a file of another architecture";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Conv2d_3.weight: file f32[64, 3, 3, 32], model f32[48, 3, 3, 32]"), std::string::npos)
        << what;
  }
  EXPECT_EQ(max_abs_diff(named_weights(wide).at("Conv2d_2.weight"), conv_before), 0.0);
  std::filesystem::remove(path);
}

// Published pre-trained weights are often bf16 or f16: they load into an f32
// model rounded once (bf16 -> f32 is exact), the head still replaced, and the
// report says what was converted.
TEST(InitFrom, CastsBf16AndF16FilesToTheModelsDtypeAndSaysSo) {
  NetworkSpec three = testing::small_cnn_spec();
  Model pre(nn::small_cnn_builder(), three);
  pre.compile(adam_options());
  const std::map<std::string, Tensor> want = named_weights(pre);
  NetworkSpec five = three;
  five.num_classes = 5;
  for (DType low : {DType::bf16, DType::f16}) {
    SCOPED_TRACE(dtype_name(low));
    io::TensorMap file;
    for (const auto& [name, t] : want) file.emplace(name, t.to(low));
    const std::string path = temp_path("init_from_cast", "pre.safetensors");
    io::save_safetensors(path, file, {{"format", "pt"}});
    Model m(nn::small_cnn_builder(), five);
    m.compile(adam_options());
    const InitFromReport r = init_from(m, path, five.num_classes);
    EXPECT_EQ(r.file_classes, 3);
    EXPECT_EQ(r.replaced, (std::vector<std::string>{"Logits.bias", "Logits.weight"}));
    ASSERT_EQ(r.load.cast.size(), r.load.loaded.size());
    EXPECT_NE(r.str().find("cast to the model's dtype: " + std::to_string(r.load.loaded.size()) + " " +
                           std::string(dtype_name(low)) + " -> f32"),
              std::string::npos)
        << r.str();
    const auto got = named_weights(m);
    for (const std::string& name : r.load.loaded) {
      EXPECT_EQ(got.at(name).dtype(), DType::f32) << name;
      EXPECT_EQ(max_abs_diff(got.at(name), file.at(name).to(DType::f32)), 0.0) << name;
    }
    // The conversion really rounded: some weight differs from its f32 original.
    EXPECT_GT(max_abs_diff(got.at("Conv2d_3.weight"), want.at("Conv2d_3.weight")), 0.0);
    std::filesystem::remove(path);
  }
}

// A Fashion-MNIST class subset with labels renumbered 0..k-1.
class ClassSubset final : public data::Dataset {
 public:
  ClassSubset(std::shared_ptr<const data::Dataset> all, std::vector<int32_t> classes, int64_t limit)
      : all_(std::move(all)), classes_(std::move(classes)) {
    for (int64_t i = 0; i < all_->size() && static_cast<int64_t>(index_.size()) < limit; ++i) {
      const int32_t l = all_->get(i).label;
      if (std::find(classes_.begin(), classes_.end(), l) != classes_.end()) index_.push_back(i);
    }
  }
  int64_t size() const override { return static_cast<int64_t>(index_.size()); }
  data::Sample get(int64_t i) const override {
    data::Sample s = all_->get(index_.at(static_cast<size_t>(i)));
    s.label = static_cast<int32_t>(std::find(classes_.begin(), classes_.end(), s.label) - classes_.begin());
    return s;
  }

 private:
  std::shared_ptr<const data::Dataset> all_;
  std::vector<int32_t> classes_;
  std::vector<int64_t> index_;
};

// Pre-train on six Fashion-MNIST classes, fine-tune on the other four with a
// new head, and compare with training from scratch for the same steps (same
// seed, data and order). Cost: about 40 s on 2 shared cores.
TEST(FineTune, PretrainedFeaturesBeatTrainingFromScratchForTheSameSteps) {
  if (!std::filesystem::exists(std::string(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not installed (dataset-fashion-mnist)";
  auto train_all = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::train));
  auto test_all = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::test));
  const std::vector<int32_t> pre_classes{0, 1, 2, 3, 4, 5}, new_classes{6, 7, 8, 9};
  constexpr int64_t kPreSteps = 150, kFineSteps = 20, kBatch = 32;

  NetworkSpec spec;
  spec.batch_size = kBatch;
  spec.height = spec.width = 28;
  spec.channels = 1;
  spec.seed = 4;
  FitOptions fo;
  fo.batch_size = kBatch;
  fo.verbose = 0;
  fo.seed = 5;

  spec.num_classes = static_cast<int>(pre_classes.size());
  // A fast batch-norm decay: the moving statistics settle within the short
  // fine-tuning run, so the comparison is of the features, not of stale statistics.
  const nn::SmallCnnOptions cnn{{16, 32, 64}, 0.9};
  Model pre(nn::small_cnn_builder(cnn), spec);
  pre.compile(adam_options(0.003));
  fo.steps_per_epoch = kPreSteps;
  pre.fit(resize_image_data(std::make_shared<ClassSubset>(train_all, pre_classes, kPreSteps * kBatch), 28, 1, false),
          fo);
  const std::string path = temp_path("fine_tune", "pre.safetensors");
  pre.save(path, /*weights_only=*/true);

  spec.num_classes = static_cast<int>(new_classes.size());
  const ImageData fine = resize_image_data(std::make_shared<ClassSubset>(train_all, new_classes, kFineSteps * kBatch),
                                           28, 1, false);
  const ImageData test = resize_image_data(std::make_shared<ClassSubset>(test_all, new_classes, 1000), 28, 1, false);
  fo.steps_per_epoch = kFineSteps;
  EvaluateOptions eo;
  eo.verbose = 0;
  eo.batch_size = 100;
  auto run = [&](bool pretrained) {
    Model m(nn::small_cnn_builder(cnn), spec);
    m.compile(adam_options(0.003));
    if (pretrained) {
      const InitFromReport r = init_from(m, path, spec.num_classes);
      EXPECT_EQ(r.replaced.size(), 2u) << r.str();
    }
    m.fit(fine, fo);
    return m.evaluate(test, eo).at("accuracy");
  };
  const double scratch = run(false), tuned = run(true);
  std::cout << "[ finetune ] " << kPreSteps << " pre-training steps on classes 0-5; " << kFineSteps
            << " steps on classes 6-9: test accuracy from scratch " << scratch << ", fine-tuned " << tuned
            << std::endl;
  ::testing::Test::RecordProperty("scratch_accuracy", std::to_string(scratch));
  ::testing::Test::RecordProperty("finetuned_accuracy", std::to_string(tuned));
  EXPECT_GT(tuned, scratch);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cutrain::train
