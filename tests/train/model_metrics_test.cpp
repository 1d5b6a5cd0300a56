// Stateful metrics in a compiled Model: Keras' names on one and on several
// outputs, epoch results that are not means of batch values, custom metrics
// by name through a checkpoint, and unknown names.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/test_util.h"
#include "cutrain/nn/acgan.h"
#include "cutrain/nn/vae.h"
#include "cutrain/train/acgan_losses.h"
#include "cutrain/train/builtin_metrics.h"
#include "cutrain/train/metric.h"
#include "cutrain/train/model_config.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing_util::error_of;

NetworkSpec acgan_spec() {
  NetworkSpec s;
  s.batch_size = 12;
  s.height = s.width = 28;
  s.channels = 1;
  s.num_classes = 10;
  s.seed = 4;
  return s;
}

CompileOptions acgan_options() {
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.003));
  co.losses = acgan_losses(1.0, 1.0);
  co.seed = 3;
  return co;
}

// Keras: "When you pass the strings 'accuracy' or 'acc', ... the metric names
// of a multi-output model are prefixed with the output's name"
// (history keys such as 'dense_1_accuracy'); a metric's epoch value is its
// result() over the whole epoch, e.g. AUC over all samples, not a mean of
// batch AUCs.
TEST(ModelMetrics, PerOutputNamesAndEpochResultsOverAllSamples) {
  const int64_t n_real = 36;
  auto m = std::make_unique<Model>(nn::acgan_discriminator_builder({{4, 8}, 0.2}), acgan_spec());
  CompileOptions co = acgan_options();
  co.output_metrics = {{"validity", {"auc", "precision"}}, {"class", {"accuracy"}}};
  m->compile(co);
  ImageData d;
  d.dataset = std::make_shared<nn::RealFakeDataset>(testing::synthetic(n_real, 28, 10, 8));
  d.train_transform = d.eval_transform = nn::unit_interval_transform(28, 28, 1);
  d.targets["validity"] = nn::real_fake_targets(n_real);
  FitOptions fo;
  fo.batch_size = 12;
  fo.epochs = 2;
  fo.verbose = 0;
  const History h = m->fit(d, fo);
  for (const char* key : {"accuracy", "validity_auc", "validity_precision", "class_accuracy"})
    ASSERT_EQ(h.history().count(key), 1u) << key;
  // With weights of 1 the stateful class accuracy is the batch-mean accuracy, to rounding.
  for (size_t e = 0; e < 2; ++e) EXPECT_NEAR(h["class_accuracy"][e], h["accuracy"][e], 1e-12);

  // evaluate's AUC is that of every prediction at once.
  const Logs ev = m->evaluate(d, {.batch_size = 12, .verbose = 0});
  const Tensor p = m->predict(d, {.batch_size = 12, .verbose = 0});  // validity logits [2n, 1]
  AUC all("auc", 200, true);
  all.update_state(nn::real_fake_targets(n_real), p);
  EXPECT_EQ(ev.at("validity_auc"), all.result());
  EXPECT_GT(all.result(), 0.5);
  double mean_of_batches = 0;
  for (int64_t b = 0; b < 2 * n_real; b += 12) {
    AUC one("auc", 200, true);
    one.update_state(nn::real_fake_targets(n_real).slice(0, b, b + 12), p.slice(0, b, b + 12));
    mean_of_batches += one.result() / 6.0;
  }
  EXPECT_NE(ev.at("validity_auc"), mean_of_batches);  // the batches hold one class each here
}

class MaxLogit final : public Metric {
 public:
  MaxLogit() : Metric("max_logit") {}
  void update_state(const Tensor&, const Tensor& p, std::span<const double>) override {
    for (int64_t i = 0; i < p.numel(); ++i) best_ = std::max(best_, p.flat(i));
  }
  double result() const override { return best_; }
  void reset_state() override { best_ = -1e300; }

 private:
  double best_ = -1e300;
};

// Keras: custom metrics are found again by name when a model is loaded
// (custom_objects); an unregistered name does not load.
TEST(ModelMetrics, SingleOutputNamesCustomMetricReloadsUnknownNamesFail) {
  register_metric("max_logit", [] { return std::make_unique<MaxLogit>(); });
  NetworkSpec s;
  s.batch_size = 8;
  s.height = s.width = 4;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 1;
  Model m(testing::linear_net, s);
  CompileOptions co;
  co.optimizer = sgd(constant_schedule(0.1));
  co.metrics = {"accuracy", "auc", "max_logit"};
  m.compile(co);
  const ImageData d = resize_image_data(testing::synthetic(16, 4, 3, 2), 4, 1, false);
  const History h = m.fit(d, {.batch_size = 8, .epochs = 1, .verbose = 0});
  for (const char* key : {"loss", "accuracy", "auc", "max_logit"}) EXPECT_EQ(h.history().count(key), 1u) << key;

  const std::string path = testing::temp_path("model_metrics", "m.safetensors");
  m.save(path);
  auto back = load_model(path, testing::linear_net);
  EXPECT_EQ(back->options().metrics, co.metrics);
  const Logs a = m.evaluate(d, {.batch_size = 8, .verbose = 0});
  const Logs b = back->evaluate(d, {.batch_size = 8, .verbose = 0});
  EXPECT_EQ(a.at("max_logit"), b.at("max_logit"));
  EXPECT_EQ(a.at("auc"), b.at("auc"));

  CompileOptions bad = co;
  bad.metrics = {"f1_scor"};
  const std::string msg = error_of([&] { Model(testing::linear_net, s).compile(bad); });
  EXPECT_NE(msg.find("unknown metric 'f1_scor'"), std::string::npos) << msg;
  bad.metrics = {};
  bad.output_metrics = {{"output_0", {"nope"}}};
  EXPECT_NE(error_of([&] { Model(testing::linear_net, s).compile(bad); }).find("'nope' for output 'output_0'"),
            std::string::npos);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace cutrain::train
