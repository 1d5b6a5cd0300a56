// SN-GAN pieces: the one-graph build, D and G steps touching only their own
// parameters, hinge losses and upsampling on hand-made values, and the
// Fréchet distance against closed forms, and the feature classifier's cache.
#include "cutrain/train/gan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "cutrain/data/idx.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/reduce.h"
#include "cutrain/nn/sngan.h"
#include "cutrain/train/frechet.h"

using namespace cutrain;
using graph::Value;

namespace {

nn::SnGanConfig tiny_config() {
  nn::SnGanConfig c;
  c.z_dim = 8;
  c.g_widths = {8, 6, 4};
  c.d_widths = {4, 6, 8};
  return c;
}

std::vector<Tensor> snapshot(train::GanTrainer& t, const std::vector<Value>& params) {
  std::vector<Tensor> out;
  for (const Value& p : params) out.push_back(t.executor().leaf(p).clone());
  return out;
}

// The names of the parameters that differ (bitwise) from their snapshot.
std::vector<std::string> changed(train::GanTrainer& t, const std::vector<Value>& params,
                                 const std::vector<Tensor>& before) {
  std::vector<std::string> names;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor now = t.executor().leaf(params[i]);
    if (std::memcmp(now.raw_data(), before[i].raw_data(), now.nbytes()) != 0) names.push_back(params[i].name());
  }
  return names;
}

std::vector<std::string> names_of(const std::vector<Value>& params) {
  std::vector<std::string> names;
  for (const Value& p : params) names.push_back(p.name());
  return names;
}

Tensor real_batch(const train::GanGraph& gan, uint64_t seed) {
  Tensor r = Tensor::empty(gan.real.shape(), DType::f32);
  r.uniform(-1.0, 1.0, seed);
  return r;
}

}  // namespace

TEST(SnGan, GraphBuildsWithSeparateParameterSetsAndShapes) {
  const train::GanGraph gan = train::build_gan_graph(tiny_config(), 4, DType::f32, 3);
  EXPECT_EQ(gan.fake.shape(), Shape({4, 28, 28, 1}));
  EXPECT_EQ(gan.d_real.shape(), Shape({4, 1}));
  EXPECT_EQ(gan.d_fake.shape(), Shape({4, 1}));
  EXPECT_EQ(gan.loss.d_loss.shape().numel(), 1);
  // G: fc w, fc_bn (beta, gamma), conv1 w, bn (2), conv2 w, bn (2), conv_out (w, b) = 11
  // (no biases before batch norm);
  // D: 3 convs and the dense, each with weights and biases = 8.
  ASSERT_EQ(gan.g_params.size(), 11u);
  ASSERT_EQ(gan.d_params.size(), 8u);
  for (const Value& p : gan.g_params) EXPECT_EQ(p.name().rfind("Generator/", 0), 0u) << p.name();
  for (const Value& p : gan.d_params) EXPECT_EQ(p.name().rfind("Discriminator/", 0), 0u) << p.name();
  EXPECT_EQ(gan.g_updates.size(), gan.g_params.size());
  EXPECT_EQ(gan.d_updates.size(), gan.d_params.size());
  // Every D weight is spectral-normed: u and v state for each of the 4 layers.
  for (const char* layer : {"conv1", "conv2", "conv3", "fc"}) {
    const std::string base = std::string("Discriminator/") + layer;
    EXPECT_NO_THROW(gan.model.graph->find(base + "/weight_u"));
    EXPECT_NO_THROW(gan.model.graph->find(base + "/weight_v"));
  }
}

