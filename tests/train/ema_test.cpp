// Parameter EMA: the op's arithmetic, the warm-up schedule, the shadows after
// k steps against a host recomputation from the recorded weights, evaluation
// on the shadows (evaluate, predict, test_on_batch, fit's validation), and
// checkpoints (round trip, weights-only, resume bit for bit).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cutrain/io/safetensors.h"
#include "cutrain/nn/small_cnn.h"
#include "cutrain/ops/op.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/ema.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

using testing::small_cnn_spec;
using testing::synthetic;
using testing::temp_path;

std::unique_ptr<Model> make_cnn(double ema_decay, OptimizerConfig opt = sgd(constant_schedule(0.05), 0.9)) {
  auto m = std::make_unique<Model>(nn::small_cnn_builder({{6, 8}, 0.9}), small_cnn_spec(), R"({"model":"test"})");
  CompileOptions co;
  co.optimizer = std::move(opt);
  co.weight_decay = 1e-3;
  co.seed = 7;
  co.ema_decay = ema_decay;
  m->compile(co);
  return m;
}

FitOptions quiet_fit(int64_t epochs) {
  FitOptions fo;
  fo.batch_size = 16;
  fo.epochs = epochs;
  fo.verbose = 0;
  fo.seed = 3;
  return fo;
}

void expect_same(const WeightSnapshot& a, const WeightSnapshot& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    const std::vector<double> x = a[k].to_vector(), y = b[k].to_vector();
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], y[i]) << "tensor " << k << " [" << i << "]";
  }
}

void expect_same_leaves(const Model& a, const Model& b) {
  ASSERT_EQ(a.leaves().size(), b.leaves().size());
  for (const auto& [name, t] : a.leaves()) {
    const std::vector<double> x = t.to_vector(), y = b.leaves().at(name).to_vector();
    ASSERT_EQ(x.size(), y.size()) << name;
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], y[i]) << name << "[" << i << "]";
  }
}

double max_diff(const WeightSnapshot& a, const WeightSnapshot& b) {
  double d = 0;
  for (size_t k = 0; k < a.size(); ++k) d = std::max(d, max_abs_diff(a[k], b[k]));
  return d;
}

TEST(EmaUpdateOp, FormsOneMinusDecayInDouble) {
  // shadow 1, value -10000, decay 0.9999: shadow - (1 - d)(shadow - value)
  // with 1 - d rounded to float from double is about -1.0e-4; with 1 - d
  // formed in float (1.66e-4 too large relatively) it would be about -2.7e-4.
  const Tensor shadow = Tensor::from_vector({1}, std::vector<double>{1.0}, DType::f32);
  const Tensor value = Tensor::from_vector({1}, std::vector<double>{-10000.0}, DType::f32);
  const std::vector<Tensor> out = ops::call("ema_update", {shadow, value}, {{"decay", 0.9999}});
  const float one_minus = static_cast<float>(1.0 - 0.9999);
  const float expected = 1.0f - one_minus * (1.0f - -10000.0f);
  EXPECT_EQ(shadow.data<float>()[0], expected);
  EXPECT_NEAR(shadow.data<float>()[0], 1.0 - 1e-4 * 10001.0, 1e-6);
  EXPECT_EQ(value.data<float>()[0], -10000.0f);  // the value is only read
  EXPECT_EQ(out.at(0).item(), 0.0);              // the token
  EXPECT_THROW(ops::call("ema_update", {shadow, value}, {{"decay", 1.5}}), Error);
}

TEST(Ema, WarmupFollowsTfNumUpdates) {
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, true, 1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, true, 100), 101.0 / 110.0);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, true, 8990), 0.999);  // 8991 / 9000 = 0.999
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, true, 100000), 0.999);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, false, 1), 0.999);
  EXPECT_THROW(ema_decay_at(1.5, true, 1), Error);
}

// The shadows after k steps equal the average recomputed on the host from the
// weights recorded after every step (f64: same arithmetic, exact).
void check_recomputation(bool warmup) {
  SCOPED_TRACE(warmup ? "warm-up" : "constant decay");
  const double decay = 0.8;
  NetworkSpec s;
  s.batch_size = 8;
  s.height = s.width = 4;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 4;
  Model m(testing::linear_net, s);
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.05));
  co.dtype = DType::f64;
  co.ema_decay = decay;
  co.ema_warmup = warmup;
  m.compile(co);
  Tensor x = Tensor::empty({8, 4, 4, 1}, DType::f64);
  x.normal(0.0, 1.0, 11);
  const Tensor y = Tensor::from_vector({8}, std::vector<double>{0, 1, 2, 0, 1, 2, 0, 1}, DType::i32);
  m.test_on_batch(x, y);  // builds the graph: the weights are readable
  WeightSnapshot shadow = m.get_weights();
  std::vector<std::vector<double>> host;
  for (const Tensor& t : shadow) host.push_back(t.to_vector());
  for (int64_t t = 1; t <= 6; ++t) {
    m.train_on_batch(x, y);
    const WeightSnapshot w = m.get_weights();
    const double d = warmup ? std::min(decay, (1.0 + static_cast<double>(t)) / (10.0 + static_cast<double>(t))) : decay;
    for (size_t k = 0; k < w.size(); ++k) {
      const std::vector<double> wk = w[k].to_vector();
      for (size_t i = 0; i < wk.size(); ++i) host[k][i] -= (1.0 - d) * (host[k][i] - wk[i]);
    }
  }
  const WeightSnapshot got = m.averaged_weights();
  const WeightSnapshot raw = m.get_weights();
  ASSERT_EQ(got.size(), host.size());
  double moved = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const std::vector<double> g = got[k].to_vector(), r = raw[k].to_vector();
    for (size_t i = 0; i < g.size(); ++i) {
      EXPECT_NEAR(g[i], host[k][i], 1e-12) << "tensor " << k << " [" << i << "]";
      moved = std::max(moved, std::abs(g[i] - r[i]));
    }
  }
  EXPECT_GT(moved, 1e-3);  // the average lags the weights: the comparison is not vacuous
}

