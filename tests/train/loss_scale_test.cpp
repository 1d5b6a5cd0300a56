// Loss scaling in the training step (train/loss_scale.h) with
// torch.amp.GradScaler's rules: "If no inf/NaN gradients are found,
// optimizer.step() is then called using the unscaled gradients. Otherwise,
// optimizer.step() is skipped"; "the scale is multiplied by backoff_factor
// ... if any iterations ... skipped", "by growth_factor if no inf/NaN
// gradients occur for growth_interval consecutive iterations". An inf is
// injected through the input images. Also: the scale's checkpoint and
// resume, the option parsing, and clip_value (Keras clipvalue).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "cutrain/core/error.h"
#include "cutrain/io/safetensors.h"
#include "cutrain/train/callbacks/tensorboard.h"
#include "cutrain/train/scalar_writer.h"
#include "cutrain/train/loss_scale.h"
#include "model_test_util.h"

namespace cutrain::train {
namespace {

NetworkSpec linear_spec() {
  NetworkSpec s;
  s.batch_size = 8;
  s.height = s.width = 4;
  s.channels = 1;
  s.num_classes = 3;
  s.seed = 4;
  return s;
}

CompileOptions scaled_options(LossScaleMode mode, double ema = 0.0) {
  CompileOptions co;
  co.optimizer = adam(constant_schedule(0.05));
  co.weight_decay = 1e-3;
  co.ema_decay = ema;
  co.loss_scale.mode = mode;
  co.loss_scale.growth_interval = 2;
  co.metrics = {};
  return co;
}

std::unique_ptr<Model> linear_model(const CompileOptions& co) {
  auto m = std::make_unique<Model>(testing::linear_net, linear_spec(), R"({"model":"linear"})");
  m->compile(co);
  return m;
}

Tensor images(uint64_t seed, bool with_inf = false) {
  Tensor x = Tensor::empty({8, 4, 4, 1}, DType::f32);
  x.normal(0.0, 1.0, seed);
  if (with_inf) x.set_flat(5, std::numeric_limits<double>::infinity());
  return x;
}

const Tensor& labels() {
  static const Tensor y = Tensor::from_vector({8}, std::vector<double>{0, 1, 2, 0, 1, 2, 0, 1}, DType::i32);
  return y;
}

double leaf(const Model& m, const std::string& name) { return m.leaves().at(name).to(Device::cpu(), m.stream()).item(); }

// Every leaf of `a` equals `b`'s bit for bit (f32 and f64 widen exactly).
void expect_same_leaves(const Model& a, const Model& b, const std::vector<std::string>& skip = {}) {
  for (const auto& [name, t] : a.leaves()) {
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    ASSERT_TRUE(b.leaves().count(name)) << name;
    const std::vector<double> x = t.to_vector(), y = b.leaves().at(name).to_vector();
    ASSERT_EQ(x.size(), y.size()) << name;
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i], y[i]) << name << "[" << i << "]";
  }
}

std::map<std::string, std::vector<double>> snapshot(const Model& m) {
  std::map<std::string, std::vector<double>> s;
  for (const auto& [name, t] : m.leaves()) s[name] = t.to_vector();
  return s;
}

TEST(LossScale, ResolveAndParse) {
  EXPECT_EQ(resolve_loss_scale({}, true).mode, LossScaleMode::dynamic);
  EXPECT_EQ(resolve_loss_scale({}, false).mode, LossScaleMode::off);
  LossScaleOptions fixed = parse_loss_scale("128");
  EXPECT_EQ(fixed.mode, LossScaleMode::fixed);
  EXPECT_EQ(fixed.init_scale, 128.0);
  EXPECT_EQ(resolve_loss_scale(fixed, true).mode, LossScaleMode::fixed);
  EXPECT_EQ(resolve_loss_scale(parse_loss_scale("off"), true).mode, LossScaleMode::off);
  EXPECT_EQ(parse_loss_scale("dynamic").init_scale, 65536.0);  // GradScaler's init_scale 2^16
  EXPECT_EQ(parse_loss_scale("dynamic").growth_interval, 2000);
  EXPECT_EQ(loss_scale_name(fixed), "128");
  for (const char* bad : {"0", "-4", "abc", "inf", "", "12x"}) EXPECT_THROW(parse_loss_scale(bad), Error) << bad;
  LossScaleOptions o;
  o.mode = LossScaleMode::dynamic;
  o.backoff_factor = 1.0;
  EXPECT_THROW(resolve_loss_scale(o, false), Error);
}

