#include "sngan.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>

#include "cutrain/core/device.h"
#include "cutrain/data/idx.h"
#include "cutrain/io/png.h"
#include "cutrain/io/tensorboard.h"
#include "cutrain/train/frechet.h"
#include "cutrain/train/gan.h"

namespace cutrain::cli {

namespace {

// Generated images for FD, whole batches from seeds disjoint from training's.
Tensor generate_images(train::GanTrainer& t, int64_t count, int64_t batch, uint64_t seed) {
  std::vector<Tensor> parts;
  for (int64_t done = 0; done < count; done += batch) parts.push_back(t.generate(t.sample_z(seed + static_cast<uint64_t>(done))));
  const Shape one = parts[0].shape();
  Tensor out = Tensor::empty(Shape({count, one[1], one[2], one[3]}), DType::f32);
  const int64_t per = one.numel() / one[0];
  float* q = out.data<float>();
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor p = parts[i].to(DType::f32);
    const int64_t rows = std::min(batch, count - static_cast<int64_t>(i) * batch);
    std::copy(p.data<float>(), p.data<float>() + rows * per, q + static_cast<int64_t>(i) * batch * per);
  }
  return out;
}

int run(const SnGanCliOptions& o) {
  namespace fs = std::filesystem;
  fs::create_directories(o.out_dir);
  const std::string logdir = o.logdir.empty() ? (fs::path(o.out_dir) / "logs").string() : o.logdir;
  const Device device = Device::parse(o.device);

  const data::LabeledImages train_set = data::load_fashion_mnist(data::Split::train, o.data_dir);
  const data::LabeledImages test_set = data::load_fashion_mnist(data::Split::test, o.data_dir);
  const Tensor real = train::to_signed_unit(train_set.images);

  train::FeatureExtractorOptions fo;
  fo.cache_path = (fs::path(o.out_dir) / "fd_classifier.safetensors").string();
  fo.train_steps = o.classifier_steps;
  fo.seed = o.seed;
  train::FeatureExtractor fx(train_set, test_set, fo, device);
  std::printf("feature classifier: %s, test accuracy %.2f %%\n",
              fx.loaded_from_cache() ? "loaded from cache" : "trained", 100.0 * fx.test_accuracy());
  const int64_t n_ref = std::min<int64_t>(o.fd_test_images, test_set.images.shape()[0]);
  const train::GaussianStats ref =
      train::gaussian_stats(fx.features(train::to_signed_unit(test_set.images.slice(0, 0, n_ref))));

  nn::SnGanConfig cfg;
  cfg.z_dim = o.z_dim;
  cfg.g_widths = o.g_widths;
  cfg.d_widths = o.d_widths;
  ops::AdamOptions adam = train::sngan_adam();
  adam.lr = o.lr;
  train::GanGraph gan = train::build_gan_graph(cfg, o.batch_size, DType::f32, o.seed, adam, adam);
  train::GanTrainer trainer(gan, device);
  std::printf("SN-GAN: G %lld parameters, D %lld parameters, batch %lld, n_dis %d, %lld steps/epoch\n",
              static_cast<long long>([&] { int64_t n = 0; for (auto& p : gan.g_params) n += p.shape().numel(); return n; }()),
              static_cast<long long>([&] { int64_t n = 0; for (auto& p : gan.d_params) n += p.shape().numel(); return n; }()),
              static_cast<long long>(o.batch_size), o.n_dis, static_cast<long long>(o.steps_per_epoch));

  io::EventWriter tb(logdir);
  const uint64_t fd_seed = o.seed * 1000003ull + (1ull << 40);
  auto fd_now = [&] {
    return train::frechet_distance(
        train::gaussian_stats(fx.features(generate_images(trainer, o.fd_samples, o.batch_size, fd_seed))), ref);
  };
  const double fd0 = fd_now();
  std::printf("epoch 0/%lld  fd %.3f (untrained generator)\n", static_cast<long long>(o.epochs), fd0);
  tb.add_scalar("fd", fd0, 0);
  std::fflush(stdout);

  std::mt19937_64 rng(o.seed);
  const uint64_t grid_seed = fd_seed + (1ull << 20);
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const train::GanEpochStats st = train::run_gan_epoch(trainer, real, o.steps_per_epoch, o.n_dis, rng);
    const double fd = fd_now();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // 64 samples from a fixed z: the same latent points every epoch.
    const Tensor grid_imgs = generate_images(trainer, 64, o.batch_size, grid_seed);
    const std::vector<uint8_t> px = train::to_u8(grid_imgs);
    const Shape s = grid_imgs.shape();
    const io::Image grid = io::tile_images(px.data(), 64, static_cast<int>(s[1]), static_cast<int>(s[2]),
                                           static_cast<int>(s[3]), 8);
    const std::string png = (fs::path(o.out_dir) / ("samples_epoch" + std::to_string(epoch) + ".png")).string();
    io::write_png(png, grid);
    tb.add_image("samples", grid.pixels.data(), grid.height, grid.width, grid.channels, epoch);
    tb.add_scalar("d_loss", st.d_loss, epoch);
    tb.add_scalar("g_loss", st.g_loss, epoch);
    tb.add_scalar("fd", fd, epoch);
    std::printf("epoch %lld/%lld  d_loss %.4f  g_loss %.4f  fd %.3f  %.1f s  (%s)\n",
                static_cast<long long>(epoch), static_cast<long long>(o.epochs), st.d_loss, st.g_loss, fd, secs,
                png.c_str());
    std::fflush(stdout);
  }
  tb.close();
  return 0;
}

}  // namespace

int run_sngan_training(const SnGanCliOptions& options) {
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cutrain train --model sngan: %s\n", e.what());
    return 1;
  }
}

void add_sngan_options(CLI::App& app, SnGanCliOptions& o) {
  app.add_option("--data-dir", o.data_dir, "Fashion-MNIST IDX directory");
  app.add_option("--epochs", o.epochs, "epochs");
  app.add_option("--steps-per-epoch", o.steps_per_epoch, "generator steps per epoch");
  app.add_option("--batch-size", o.batch_size, "batch size");
  app.add_option("--z-dim", o.z_dim, "latent size");
  app.add_option("--n-dis", o.n_dis, "discriminator steps per generator step");
  app.add_option("--lr", o.lr, "Adam learning rate (beta1 0, beta2 0.9)");
  app.add_option("--seed", o.seed, "seed");
  app.add_option("--out-dir", o.out_dir, "sample grids and the FD classifier cache");
  app.add_option("--logdir", o.logdir, "TensorBoard directory (default <out-dir>/logs)");
  app.add_option("--device", o.device, "cpu or cuda[:i]");
  app.add_option("--g-widths", o.g_widths, "generator widths (3)")->expected(3);
  app.add_option("--d-widths", o.d_widths, "discriminator widths (3)")->expected(3);
  app.add_option("--fd-samples", o.fd_samples, "generated images per FD");
  app.add_option("--fd-test-images", o.fd_test_images, "test images for the FD reference");
  app.add_option("--classifier-steps", o.classifier_steps, "FD classifier training steps");
}

}  // namespace cutrain::cli
