// Where an update node's per-step values live on the device: the executor's
// f64 array of per-step scalars (null outside an executor that provides them)
// and this node's slots in it (-1: absent, the op's attribute holds). Filled
// by the ops layer (cutrain/ops/step_scalars.h) for the CUDA update kernels.
#pragma once

namespace cutrain::params {

struct StepScalars {
  const double* scalars = nullptr;
  int lr_slot = -1, step_slot = -1, decay_slot = -1;
};

}  // namespace cutrain::params
