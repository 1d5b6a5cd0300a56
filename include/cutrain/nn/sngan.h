// SN-GAN for 28x28 grayscale images (Fashion-MNIST scaled to [-1, 1]),
// DCGAN-style, and the small classifier whose penultimate layer gives the
// feature space of the Fréchet distance (train/gan.h).
//
// Generator (scope "Generator"), widths g = {256, 128, 64} by default:
//   z [N, z_dim] -> dense 7*7*g0 -> BN -> relu -> reshape [N, 7, 7, g0]
//   -> upsample x2 -> conv 3x3 g1 -> BN -> relu -> upsample x2 -> conv 3x3 g2
//   -> BN -> relu -> conv 3x3 1 -> tanh                    = images [N, 28, 28, 1]
// Discriminator (scope "Discriminator"), spectral norm on every conv and dense,
// widths d = {64, 128, 256}:
//   conv 3x3 d0 -> lrelu 0.1 -> conv 4x4/2 d1 -> lrelu -> conv 3x3/2 d2 -> lrelu
//   -> flatten -> dense 1                                   = scores [N, 1]
// Batch norm in G has gamma and PyTorch's momentum (decay 0.9, eps 1e-5).
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/nn/model.h"

namespace cutrain::nn {

struct SnGanConfig {
  int64_t z_dim = 128;
  int64_t image_size = 28;  // divisible by 4
  int64_t channels = 1;
  std::vector<int64_t> g_widths{256, 128, 64};
  std::vector<int64_t> d_widths{64, 128, 256};
  double leaky_slope = 0.1;
  bool spectral_norm = true;
  int64_t n_power_iterations = 1;
};

// Nearest-neighbour x2 upsampling of NHWC x, composed of reshape and
// broadcast_to (whose gradient, sum_to, sums each 2x2 block back).
Value upsample_nearest2x(Value x);

// z [N, z_dim] -> images [N, S, S, C] in [-1, 1]. Opens scope "Generator".
Value sngan_generator(ModelBuilder& b, Value z, const SnGanConfig& config);

// images [N, S, S, C] -> scores [N, 1]. Opens scope "Discriminator".
Value sngan_discriminator(ModelBuilder& b, Value x, const SnGanConfig& config);

// Hinge losses (Miyato et al.; Lim & Ye) on scores d_real and d_fake:
//   d_loss = mean(relu(1 - d_real)) + mean(relu(1 + d_fake))
//   g_loss = -mean(d_fake)
struct HingeLosses {
  Value d_loss;
  Value g_loss;
};
HingeLosses hinge_losses(Value d_real, Value d_fake);

// The Fréchet-distance feature classifier (scope "FeatureNet"): conv 3x3 32 ->
// relu -> maxpool 2 -> conv 3x3 64 -> relu -> maxpool 2 -> flatten -> dense
// `feature_dim` -> relu (endpoint "features") -> dense num_classes (logits).
struct FeatureNet {
  Value features;  // [N, feature_dim]
  Value logits;    // [N, num_classes]
};
FeatureNet feature_classifier(ModelBuilder& b, Value x, int64_t feature_dim = 128,
                              int64_t num_classes = 10);

}  // namespace cutrain::nn
