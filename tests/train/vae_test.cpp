// The VAE, with its loss written the two Keras ways: a registered
// (y_true, y_pred) loss whose target is the input image, and a loss the
// network adds itself with the model compiled with no loss. Same seed, same
// data: same loss values and weights. Plus the loss formula by hand, the
// checkpoint round trip through load_model, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/test_util.h"
#include "cutrain/data/idx.h"
#include "cutrain/nn/vae.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/model_config.h"
#include "cutrain/train/vae_loss.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing_util::error_of;
using testing_util::ScratchDir;

constexpr int64_t kBatch = 16;

nn::VaeConfig config(nn::VaeLoss loss) {
  nn::VaeConfig c;
  c.conv_widths = {4};
  c.hidden = 32;
  c.latent = 4;
  c.loss = loss;
  return c;
}

NetworkSpec spec() {
  NetworkSpec s;
  s.batch_size = kBatch;
  s.height = s.width = 28;
  s.channels = 1;
  s.seed = 5;
  return s;
}

CompileOptions compile_options(nn::VaeLoss loss, DType dt) {
  CompileOptions co;
  co.optimizer = adam(constant_schedule(1e-3));
  co.losses = loss == nn::VaeLoss::compiled ? std::vector<LossSpec>{vae_compiled_loss()} : std::vector<LossSpec>{};
  co.metrics = {};
  co.dtype = dt;
  co.seed = 11;
  return co;
}

std::unique_ptr<Model> make_vae(nn::VaeLoss loss, DType dt = DType::f64) {
  register_vae_loss();
  auto m = std::make_unique<Model>(nn::vae_builder(config(loss)), spec(), R"({"model": "vae"})");
  m->compile(compile_options(loss, dt));
  return m;
}