TEST(LossScale, InfSkipsTheWholeUpdateBitwiseThenBacksOffAndGrows) {
  auto m = linear_model(scaled_options(LossScaleMode::dynamic, 0.9));
  m->train_on_batch(images(1), labels());
  EXPECT_EQ(leaf(*m, "loss_scale/scale"), 65536.0);
  EXPECT_EQ(leaf(*m, "loss_scale/growth_tracker"), 1.0);
  EXPECT_EQ(leaf(*m, "loss_scale/optimizer_steps"), 1.0);
  const auto before = snapshot(*m);
  m->train_on_batch(images(2, true), labels());
  // Parameters, Adam's m and v, the EMA shadows: untouched, bit for bit.
  for (const auto& [name, v] : before) {
    if (name.rfind("loss_scale/", 0) == 0) continue;
    const std::vector<double> now = m->leaves().at(name).to_vector();
    for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(now[i], v[i]) << name << "[" << i << "] changed on a skipped step";
  }
  EXPECT_EQ(leaf(*m, "loss_scale/scale"), 32768.0);  // backoff 0.5
  EXPECT_EQ(leaf(*m, "loss_scale/growth_tracker"), 0.0);
  EXPECT_EQ(leaf(*m, "loss_scale/optimizer_steps"), 1.0);
  m->train_on_batch(images(3), labels());
  EXPECT_EQ(leaf(*m, "loss_scale/scale"), 32768.0);
  m->train_on_batch(images(4), labels());
  EXPECT_EQ(leaf(*m, "loss_scale/scale"), 65536.0);  // 2 finite steps in a row: growth x2
  EXPECT_EQ(leaf(*m, "loss_scale/growth_tracker"), 0.0);
  EXPECT_EQ(leaf(*m, "loss_scale/optimizer_steps"), 3.0);
  EXPECT_EQ(m->step(), 4);  // batches run: what the lr schedule counts
}

TEST(LossScale, ASkippedBatchIsAsIfItNeverRan) {
  // Power-of-two scales divide out exactly, and Adam's bias correction
  // counts applied updates only: the scaled run with an inf batch in the
  // middle ends where the unscaled run without it does, bit for bit.
  auto scaled = linear_model(scaled_options(LossScaleMode::dynamic));
  auto plain = linear_model(scaled_options(LossScaleMode::off));
  for (uint64_t b : {1, 2, 3}) {
    scaled->train_on_batch(images(b), labels());
    plain->train_on_batch(images(b), labels());
    if (b == 1) scaled->train_on_batch(images(9, true), labels());
  }
  EXPECT_FALSE(plain->leaves().count("loss_scale/scale"));
  expect_same_leaves(*plain, *scaled);
  // A fixed scale skips the same way and keeps its value.
  auto fixed = linear_model([] {
    CompileOptions co = scaled_options(LossScaleMode::fixed);
    co.loss_scale.init_scale = 1024;
    return co;
  }());
  for (uint64_t b : {1, 2, 3}) {
    fixed->train_on_batch(images(b), labels());
    if (b == 2) fixed->train_on_batch(images(9, true), labels());
  }
  EXPECT_EQ(leaf(*fixed, "loss_scale/scale"), 1024.0);
  expect_same_leaves(*plain, *fixed);
}

