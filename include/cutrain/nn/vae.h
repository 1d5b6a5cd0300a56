// Variational autoencoder for small images with values in [0, 1]
// (Fashion-MNIST 28x28x1), as a Network builder.
//
//   Encoder: [conv 3x3 stride 2 -> relu] per conv width -> flatten
//            -> dense hidden -> relu -> dense latent ("mu"), dense latent ("logvar")
//   Sampling: z = mu + exp(logvar / 2) * eps, eps from graph::random_normal (a
//            fresh sample every training step: Philox keyed by the graph
//            seed, the node and the step; no gradient through eps)
//   Decoder: dense hidden -> relu -> dense H*W*C = pixel logits [N, P]
//
// Loss per sample (the negative ELBO): the binary cross-entropy of the pixel
// logits against the input image summed over the P pixels, plus the
// Gaussian KL -1/2 sum(1 + logvar - mu^2 - exp(logvar)). Keras users write it
// in one of two ways, and both are here (same graph up to the loss, so the
// same seed gives the same numbers):
//
//  VaeLoss::compiled  a (y_true, y_pred) loss registered by name. y_true is
//    the input image (LossSpec::target = TargetKind::input, Keras' fit(x, x));
//    the KL term needs mu and logvar, so, as Keras users do, the model's
//    single output "vae" carries them: y_pred = concat(logits, mu, logvar)
//    [N, P + 2 latent]. The loss "vae_loss" (train/vae_loss.h) splits y_pred
//    by the pixel count of y_true, so it needs no configuration and a
//    checkpoint naming it reloads once it is registered.
//      train::register_vae_loss();
//      Model m(vae_builder(cfg), spec);
//      co.losses = {train::vae_compiled_loss()}; co.metrics = {}; m.compile(co);
//
//  VaeLoss::added  Keras' add_loss: the network returns the per-sample loss
//    in Network::losses and its output "reconstruction" is the logits [N, P];
//    the model is compiled with no losses.
//      co.losses = {}; co.metrics = {}; m.compile(co);
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/data/transforms.h"
#include "cutrain/nn/network.h"

namespace cutrain::nn {

enum class VaeLoss { compiled, added };

struct VaeConfig {
  std::vector<int64_t> conv_widths{};  // empty: a dense encoder
  int64_t hidden = 128;
  int64_t latent = 8;
  VaeLoss loss = VaeLoss::compiled;
};

// Appends the VAE for spec (images [N, H, W, C], dtype, init seed).
Network vae_network(graph::Graph& g, const NetworkSpec& spec, const VaeConfig& config);
NetworkBuilder vae_builder(VaeConfig config);

// Per-sample negative ELBO [N] from pixel logits [N, P], images [N, ...] with P
// values per sample, mu and logvar [N, latent].
graph::Value vae_sample_loss(graph::Value logits, graph::Value images, graph::Value mu, graph::Value logvar);

// The whole image scaled to [0, 1] (pixel / 255), no resizing: the VAE's
// Bernoulli likelihood needs targets in [0, 1].
data::Transform unit_interval_transform(int height, int width, int channels);

}  // namespace cutrain::nn
