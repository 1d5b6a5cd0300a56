#include "cutrain/train/vae_loss.h"

#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/nn/vae.h"
#include "cutrain/graph/ops/shape_ops.h"

namespace cutrain::train {

void register_vae_loss() {
  register_loss("vae_loss", [](graph::Value y_pred, graph::Value y_true, const LossSpec&) {
    const Shape& ts = y_true.shape();
    int64_t pixels = 1;
    for (int d = 1; d < ts.rank(); ++d) pixels *= ts[d];
    const int64_t width = y_pred.shape().rank() == 2 ? y_pred.shape()[1] : -1;
    CUTRAIN_CHECK(width > pixels && (width - pixels) % 2 == 0, "vae_loss: y_pred must be [N, ", pixels,
                  " + 2 latent] (logits, mu, logvar), got ", y_pred.shape().str());
    const int64_t latent = (width - pixels) / 2;
    const std::vector<graph::Value> parts = graph::split(y_pred, 1, {pixels, latent, latent});
    return nn::vae_sample_loss(parts[0], y_true, parts[1], parts[2]);
  });
}

LossSpec vae_compiled_loss() {
  LossSpec l;
  l.name = "vae_loss";
  l.target = TargetKind::input;
  return l;
}

}  // namespace cutrain::train