TEST(SnGan, DStepChangesOnlyDAndGStepOnlyG) {
  train::GanGraph gan = train::build_gan_graph(tiny_config(), 4, DType::f32, 3);
  train::GanTrainer t(gan, Device::cpu());
  const Tensor real = real_batch(gan, 11);

  std::vector<Tensor> g0 = snapshot(t, gan.g_params), d0 = snapshot(t, gan.d_params);
  const double dl = t.d_step(real, t.sample_z(5));
  EXPECT_TRUE(std::isfinite(dl));
  EXPECT_TRUE(changed(t, gan.g_params, g0).empty());
  // Every D parameter moves but the last bias: while every score is inside the
  // margin (|score| < 1, as at initialization), d d_loss / d bias =
  // -mean(1) + mean(1) = 0 exactly, and Adam leaves a zero-gradient parameter alone.
  std::vector<std::string> expect_d = names_of(gan.d_params);
  ASSERT_EQ(expect_d.back(), "Discriminator/fc/biases");
  expect_d.pop_back();
  EXPECT_EQ(changed(t, gan.d_params, d0), expect_d);

  g0 = snapshot(t, gan.g_params);
  d0 = snapshot(t, gan.d_params);
  const double gl = t.g_step(real, t.sample_z(6));
  EXPECT_TRUE(std::isfinite(gl));
  EXPECT_TRUE(changed(t, gan.d_params, d0).empty());
  EXPECT_EQ(changed(t, gan.g_params, g0), names_of(gan.g_params));
  EXPECT_EQ(t.d_steps(), 1);
  EXPECT_EQ(t.g_steps(), 1);
}

TEST(SnGan, EpochRunsAndAveragesItsLosses) {
  train::GanGraph gan = train::build_gan_graph(tiny_config(), 2, DType::f32, 3);
  train::GanTrainer t(gan, Device::cpu());
  Tensor images = Tensor::empty(Shape({5, 28, 28, 1}), DType::f32);
  images.uniform(-1.0, 1.0, 9);
  std::mt19937_64 rng(1);
  const train::GanEpochStats st = train::run_gan_epoch(t, images, 3, 2, rng);
  EXPECT_EQ(st.steps, 3);
  EXPECT_EQ(t.d_steps(), 6);
  EXPECT_EQ(t.g_steps(), 3);
  EXPECT_TRUE(std::isfinite(st.d_loss) && std::isfinite(st.g_loss));
  EXPECT_GE(st.d_loss, 0.0);  // a sum of two means of relus
}

TEST(SnGan, HingeLossesOnHandMadeScores) {
  graph::Graph g;
  const Value real = g.input("real", {Shape({4, 1}), DType::f64});
  const Value fake = g.input("fake", {Shape({4, 1}), DType::f64});
  const nn::HingeLosses l = nn::hinge_losses(real, fake);
  graph::Executor ex(g, Device::cpu());
  const Tensor r = Tensor::from_vector(Shape({4, 1}), {2.0, 0.5, -1.0, 1.0}, DType::f64);
  const Tensor f = Tensor::from_vector(Shape({4, 1}), {-2.0, 0.0, 0.5, -0.5}, DType::f64);
  const std::vector<Tensor> out = ex.run({{real, r}, {fake, f}}, {l.d_loss, l.g_loss}, {true});
  // relu(1 - r) = {0, 0.5, 2, 0} -> 0.625; relu(1 + f) = {0, 1, 1.5, 0.5} -> 0.75.
  EXPECT_NEAR(out[0].item(), 1.375, 1e-15);
  EXPECT_NEAR(out[1].item(), 0.5, 1e-15);  // -mean(f) = -(-2 + 0 + 0.5 - 0.5) / 4
}

