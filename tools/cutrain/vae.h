// VAE training on Fashion-MNIST (`cutrain train --model vae`).
//
// Trains nn::vae (images scaled to [0, 1], the registered "vae_loss" whose
// target is the input image) with Adam through Model::fit, prints the
// progress bar and, when asked, the test set's negative ELBO (nats per image),
// and saves <checkpoint_dir>/vae.safetensors (reloadable with
// train::load_model once "vae_loss" is registered). Returns 0, or 1 after
// printing an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cutrain::cli {

struct VaeCliOptions {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t epochs = 1;
  int64_t steps_per_epoch = 0;  // 0: a full pass
  int64_t batch_size = 64;
  double lr = 1e-3;
  uint64_t seed = 0;
  std::vector<int64_t> conv_widths{16, 32};
  int64_t hidden = 128;
  int64_t latent = 16;
  std::string checkpoint_dir;  // empty: no checkpoint
  std::string device = "cpu";
  int verbose = 1;
  bool evaluate_test = true;
};

int run_vae_training(const VaeCliOptions& options);

}  // namespace cutrain::cli
