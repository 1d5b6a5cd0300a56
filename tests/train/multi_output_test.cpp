// Multi-output models (Keras semantics): an ACGAN discriminator with a
// real/fake head (sigmoid cross-entropy against a 0/1 tensor target) and a
// class head (softmax cross-entropy against the label), a loss weight per
// output and class weights per output. The per-output losses and the total
// are recomputed by hand in double; fit reads per-output targets from the
// data and logs "<output>_loss" next to "loss".
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "common/test_util.h"
#include "cutrain/data/idx.h"
#include "cutrain/nn/acgan.h"
#include "cutrain/nn/vae.h"
#include "cutrain/train/acgan_losses.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing_util::error_of;

constexpr int64_t kBatch = 12;

NetworkSpec spec(int64_t batch = kBatch) {
  NetworkSpec s;
  s.batch_size = batch;
  s.height = s.width = 28;
  s.channels = 1;
  s.num_classes = 10;
  s.seed = 4;
  return s;
}

// Loss weights that make both outputs count equally at chance level: the
// validity loss starts near ln 2, the class loss near ln 10.
const double kValidityWeight = 1.0 / std::log(2.0), kClassWeight = 1.0 / std::log(10.0);

std::unique_ptr<Model> make_acgan(DType dt, double lr = 0.01) {
  auto m = std::make_unique<Model>(nn::acgan_discriminator_builder({{4, 8}, 0.2}), spec());
  CompileOptions co;
  co.optimizer = adam(constant_schedule(lr));
  co.losses = acgan_losses(kValidityWeight, kClassWeight);
  co.dtype = dt;
  co.seed = 3;
  m->compile(co);
  return m;
}

std::shared_ptr<const data::Dataset> real_images(int64_t n) {
  if (std::filesystem::exists(std::string(data::kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz")) {
    const data::LabeledImages all = data::load_fashion_mnist(data::Split::test);
    return std::make_shared<data::TensorDataset>(all.images.slice(0, 0, n).clone(),
                                                 all.labels.slice(0, 0, n).clone());
  }
  return testing::synthetic(n, 28, 10, 8);
}

double bce(double z, double t) { return std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z))); }

double softmax_ce(const Tensor& logits, int64_t n, int64_t label) {
  double mx = -1e300;
  for (int64_t k = 0; k < logits.dim(1); ++k) mx = std::max(mx, logits.at({n, k}));
  double s = 0;
  for (int64_t k = 0; k < logits.dim(1); ++k) s += std::exp(logits.at({n, k}) - mx);
  return mx + std::log(s) - logits.at({n, label});
}

