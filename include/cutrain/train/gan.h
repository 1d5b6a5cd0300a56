// GAN training on one graph: the generator and the discriminator live in the
// same graph, and a discriminator step and a generator step are two fetch sets
// of one executor.
//
// The discriminator scores the batch concat([real; fake]) along the batch axis,
// so the real and fake images go through the same D weights (and the same
// spectral-norm nodes, whose power iteration then runs once per run, as one
// D forward does in PyTorch). Its scores are split back into d_real and d_fake.
//   D step: fetch the Adam tokens of d(d_loss)/d(D params): G runs forward only.
//   G step: fetch the Adam tokens of d(g_loss)/d(G params): D runs forward and
//           backward to its input, its weights stay as they are.
// Both runs are training runs: G's batch norms use batch statistics and update
// their moving averages, D's spectral norms advance u and v.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "cutrain/graph/executor.h"
#include "cutrain/nn/model.h"
#include "cutrain/nn/sngan.h"
#include "cutrain/ops/optimizers.h"

namespace cutrain::train {

using graph::Value;

struct GanGraph {
  nn::Model model;  // model.params = g_params then d_params
  nn::SnGanConfig config;
  int64_t batch = 0;
  Value z;     // input [batch, z_dim]
  Value real;  // input [batch, S, S, C], images in [-1, 1]
  Value fake;  // generator output [batch, S, S, C]
  Value d_real, d_fake;  // [batch, 1] scores
  nn::HingeLosses loss;
  std::vector<Value> g_params, d_params;
  std::vector<Value> g_updates, d_updates;  // Adam tokens to fetch
};

// Adam defaults of SN-GAN: lr 2e-4, beta1 0, beta2 0.9.
ops::AdamOptions sngan_adam();

GanGraph build_gan_graph(const nn::SnGanConfig& config, int64_t batch, DType dtype, uint64_t seed,
                         const ops::AdamOptions& g_adam = sngan_adam(),
                         const ops::AdamOptions& d_adam = sngan_adam());

class GanTrainer {
 public:
  GanTrainer(GanGraph& gan, Device device);

  // One update of D's (or G's) parameters on a real batch and a z batch;
  // returns the loss before the update.
  double d_step(const Tensor& real, const Tensor& z);
  double g_step(const Tensor& real, const Tensor& z);
  // Generator output for z (a training run: batch statistics, see above).
  Tensor generate(const Tensor& z);

  // A standard-normal z batch drawn from `seed`.
  Tensor sample_z(uint64_t seed) const;

  graph::Executor& executor() { return exec_; }
  int64_t d_steps() const { return d_t_; }
  int64_t g_steps() const { return g_t_; }

 private:
  // Adam's bias correction needs the 1-based step: an attribute of the update nodes.
  void set_adam_step(const std::vector<Value>& tokens, int64_t step);

  GanGraph& gan_;
  graph::Executor exec_;
  int64_t d_t_ = 0, g_t_ = 0;
};

struct GanEpochStats {
  double d_loss = 0;  // mean over the epoch's D steps
  double g_loss = 0;  // mean over the epoch's G steps
  int64_t steps = 0;  // generator steps
};

// `steps` generator steps, each after `n_dis` discriminator steps; real
// batches drawn without replacement from `images` ([N, S, S, C] float in
// [-1, 1], reshuffled when exhausted) with `rng`, z batches from it too.
GanEpochStats run_gan_epoch(GanTrainer& trainer, const Tensor& images, int64_t steps, int n_dis,
                            std::mt19937_64& rng);

// u8 images [N, H, W, C] -> float [N, H, W, C] in [-1, 1] (x / 127.5 - 1).
Tensor to_signed_unit(const Tensor& u8_images, DType dtype = DType::f32);
// Float images in [-1, 1] -> u8 (clamped, rounded).
std::vector<uint8_t> to_u8(const Tensor& images);

}  // namespace cutrain::train
