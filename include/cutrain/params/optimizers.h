// Optimizer hyperparameters: one plain struct per update rule, shared by the
// op (which parses and checks its attributes into it once), the CPU reference
// kernel and the CUDA kernels (which add where the per-step values live).
// Defaults live here and nowhere else: what an attribute left out means is
// the same on every backend. Plain aggregates with no dependencies, so that
// nvcc, the kernel emulation and the CPU code all include this header.
#pragma once

#include <cstdint>

namespace cutrain::params {

// v = μ·v + g + wd·w; w −= lr·(nesterov ? g + μ·v : v)  (formulas: ops/optimizers.h)
struct Sgd {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};

// TF RMSProp (ApplyRMSProp): epsilon inside the root.
struct RmsProp {
  double lr = 0.001, decay = 0.9, momentum = 0.0, epsilon = 1e-10;
};

// Adam / AdamW (decoupled); `step` is 1-based.
struct Adam {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0.0;
  int64_t step = 1;
  bool decoupled = false;
};

// Dynamic loss scaling after each step (torch.amp.GradScaler's update):
// scale *= backoff_factor when a gradient was inf/NaN, *= growth_factor
// after growth_interval consecutive finite steps. A fixed scale (dynamic
// false) never changes.
struct LossScaleUpdate {
  double growth_factor = 2.0, backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  bool dynamic = true;
};

}  // namespace cutrain::params