TEST(SnGan, UpsampleRepeatsPixelsAndSumsGradientsOverBlocks) {
  graph::Graph g;
  const Value x = g.input("x", {Shape({1, 2, 2, 2}), DType::f64});
  const Value wts = g.input("w", {Shape({1, 4, 4, 2}), DType::f64});
  const Value y = nn::upsample_nearest2x(x);
  ASSERT_EQ(y.shape(), Shape({1, 4, 4, 2}));
  const Value dx = graph::gradients(g, graph::sum(graph::mul(y, wts)), {x})[0];
  graph::Executor ex(g, Device::cpu());
  std::vector<double> xv(8), wv(32);
  for (size_t i = 0; i < 8; ++i) xv[i] = static_cast<double>(i + 1);
  for (size_t i = 0; i < 32; ++i) wv[i] = static_cast<double>(i);
  const std::vector<Tensor> out = ex.run({{x, Tensor::from_vector(x.shape(), xv, DType::f64)},
                                          {wts, Tensor::from_vector(wts.shape(), wv, DType::f64)}},
                                         {y, dx}, {true});
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t w = 0; w < 4; ++w)
      for (int64_t c = 0; c < 2; ++c) {
        EXPECT_EQ(out[0].at({0, h, w, c}), xv[static_cast<size_t>(((h / 2) * 2 + w / 2) * 2 + c)]);
      }
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t w = 0; w < 2; ++w)
      for (int64_t c = 0; c < 2; ++c) {
        double expect = 0;
        for (int64_t a = 0; a < 2; ++a)
          for (int64_t b = 0; b < 2; ++b) expect += wv[static_cast<size_t>(((2 * h + a) * 4 + 2 * w + b) * 2 + c)];
        EXPECT_EQ(out[1].at({0, h, w, c}), expect);
      }
}

TEST(Frechet, StatsOfAHandMadeSample) {
  const Tensor f = Tensor::from_vector(Shape({3, 2}), {1, 2, 3, 6, 5, 4}, DType::f64);
  const train::GaussianStats s = train::gaussian_stats(f);
  ASSERT_EQ(s.dim, 2);
  EXPECT_DOUBLE_EQ(s.mean[0], 3.0);
  EXPECT_DOUBLE_EQ(s.mean[1], 4.0);
  EXPECT_DOUBLE_EQ(s.cov[0], 4.0);
  EXPECT_DOUBLE_EQ(s.cov[1], 2.0);
  EXPECT_DOUBLE_EQ(s.cov[2], 2.0);
  EXPECT_DOUBLE_EQ(s.cov[3], 4.0);
}

TEST(Frechet, IdenticalSamplesAreAtDistanceZero) {
  Tensor f = Tensor::empty(Shape({400, 16}), DType::f64);
  f.normal(0.5, 2.0, 3);
  const train::GaussianStats s = train::gaussian_stats(f);
  double trace = 0;
  for (int64_t i = 0; i < 16; ++i) trace += s.cov[static_cast<size_t>(i * 17)];
  EXPECT_NEAR(train::frechet_distance(s, s), 0.0, 1e-10 * trace);
}

namespace {

train::GaussianStats stats(std::vector<double> mean, std::vector<double> cov) {
  train::GaussianStats s;
  s.dim = static_cast<int64_t>(mean.size());
  s.count = 1000;
  s.mean = std::move(mean);
  s.cov = std::move(cov);
  return s;
}

}  // namespace

TEST(Frechet, DiagonalCovariancesMatchTheClosedForm) {
  const std::vector<double> m1{0.0, 1.0, -2.0}, m2{0.5, 1.0, 1.0};
  const std::vector<double> sd1{1.0, 2.0, 0.5}, sd2{3.0, 0.1, 0.5};
  std::vector<double> c1(9, 0.0), c2(9, 0.0);
  double expect = 0;
  for (size_t i = 0; i < 3; ++i) {
    c1[i * 4] = sd1[i] * sd1[i];
    c2[i * 4] = sd2[i] * sd2[i];
    expect += (sd1[i] - sd2[i]) * (sd1[i] - sd2[i]) + (m1[i] - m2[i]) * (m1[i] - m2[i]);
  }
  EXPECT_NEAR(train::frechet_distance(stats(m1, c1), stats(m2, c2)), expect, 1e-6 * expect);
}