TEST(Ema, ShadowsEqualHostRecomputation) {
  check_recomputation(true);
  check_recomputation(false);
}

TEST(Ema, EvaluationUsesTheAverages) {
  auto data = synthetic(48, 10, 3, 4);
  const ImageData d = resize_image_data(data, 10, 1, true);
  auto val = synthetic(24, 10, 3, 9);
  const ImageData v = resize_image_data(val, 10, 1, true);
  auto a = make_cnn(0.7);
  const History h = a->fit(d, quiet_fit(2), {}, v);
  const WeightSnapshot raw = a->get_weights();
  const WeightSnapshot avg = a->averaged_weights();
  ASSERT_GT(max_diff(raw, avg), 1e-4);

  EvaluateOptions eo;
  eo.batch_size = 16;
  eo.verbose = 0;
  const Logs got = a->evaluate(v, eo);
  expect_same(a->get_weights(), raw);  // training weights restored

  auto with_avg = make_cnn(0.0);
  with_avg->evaluate(v, eo);  // builds the graph
  with_avg->set_weights(avg);
  const Logs want = with_avg->evaluate(v, eo);
  EXPECT_EQ(got.at("loss"), want.at("loss"));
  EXPECT_EQ(got.at("accuracy"), want.at("accuracy"));
  // fit's last validation ran on the averages of that moment: the same ones.
  EXPECT_EQ(h.history().at("val_loss").back(), want.at("loss"));

  auto with_raw = make_cnn(0.0);
  with_raw->evaluate(v, eo);
  with_raw->set_weights(raw);
  EXPECT_NE(with_raw->evaluate(v, eo).at("loss"), got.at("loss"));

  PredictOptions po;
  po.batch_size = 16;
  po.verbose = 0;
  const std::vector<double> pa = a->predict(v, po).to_vector(), pb = with_avg->predict(v, po).to_vector();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) ASSERT_EQ(pa[i], pb[i]) << i;

  Tensor x = Tensor::empty({16, 10, 10, 1}, DType::f32);
  x.normal(0.0, 1.0, 5);
  const Tensor y = Tensor::zeros({16}, DType::i32);
  EXPECT_EQ(a->test_on_batch(x, y).at("loss"), with_avg->test_on_batch(x, y).at("loss"));
  expect_same(a->get_weights(), raw);
}

TEST(Ema, CheckpointRoundTripAndWeightsOnly) {
  auto data = synthetic(48, 10, 3, 4);
  const ImageData d = resize_image_data(data, 10, 1, true);
  auto a = make_cnn(0.9);
  a->fit(d, quiet_fit(1));
  const std::string path = temp_path("ema", "ema.safetensors");
  a->save(path);
  const io::SafetensorsContents c = io::load_safetensors(path);
  EXPECT_TRUE(c.tensors.count("ema.Logits.weight"));
  EXPECT_TRUE(c.tensors.count("ema.Conv2d_1.weight"));
  EXPECT_FALSE(c.tensors.count("ema.Conv2d_1.BatchNorm.running_mean"));  // statistics are not shadowed

  auto b = make_cnn(0.9);
  b->load(path);
  expect_same_leaves(*a, *b);

  const std::string wpath = temp_path("ema", "ema_weights.safetensors");
  a->save(wpath, true);
  auto w = make_cnn(0.9);
  w->load(wpath);
  expect_same(w->averaged_weights(), a->averaged_weights());

  // A checkpoint without averages starts them at its weights.
  auto plain = make_cnn(0.0);
  plain->fit(d, quiet_fit(1));
  const std::string ppath = temp_path("ema", "plain.safetensors");
  plain->save(ppath);
  auto e = make_cnn(0.9);
  e->load(ppath);
  expect_same(e->averaged_weights(), plain->get_weights());
}

TEST(Ema, ResumeEqualsUninterruptedRunBitForBit) {
  auto data = synthetic(40, 10, 3, 8);  // a partial last batch too
  const ImageData d = resize_image_data(data, 10, 1, true);
  auto opt = [] { return adam(exponential_decay(0.01, 0.7, 2, ScheduleUnit::steps, false)); };
  auto full = make_cnn(0.95, opt());
  full->fit(d, quiet_fit(3));

  auto first = make_cnn(0.95, opt());
  first->fit(d, quiet_fit(1));
  const std::string path = temp_path("ema", "resume.safetensors");
  first->save(path);
  auto resumed = make_cnn(0.95, opt());
  resumed->load(path);
  FitOptions fo = quiet_fit(3);
  fo.initial_epoch = resumed->epoch() + 1;
  resumed->fit(d, fo);
  EXPECT_EQ(resumed->step(), full->step());
  expect_same_leaves(*full, *resumed);
  EXPECT_GT(max_diff(first->averaged_weights(), full->averaged_weights()), 0.0);
}

}  // namespace
}  // namespace cutrain::train