TEST(LossScale, CheckpointHoldsTheScaleAndResumeContinuesBitForBit) {
  const CompileOptions co = scaled_options(LossScaleMode::dynamic);
  auto a = linear_model(co);
  a->train_on_batch(images(1), labels());
  a->train_on_batch(images(2, true), labels());
  a->train_on_batch(images(3), labels());
  const std::string path = testing::temp_path("loss_scale", "scaled.safetensors");
  a->save(path);
  const io::SafetensorsContents c = io::load_safetensors(path);
  ASSERT_TRUE(c.tensors.count("optimizer.loss_scale.scale"));
  EXPECT_EQ(c.tensors.at("optimizer.loss_scale.scale").item(), 32768.0);
  EXPECT_EQ(c.tensors.at("optimizer.loss_scale.growth_tracker").item(), 1.0);
  EXPECT_EQ(c.tensors.at("optimizer.loss_scale.optimizer_steps").item(), 2.0);

  auto b = linear_model(co);
  b->load(path);
  EXPECT_EQ(leaf(*b, "loss_scale/scale"), 32768.0);
  for (uint64_t k : {4, 5}) {
    a->train_on_batch(images(k), labels());
    b->train_on_batch(images(k), labels());
  }
  EXPECT_EQ(leaf(*b, "loss_scale/scale"), 65536.0);  // the restored tracker made the second step grow it
  expect_same_leaves(*a, *b);
  // A model without loss scaling names the tensors it would ignore.
  auto off = linear_model(scaled_options(LossScaleMode::off));
  EXPECT_THROW(off->load(path), Error);
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(LossScale, OffLeavesTheStepAndTheCheckpointAsTheyWere) {
  CompileOptions dflt = scaled_options(LossScaleMode::automatic);  // no precision yet: off
  dflt.ema_decay = 0.9;
  CompileOptions off = dflt;
  off.loss_scale.mode = LossScaleMode::off;
  off.clip_value = 0.0;
  auto a = linear_model(dflt), b = linear_model(off);
  for (uint64_t k : {1, 2}) {
    a->train_on_batch(images(k), labels());
    b->train_on_batch(images(k), labels());
  }
  const std::string pa = testing::temp_path("loss_scale", "a.safetensors"),
                    pb = testing::temp_path("loss_scale", "b.safetensors");
  a->save(pa);
  b->save(pb);
  const std::string bytes = file_bytes(pa);
  EXPECT_EQ(bytes, file_bytes(pb));
  EXPECT_EQ(bytes.find("loss_scale"), std::string::npos);
  EXPECT_EQ(bytes.find("clip_value"), std::string::npos);
  EXPECT_FALSE(a->metric_results().contains("loss_scale"));
}

TEST(LossScale, FitLogsTheScaleOnlyWhenOn) {
  auto data = testing::synthetic(32, 4, 3, 5);
  const ImageData d = resize_image_data(data, 4, 1, true);
  FitOptions fo;
  fo.batch_size = 8;
  fo.epochs = 2;
  fo.verbose = 0;
  auto on = linear_model(scaled_options(LossScaleMode::dynamic));
  // TensorBoard's train run gets it as a scalar too.
  std::vector<std::pair<std::string, double>> scalars, val_scalars;
  struct Recorder : ScalarWriter {
    std::vector<std::pair<std::string, double>>* out;
    explicit Recorder(std::vector<std::pair<std::string, double>>* o) : out(o) {}
    void add_scalar(const std::string& tag, double v, int64_t) override { out->emplace_back(tag, v); }
    void flush() override {}
  };
  auto tb = std::make_shared<TensorBoard>(TensorBoardOptions{.log_dir = "unused"}, [&](const std::string& dir) {
    return std::make_unique<Recorder>(dir.ends_with("/train") ? &scalars : &val_scalars);
  });
  const History h = on->fit(d, fo, {tb}, d);
  std::vector<double> tb_scales;
  for (const auto& [tag, v] : scalars)
    if (tag == "epoch_loss_scale") tb_scales.push_back(v);
  EXPECT_EQ(tb_scales, h.history().at("loss_scale"));
  for (const auto& [tag, v] : val_scalars) EXPECT_EQ(tag.find("loss_scale"), std::string::npos) << tag;
  ASSERT_TRUE(h.history().count("loss_scale"));
  EXPECT_FALSE(h.history().count("val_loss_scale"));  // a training quantity, not a metric
  // 8 finite steps with growth_interval 2: four doublings from 2^16.
  EXPECT_EQ(h.history().at("loss_scale").back(), 65536.0 * 16);
  auto off = linear_model(scaled_options(LossScaleMode::off));
  EXPECT_FALSE(off->fit(d, fo).history().count("loss_scale"));
}

// Keras clipvalue: each gradient element clipped to [-v, v]. With SGD at
// lr 1 the update is the clipped gradient: compare with the unclipped one.
TEST(ClipValue, ClipsEveryGradientElement) {
  auto make = [](double clip) {
    CompileOptions co;
    co.optimizer = sgd(constant_schedule(1.0));
    co.dtype = DType::f64;
    co.metrics = {};
    co.clip_value = clip;
    return linear_model(co);
  };
  auto plain = make(0.0), clipped = make(0.02);
  Tensor x = images(7).to(DType::f64);
  plain->test_on_batch(x, labels());
  const auto w0 = snapshot(*plain);
  plain->train_on_batch(x, labels());
  clipped->train_on_batch(x, labels());
  int hit = 0;
  for (const auto& [name, v] : w0) {
    const std::vector<double> p = plain->leaves().at(name).to_vector(), c = clipped->leaves().at(name).to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      const double g = v[i] - p[i];
      const double want = std::clamp(g, -0.02, 0.02);
      EXPECT_NEAR(v[i] - c[i], want, 4e-16 * std::max(1.0, std::fabs(v[i]))) << name << "[" << i << "]";
      hit += std::fabs(g) > 0.02;
    }
  }
  EXPECT_GT(hit, 0);  // some elements were clipped: the comparison is not vacuous
  CompileOptions bad;
  bad.clip_value = -1;
  Model m(testing::linear_net, linear_spec());
  EXPECT_THROW(m.compile(bad), Error);
}

}  // namespace
}  // namespace cutrain::train