TEST(Frechet, RotatedCommutingCovariancesMatchTheClosedFormOnEigenvalues) {
  // S_k = R diag(e_k) R^T with a rotation R: FD = sum (sqrt e1 - sqrt e2)^2 + |dmu|^2.
  const double t = 0.7, c = std::cos(t), s = std::sin(t);
  const std::vector<double> r{c, -s, s, c};
  const std::vector<double> e1{4.0, 0.25}, e2{1.0, 2.0};
  auto rot = [&](const std::vector<double>& e) {
    std::vector<double> m(4, 0.0);
    for (size_t i = 0; i < 2; ++i)
      for (size_t j = 0; j < 2; ++j)
        for (size_t k = 0; k < 2; ++k) m[i * 2 + j] += r[i * 2 + k] * e[k] * r[j * 2 + k];
    return m;
  };
  const double expect = std::pow(2.0 - 1.0, 2) + std::pow(0.5 - std::sqrt(2.0), 2) + 1.0 + 4.0;
  EXPECT_NEAR(train::frechet_distance(stats({1, 0}, rot(e1)), stats({0, 2}, rot(e2))), expect, 1e-6 * expect);
}

TEST(Frechet, NonCommutingTwoByTwoMatchesTheTraceFormula) {
  // For 2x2, the eigenvalues l1, l2 of S1 S2 are real and >= 0, so
  // Tr((S1 S2)^(1/2)) = sqrt(l1) + sqrt(l2) = sqrt(tr(S1 S2) + 2 sqrt(det(S1 S2))).
  const std::vector<double> s1{2.0, 0.0, 0.0, 0.5}, s2{1.0, 0.6, 0.6, 3.0};
  const double tr12 = s1[0] * s2[0] + s1[3] * s2[3];  // s1 diagonal
  const double det12 = (s1[0] * s1[3]) * (s2[0] * s2[3] - s2[1] * s2[2]);
  const double expect = (2.0 + 0.5 + 1.0 + 3.0) - 2.0 * std::sqrt(tr12 + 2.0 * std::sqrt(det12));
  EXPECT_NEAR(train::frechet_distance(stats({0, 0}, s1), stats({0, 0}, s2)), expect, 1e-6 * expect);
}

TEST(Frechet, FeatureClassifierCacheRoundTrips) {
  // A few steps on synthetic images: the second extractor must load the
  // first one's weights from the cache and give the same features.
  data::LabeledImages set;
  set.images = Tensor::empty(Shape({120, 28, 28, 1}), DType::u8);
  set.labels = Tensor::empty(Shape({120}), DType::i32);
  for (int64_t i = 0; i < set.images.numel(); ++i) set.images.set_flat(i, static_cast<double>((i * 37) % 256));
  for (int64_t i = 0; i < 120; ++i) set.labels.set_flat(i, static_cast<double>(i % 10));
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("cutrain_fd_cache_" + std::to_string(::getpid()) + ".safetensors")).string();
  std::filesystem::remove(path);
  train::FeatureExtractorOptions o;
  o.cache_path = path;
  o.train_steps = 3;
  o.batch = 40;
  o.verbose = false;
  train::FeatureExtractor a(set, set, o);
  EXPECT_FALSE(a.loaded_from_cache());
  ASSERT_TRUE(std::filesystem::exists(path));
  train::FeatureExtractor b(set, set, o);
  EXPECT_TRUE(b.loaded_from_cache());
  EXPECT_EQ(a.test_accuracy(), b.test_accuracy());
  Tensor x = Tensor::empty(Shape({50, 28, 28, 1}), DType::f32);  // not a whole number of batches
  x.uniform(-1.0, 1.0, 4);
  const Tensor fa = a.features(x), fb = b.features(x);
  EXPECT_EQ(fa.shape(), Shape({50, 128}));
  EXPECT_EQ(max_abs_diff(fa, fb), 0.0);
  // Rows of the partial last batch are the features of those images alone
  // (eval-mode network: no batch statistics).
  const Tensor tail = a.features(x.slice(0, 40, 50).clone());
  for (int64_t r = 0; r < 10; ++r)
    for (int64_t c = 0; c < 128; ++c) ASSERT_EQ(tail.at({r, c}), fa.at({40 + r, c})) << r << ", " << c;
  double norm = 0;
  for (int64_t i = 0; i < fa.numel(); ++i) norm += std::abs(fa.flat(i));
  EXPECT_GT(norm, 0.0);
  std::filesystem::remove(path);
}
