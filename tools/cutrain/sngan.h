// SN-GAN training on Fashion-MNIST (`cutrain train --model sngan`).
//
// run_sngan_training trains the generator and the spectral-normed
// discriminator of nn/sngan.h with the hinge loss and Adam, and after every
// epoch prints one line
//   epoch E/N  d_loss D  g_loss G  fd F  T s
// writes <out_dir>/samples_epoch<E>.png (an 8x8 grid of 64 samples from a fixed
// z), and logs the scalars d_loss, g_loss, fd and the image "samples" to
// TensorBoard in <logdir>. FD is the Fréchet distance (train/frechet.h)
// between `fd_samples` generated images and the Fashion-MNIST test images in
// the 128-d feature space of a small classifier trained first and cached as
// <out_dir>/fd_classifier.safetensors (reused by later runs). FD of epoch 0
// (the untrained generator) is printed too. Returns 0, or 1 after printing an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cutrain::cli {

struct SnGanCliOptions {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";  // the IDX files
  int64_t epochs = 2;
  int64_t steps_per_epoch = 200;  // generator steps per epoch (caps an epoch's length)
  int64_t batch_size = 64;
  int64_t z_dim = 128;
  int n_dis = 1;           // discriminator steps per generator step
  double lr = 2e-4;        // Adam (beta1 0, beta2 0.9) for both networks
  uint64_t seed = 1;
  std::string out_dir = "sngan_out";   // sample grids and the classifier cache
  std::string logdir;                  // TensorBoard; empty: <out_dir>/logs
  std::string device = "cpu";          // "cpu" or "cuda[:i]"
  // Network widths (generator, discriminator); smaller ones make CPU runs short.
  std::vector<int64_t> g_widths{256, 128, 64};
  std::vector<int64_t> d_widths{64, 128, 256};
  int64_t fd_samples = 2000;           // generated images per FD evaluation
  int64_t fd_test_images = 10000;      // test images for the reference statistics
  int64_t classifier_steps = 600;      // feature-classifier training steps (batch 100)
};

int run_sngan_training(const SnGanCliOptions& options);

// Adds the options above as flags (--data-dir, --epochs, --steps-per-epoch,
// --batch-size, --z-dim, --n-dis, --lr, --seed, --out-dir, --logdir, --device,
// --g-widths, --d-widths, --fd-samples, --fd-test-images, --classifier-steps)
// to a (sub)command.
void add_sngan_options(CLI::App& app, SnGanCliOptions& options);

}  // namespace cutrain::cli