TEST(MultiOutput, PerOutputClassWeightsLossWeightsAndReductionByHand) {
  auto m = make_acgan(DType::f64);
  EXPECT_EQ(m->output_names(), (std::vector<std::string>{"validity", "class"}));
  Tensor x = Tensor::empty({kBatch, 28, 28, 1}, DType::f64);
  x.uniform(-1, 1, 21);
  std::vector<double> real(kBatch), label(kBatch), sw(kBatch);
  for (int64_t i = 0; i < kBatch; ++i) {
    real[static_cast<size_t>(i)] = i % 3 == 0 ? 1.0 : 0.0;  // 4 real, 8 fake
    label[static_cast<size_t>(i)] = static_cast<double>((i * 7) % 10);
    sw[static_cast<size_t>(i)] = 0.5 + 0.125 * static_cast<double>(i % 5);
  }
  const Targets y{{"validity", Tensor::from_vector({kBatch, 1}, real, DType::f64)},
                  {"class", Tensor::from_vector({kBatch}, label, DType::i32)}};
  // Real/fake balanced (4 real, 8 fake: weights n / (2 n_c)); class weights 1 + c / 4.
  ClassWeights class_cw;
  for (int c = 0; c < 10; ++c) class_cw[c] = 1.0 + 0.25 * c;
  const OutputClassWeights cw{{"validity", {{0, 0.75}, {1, 1.5}}}, {"class", class_cw}};

  // The outputs at the weights the step starts from.
  const std::vector<Tensor> out = m->predict_on_batch(x);
  double validity = 0, cls = 0, plain_validity = 0;
  for (int64_t i = 0; i < kBatch; ++i) {
    const auto k = static_cast<size_t>(i);
    const double lv = bce(out[0].at({i, 0}), real[k]);
    const double lc = softmax_ce(out[1], i, static_cast<int64_t>(label[k]));
    validity += lv * sw[k] * (real[k] == 1.0 ? 1.5 : 0.75);
    cls += lc * sw[k] * class_cw.at(static_cast<int64_t>(label[k]));
    plain_validity += lv * sw[k];
  }
  validity /= kBatch;  // Keras: sum(loss_i * w_i) / batch size, per output
  cls /= kBatch;
  plain_validity /= kBatch;
  const double total = kValidityWeight * validity + kClassWeight * cls;

  // test_on_batch: sample weights only (class weights are a training matter).
  const Tensor w = Tensor::from_vector({kBatch}, sw, DType::f64);
  const Logs t = m->test_on_batch(x, y, w);
  EXPECT_NEAR(t.at("validity_loss"), plain_validity, 1e-12 * plain_validity);

  const Logs logs = m->train_on_batch(x, y, w, cw);
  std::printf("class weights: validity_loss %.15g (hand %.15g), class_loss %.15g (hand %.15g), loss %.15g (hand %.15g)\n",
              logs.at("validity_loss"), validity, logs.at("class_loss"), cls, logs.at("loss"), total);
  EXPECT_NEAR(logs.at("validity_loss"), validity, 1e-12 * validity);
  EXPECT_NEAR(logs.at("class_loss"), cls, 1e-12 * cls);
  EXPECT_NEAR(logs.at("loss"), total, 1e-12 * total);
  // Metrics read the labels head.
  EXPECT_TRUE(logs.contains("accuracy"));
}

TEST(MultiOutput, ErrorsNameTheOutput) {
  auto m = make_acgan(DType::f32);
  Tensor x = Tensor::zeros({kBatch, 28, 28, 1}, DType::f32);
  const Tensor labels = Tensor::zeros({kBatch}, DType::i32);
  std::string msg = error_of([&] { m->train_on_batch(x, labels); });
  EXPECT_NE(msg.find("'validity'"), std::string::npos) << msg;
  msg = error_of([&] { m->train_on_batch(x, Targets{{"class", labels}}); });
  EXPECT_NE(msg.find("no target for output 'validity'"), std::string::npos) << msg;
  const Targets y{{"validity", Tensor::zeros({kBatch, 1}, DType::f32)}, {"class", labels}};
  msg = error_of([&] { m->train_on_batch(x, y, {}, {{"realness", {{0, 2.0}}}}); });
  EXPECT_NE(msg.find("'realness'"), std::string::npos) << msg;
}