// Fashion-MNIST test images scaled to [0, 1] (synthetic patterns when the
// data set is not installed), `count` of them from `first`.
Tensor images(int64_t first, int64_t count) {
  static const std::shared_ptr<const data::Dataset> ds = [] () -> std::shared_ptr<const data::Dataset> {
    if (std::filesystem::exists(std::string(data::kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
      return std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::test));
    return testing::synthetic(256, 28, 10, 3);
  }();
  const data::Transform tf = nn::unit_interval_transform(28, 28, 1);
  Tensor x = Tensor::empty({count, 28, 28, 1}, DType::f32);
  for (int64_t k = 0; k < count; ++k) {
    data::SampleRng rng(0, 0, 0);
    tf.apply(ds->get(first + k).image, rng, x.data<float>() + k * 784);
  }
  return x;
}

class VaeTwoWays : public ::testing::TestWithParam<DType> {};

TEST_P(VaeTwoWays, CompiledLossAndAddedLossGiveTheSameLossesAndWeights) {
  auto a = make_vae(nn::VaeLoss::compiled, GetParam());
  auto b = make_vae(nn::VaeLoss::added, GetParam());
  a->predict_on_batch(images(0, kBatch));  // builds the graph: the initial weights exist
  const WeightSnapshot w0 = a->get_weights();
  double max_loss_diff = 0, max_weight_diff = 0;
  for (int step = 0; step < 6; ++step) {
    const Tensor x = images(step * kBatch, kBatch);
    const Logs la = a->train_on_batch(x, Tensor{});
    const Logs lb = b->train_on_batch(x, Tensor{});
    EXPECT_GT(la.at("loss"), 50.0);  // hundreds of nats: the sum over 784 pixels, not a mean
    max_loss_diff = std::max(max_loss_diff, std::abs(la.at("loss") - lb.at("loss")));
    const WeightSnapshot wa = a->get_weights(), wb = b->get_weights();
    ASSERT_EQ(wa.size(), wb.size());
    for (size_t i = 0; i < wa.size(); ++i) max_weight_diff = std::max(max_weight_diff, max_abs_diff(wa[i], wb[i]));
  }
  RecordProperty("max_loss_diff", std::to_string(max_loss_diff));
  RecordProperty("max_weight_diff", std::to_string(max_weight_diff));
  std::printf("VAE two ways (%s): max |loss_a - loss_b| = %.3g, max |w_a - w_b| = %.3g\n",
              std::string(dtype_name(GetParam())).c_str(), max_loss_diff, max_weight_diff);
  EXPECT_LE(max_loss_diff, 1e-6);
  EXPECT_LE(max_weight_diff, 1e-6);
  // The updates did something.
  EXPECT_GT(max_abs_diff(a->get_weights()[0], w0[0]), 1e-4);
}

// Both graphs compute the same ops in the same order, so float agrees too.
INSTANTIATE_TEST_SUITE_P(Dtypes, VaeTwoWays, ::testing::Values(DType::f64, DType::f32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// Loss = mean over the batch of (sum over pixels of BCE(logits, x) + KL),
// recomputed in double from the outputs the model predicts (same step, so
// the same eps).
TEST(Vae, ReportedLossIsTheNegativeElboByHand) {
  auto m = make_vae(nn::VaeLoss::compiled);
  m->train_on_batch(images(0, kBatch), Tensor{});  // move off the initial weights
  const Tensor x = images(kBatch, kBatch);
  const Tensor y = m->predict_on_batch(x).at(0);  // [N, 784 + 2 * 4]: logits, mu, logvar
  ASSERT_EQ(y.shape(), (Shape{kBatch, 784 + 8}));
  double total = 0;
  std::vector<double> per_sample;
  for (int64_t n = 0; n < kBatch; ++n) {
    double bce = 0, kl = 0;
    for (int64_t p = 0; p < 784; ++p) {
      const double z = y.at({n, p}), t = x.flat(n * 784 + p);
      bce += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
    }
    for (int64_t j = 0; j < 4; ++j) {
      const double mu = y.at({n, 784 + j}), lv = y.at({n, 788 + j});
      kl += -0.5 * (1 + lv - mu * mu - std::exp(lv));
    }
    total += bce + kl;
    per_sample.push_back(bce + kl);
  }
  const double expected = total / kBatch;
  const Logs logs = m->test_on_batch(x, Tensor{});
  EXPECT_NEAR(logs.at("loss"), expected, 1e-10 * expected);
  // Sample weights scale per sample, divided by the batch size (Keras).
  std::vector<double> w(kBatch, 0.0);
  w[3] = 2.0;
  w[9] = 0.5;
  const Logs lw = m->test_on_batch(x, Tensor{}, Tensor::from_vector({kBatch}, w, DType::f64));
  const double expected_w = (2.0 * per_sample[3] + 0.5 * per_sample[9]) / kBatch;
  EXPECT_NEAR(lw.at("loss"), expected_w, 1e-10 * expected_w);
}

TEST(Vae, EpsIsFreshEveryStepAndReproducibleFromTheSeed) {
  CompileOptions co = compile_options(nn::VaeLoss::added, DType::f64);
  co.optimizer = sgd(constant_schedule(0.0));  // weights stay: only eps changes the loss
  auto run = [&] {
    Model m(nn::vae_builder(config(nn::VaeLoss::added)), spec());
    m.compile(co);
    const Tensor x = images(0, kBatch);
    return std::pair{m.train_on_batch(x, Tensor{}).at("loss"), m.train_on_batch(x, Tensor{}).at("loss")};
  };
  const auto [first, second] = run();
  EXPECT_GT(std::abs(first - second), 1e-6);
  const auto [again1, again2] = run();
  EXPECT_EQ(first, again1);
  EXPECT_EQ(second, again2);
}

TEST(Vae, NoLossAtAllIsAnErrorNamingTheProblem) {
  Model m(testing::linear_net, spec());
  CompileOptions co;
  co.losses = {};
  co.metrics = {};
  const std::string msg = error_of([&] { m.compile(co); });
  EXPECT_NE(msg.find("no losses"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Network::losses"), std::string::npos) << msg;
}

TEST(Vae, CheckpointRoundTripThroughLoadModelRebuildsTheRegisteredLoss) {
  ScratchDir dir("vae_ckpt");
  auto a = make_vae(nn::VaeLoss::compiled);
  for (int step = 0; step < 3; ++step) a->train_on_batch(images(step * kBatch, kBatch), Tensor{});
  const std::string path = dir.file("vae.safetensors");
  a->save(path);

  const CheckpointState st = load_checkpoint(path);
  EXPECT_NE(st.config_json.find("\"vae_loss\""), std::string::npos) << st.config_json;
  EXPECT_NE(st.config_json.find("\"target\":\"input\""), std::string::npos) << st.config_json;

  auto b = load_model(path, nn::vae_builder(config(nn::VaeLoss::compiled)));
  ASSERT_EQ(b->options().losses.size(), 1u);
  EXPECT_EQ(b->options().losses[0].name, "vae_loss");
  EXPECT_EQ(b->options().losses[0].target, TargetKind::input);
  EXPECT_EQ(b->options().dtype, DType::f64);
  EXPECT_EQ(b->step(), 3);
  const Tensor x = images(100, kBatch);
  EXPECT_EQ(max_abs_diff(a->predict_on_batch(x)[0], b->predict_on_batch(x)[0]), 0.0);
  EXPECT_EQ(a->test_on_batch(x, Tensor{}).at("loss"), b->test_on_batch(x, Tensor{}).at("loss"));
  // Training continues identically (Adam slots and step restored).
  EXPECT_EQ(a->train_on_batch(x, Tensor{}).at("loss"), b->train_on_batch(x, Tensor{}).at("loss"));
  EXPECT_EQ(max_abs_diff(a->get_weights()[0], b->get_weights()[0]), 0.0);
}

TEST(Vae, CheckpointNamingAnUnregisteredLossFailsToLoadNamingIt) {
  ScratchDir dir("vae_unreg");
  auto a = make_vae(nn::VaeLoss::compiled);
  a->train_on_batch(images(0, kBatch), Tensor{});
  const std::string path = dir.file("vae.safetensors");
  a->save(path);
  // The same checkpoint, its config naming a loss nobody registered.
  CheckpointState st = load_checkpoint(path);
  const std::string from = "\"vae_loss\"";
  const size_t at = st.config_json.find(from);
  ASSERT_NE(at, std::string::npos);
  st.config_json.replace(at, from.size(), "\"elbo_never_registered\"");
  const std::string bad = dir.file("bad.safetensors");
  save_checkpoint(bad, st);

  std::string msg = error_of([&] { load_model(bad, nn::vae_builder(config(nn::VaeLoss::compiled))); });
  EXPECT_NE(msg.find("elbo_never_registered"), std::string::npos) << msg;
  // Loading into an already compiled model checks the names too.
  auto b = make_vae(nn::VaeLoss::compiled);
  msg = error_of([&] { b->load(bad); });
  EXPECT_NE(msg.find("elbo_never_registered"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cutrain::train
