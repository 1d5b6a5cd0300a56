// The VAE's compiled loss (nn/vae.h, VaeLoss::compiled): "vae_loss", a
// (y_true, y_pred) loss registered by name, splitting y_pred =
// concat(logits, mu, logvar) by the pixel count of y_true (the images).
#pragma once

#include "cutrain/train/losses_api.h"

namespace cutrain::train {

// Registers "vae_loss" (y_pred = concat(logits, mu, logvar), y_true = images).
void register_vae_loss();
// LossSpec{"vae_loss", weight 1, target input}.
LossSpec vae_compiled_loss();

}  // namespace cutrain::train