// fit over real images (validity 1) and their fakes (validity 0), targets
// per output from ImageData::targets, class weights per output.
TEST(MultiOutput, FitReadsPerOutputTargetsAndLogsPerOutputLosses) {
  const int64_t n_real = 48;
  auto m = make_acgan(DType::f32, 0.003);
  ImageData d;
  d.dataset = std::make_shared<nn::RealFakeDataset>(real_images(n_real));
  d.train_transform = d.eval_transform = nn::unit_interval_transform(28, 28, 1);
  d.targets["validity"] = nn::real_fake_targets(n_real);
  FitOptions fo;
  fo.batch_size = kBatch;
  fo.epochs = 3;
  fo.verbose = 0;
  fo.seed = 1;
  // Equal totals per class: real and fake are balanced already; weigh the
  // real/fake head's classes equally and the class head uniformly.
  fo.output_class_weight = {{"validity", {{0, 1.0}, {1, 1.0}}}};
  const History h = m->fit(d, fo);
  for (const char* key : {"loss", "validity_loss", "class_loss", "accuracy"})
    ASSERT_EQ(h.history().count(key), 1u) << key;
  const auto& loss = h.history().at("loss");
  const auto& vl = h.history().at("validity_loss");
  const auto& cl = h.history().at("class_loss");
  ASSERT_EQ(loss.size(), 3u);
  for (size_t e = 0; e < loss.size(); ++e)  // epoch means are linear: the total stays the weighted sum
    EXPECT_NEAR(loss[e], kValidityWeight * vl[e] + kClassWeight * cl[e], 1e-5 * loss[e]);
  // The fakes are easy to tell apart: the real/fake loss falls.
  EXPECT_LT(vl.back(), 0.7 * vl.front()) << vl.front() << " -> " << vl.back();

  // evaluate reads the targets too; every real sample scores above every fake on average.
  const Logs ev = m->evaluate(d, {.batch_size = kBatch, .verbose = 0});
  EXPECT_NEAR(ev.at("validity_loss"), vl.back(), 0.5 * vl.back());
  const Tensor p = m->predict(d, {.batch_size = kBatch, .verbose = 0});  // the validity head
  ASSERT_EQ(p.shape(), (Shape{2 * n_real, 1}));
  double real_mean = 0, fake_mean = 0;
  for (int64_t i = 0; i < n_real; ++i) {
    real_mean += p.flat(i) / n_real;
    fake_mean += p.flat(n_real + i) / n_real;
  }
  EXPECT_GT(real_mean, fake_mean);

  // A tensor target missing from the data is an error naming the output.
  ImageData no_targets = d;
  no_targets.targets.clear();
  const std::string msg = error_of([&] { m->evaluate(no_targets, {.batch_size = kBatch, .verbose = 0}); });
  EXPECT_NE(msg.find("targets['validity']"), std::string::npos) << msg;
}

// fit's per-output class weights are the ones train_on_batch applies: one
// unshuffled epoch through fit equals the same batches by hand.
TEST(MultiOutput, FitAppliesPerOutputClassWeightsLikeTrainOnBatch) {
  const int64_t n_real = 24;
  ImageData d;
  d.dataset = std::make_shared<nn::RealFakeDataset>(real_images(n_real));
  d.train_transform = d.eval_transform = nn::unit_interval_transform(28, 28, 1);
  d.targets["validity"] = nn::real_fake_targets(n_real);
  const OutputClassWeights cw{{"validity", {{0, 0.25}, {1, 3.0}}}, {"class", {{2, 4.0}, {7, 0.5}}}};

  auto a = make_acgan(DType::f64);
  FitOptions fo;
  fo.batch_size = kBatch;
  fo.verbose = 0;
  fo.shuffle = false;
  fo.output_class_weight = cw;
  a->fit(d, fo);

  auto b = make_acgan(DType::f64);
  auto c = make_acgan(DType::f64);  // the same without class weights
  const int64_t n = 2 * n_real;
  for (int64_t lo = 0; lo < n; lo += kBatch) {
    Tensor x = Tensor::empty({kBatch, 28, 28, 1}, DType::f32);
    Tensor validity = Tensor::empty({kBatch, 1}, DType::f32), label = Tensor::empty({kBatch}, DType::i32);
    for (int64_t k = 0; k < kBatch; ++k) {
      const data::Sample smp = d.dataset->get(lo + k);
      data::SampleRng rng(0, 0, 0);
      d.train_transform.apply(smp.image, rng, x.data<float>() + k * 784);
      validity.set_flat(k, lo + k < n_real ? 1.0 : 0.0);
      label.set_flat(k, smp.label);
    }
    const Targets y{{"validity", validity}, {"class", label}};
    b->train_on_batch(x, y, {}, cw);
    c->train_on_batch(x, y);
  }
  const WeightSnapshot wa = a->get_weights(), wb = b->get_weights(), wc = c->get_weights();
  double ab = 0, ac = 0;
  for (size_t i = 0; i < wa.size(); ++i) {
    ab = std::max(ab, max_abs_diff(wa[i], wb[i]));
    ac = std::max(ac, max_abs_diff(wa[i], wc[i]));
  }
  EXPECT_EQ(ab, 0.0);
  EXPECT_GT(ac, 1e-4);
}

}  // namespace
}  // namespace cutrain::train
