#include "vae.h"

#include <cstdio>
#include <exception>
#include <filesystem>

#include "cutrain/data/idx.h"
#include "cutrain/nn/vae.h"
#include "cutrain/train/model.h"
#include "cutrain/train/vae_loss.h"

namespace cutrain::cli {

namespace {

int run(const VaeCliOptions& o) {
  const auto train_set = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::train, o.data_dir));
  const data::Transform unit = nn::unit_interval_transform(28, 28, 1);
  const train::ImageData train_data{train_set, unit, unit, {}};

  nn::VaeConfig cfg;
  cfg.conv_widths = o.conv_widths;
  cfg.hidden = o.hidden;
  cfg.latent = o.latent;
  train::register_vae_loss();
  train::NetworkSpec spec;
  spec.batch_size = o.batch_size;
  spec.height = spec.width = 28;
  spec.channels = 1;
  spec.seed = o.seed;
  train::Model m(nn::vae_builder(cfg), spec,
                 "{\"model\": \"vae\", \"hidden\": " + std::to_string(o.hidden) +
                     ", \"latent\": " + std::to_string(o.latent) + "}");
  train::CompileOptions co;
  co.optimizer = train::adam(train::constant_schedule(o.lr));
  co.losses = {train::vae_compiled_loss()};
  co.metrics = {};
  co.device = Device::parse(o.device);
  co.seed = o.seed;
  m.compile(co);

  train::FitOptions fo;
  fo.batch_size = o.batch_size;
  fo.epochs = o.epochs;
  fo.steps_per_epoch = o.steps_per_epoch;
  fo.verbose = o.verbose;
  fo.seed = o.seed;
  m.fit(train_data, fo);
  if (o.evaluate_test) {
    const auto test_set = std::make_shared<data::TensorDataset>(data::load_fashion_mnist(data::Split::test, o.data_dir));
    const train::Logs logs = m.evaluate({test_set, unit, unit, {}}, {.batch_size = o.batch_size, .verbose = 0});
    std::printf("test loss (negative ELBO, nats per image): %.2f\n", logs.at("loss"));
  }
  if (!o.checkpoint_dir.empty()) {
    std::filesystem::create_directories(o.checkpoint_dir);
    const std::string path = (std::filesystem::path(o.checkpoint_dir) / "vae.safetensors").string();
    m.save(path);
    std::printf("saved %s\n", path.c_str());
  }
  std::printf("trained %lld steps\n", static_cast<long long>(m.step()));
  return 0;
}

}  // namespace

int run_vae_training(const VaeCliOptions& options) {
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cutrain train --model vae: %s\n", e.what());
    return 1;
  }
}

}  // namespace cutrain::cli
