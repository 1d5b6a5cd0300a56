// Multi-tensor optimizer updates, float and double: the launchers of
// optimizers.cu. One launch updates every tensor of a list (up to
// kMaxTensorsPerLaunch; longer lists take more launches): the tensors are cut
// into chunks of kOptimizerChunk elements and each block handles one chunk of
// one tensor, finding its tensor by a binary search over the chunk offsets
// passed in the kernel's parameters (a struct by value, ~22 KiB: sm_70+ takes
// up to 32 KiB of parameters).
//
// The update formulas are the CPU reference's (src/cpu/optimizers.cpp),
// computed in T with the hyperparameters rounded to T:
//   sgd (PyTorch): d = g + wd·w; with momentum b = μ·b + d, d = nesterov ? d + μ·b : b;
//                  w −= lr·d  (state0 = b, null when momentum is 0)
//   rmsprop (TF):  ms = ρ·ms + (1 − ρ)·g²; mom = μ·mom + lr·g / sqrt(ms + ε); w −= mom
//   adam/adamw:    d = g (+ wd·w unless decoupled; decoupled: w *= 1 − lr·wd);
//                  m = β1·m + (1 − β1)·d; v = β2·v + (1 − β2)·d²;
//                  w −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε)
//   ema:           shadow −= (1 − decay)·(shadow − value)  (param = shadow,
//                  grad = value; no state)
// global_norm: per-chunk partial sums of g² in double into a workspace, then
//   one block adds them in chunk order: out = sqrt(Σ) (deterministic).
// clip_by_global_norm: out_k = g_k · s, s = clip / max(norm, clip) read from
//   the device norm (NaN when the norm is not finite, as TF).
// clip_by_value: out = min(max(g, −v), v), NaN kept (Keras clipvalue).
// Loss scaling (torch.amp.GradScaler):
//   unscale_check_finite: out_k = g_k · (1 / scale) over every tensor in one
//     multi-tensor launch (after a one-thread launch that zeroes the flag), and
//     found_inf = 1 when any g is inf or NaN (torch's
//     _amp_foreach_non_finite_check_and_unscale_; the inverse is formed in
//     double and rounded to T, exact for the powers of two a dynamic scale takes).
//   update_loss_scale: one thread, torch's _amp_update_scale_: a found inf
//     multiplies the scale by the backoff factor and zeroes the growth
//     tracker; otherwise the tracker counts the finite step and, reaching the
//     growth interval, the scale grows (unless that overflows) and the tracker
//     restarts. The applied-step counter counts the finite steps. A fixed
//     scale (dynamic false) only counts.
// Gradient accumulation: accumulate acc += g; take out = (acc + g)·s, acc = 0.
// Guarded updates: with UpdateGuard::found_inf set, an update (and the EMA)
//   leaves everything untouched when *found_inf != 0, decided by each block on
//   the device, so the step needs no host round trip; Adam's 1-based step is
//   then *steps + 1 (steps: the updates applied so far, which skipped steps
//   do not advance).
#pragma once

#include <cstdint>

#include "cutrain/params/optimizers.h"
#include "launch.cuh"

namespace cutrain::kernels {

constexpr int kMaxTensorsPerLaunch = 448;
constexpr int64_t kOptimizerChunk = 8192;

// One parameter and its optimizer state (state may be null where unused).
template <typename T>
struct ParamSlots {
  T* param = nullptr;
  const T* grad = nullptr;
  T* state0 = nullptr;  // sgd: momentum buffer; rmsprop: ms; adam: m
  T* state1 = nullptr;  // rmsprop: mom; adam: v
  int64_t n = 0;
};

// Per-step values (lr, Adam's step, the EMA decay) may instead be read by
// the kernels from device memory when they run: `scalars` points to the
// executor's per-step scalars (f64, see params/step_scalars.h) and a
// slot >= 0 selects the value there, so a captured launch sees each step's
// value. With no pointer or slot -1 the field above is used.
struct StepScalarsRef {
  const double* scalars = nullptr;
  int lr_slot = -1, step_slot = -1, decay_slot = -1;
};
// Device flags of a loss-scaled step (null: unguarded); see above.
struct UpdateGuard {
  const double* found_inf = nullptr;
  const double* steps = nullptr;  // Adam only
};
// The op's hyperparameters (cutrain/params/optimizers.h), where this node's
// per-step values are, and its guard.
struct SgdHyper {
  params::Sgd p;
  StepScalarsRef dyn;
  UpdateGuard guard;
};
struct RmsPropHyper {
  params::RmsProp p;
  StepScalarsRef dyn;
  UpdateGuard guard;
};
struct EmaHyper {
  double decay = 0.999;
  StepScalarsRef dyn;
  UpdateGuard guard;
};
struct AdamHyper {
  params::Adam p;
  StepScalarsRef dyn;
  UpdateGuard guard;
};

CUTRAIN_KERNEL_LAUNCHERS(
    void sgd_update(const SgdHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void sgd_update(const SgdHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    void rmsprop_update(const RmsPropHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void rmsprop_update(const RmsPropHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    void adam_update(const AdamHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void adam_update(const AdamHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    void ema_update(const EmaHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void ema_update(const EmaHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    // out[0] = sqrt(Σ_k Σ_i g_k[i]²); workspace: global_norm_workspace doubles.
    void global_norm(const float* const* grads, const int64_t* sizes, int count, double* workspace, float* out,
                     cudaStream_t stream);
    void global_norm(const double* const* grads, const int64_t* sizes, int count, double* workspace, double* out,
                     cudaStream_t stream);
    void clip_by_global_norm(double clip_norm, const float* norm, const float* const* grads, float* const* outs,
                             const int64_t* sizes, int count, cudaStream_t stream);
    void clip_by_global_norm(double clip_norm, const double* norm, const double* const* grads, double* const* outs,
                             const int64_t* sizes, int count, cudaStream_t stream);
    void clip_by_value(double clip_value, const float* const* grads, float* const* outs, const int64_t* sizes,
                       int count, cudaStream_t stream);
    void clip_by_value(double clip_value, const double* const* grads, double* const* outs, const int64_t* sizes,
                       int count, cudaStream_t stream);
    void unscale_check_finite(const float* scale, const float* const* grads, float* const* outs,
                              const int64_t* sizes, int count, double* found_inf, cudaStream_t stream);
    void unscale_check_finite(const double* scale, const double* const* grads, double* const* outs,
                              const int64_t* sizes, int count, double* found_inf, cudaStream_t stream);
    // acc += g (param = acc, grad = g).
    void accumulate_gradient(const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void accumulate_gradient(const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    // out = (acc + g)·scale, then acc = 0 (param = out, grad = g, state0 = acc).
    void take_accumulated(double scale, const ParamSlots<float>* tensors, int count, cudaStream_t stream);
    void take_accumulated(double scale, const ParamSlots<double>* tensors, int count, cudaStream_t stream);
    void update_loss_scale(const params::LossScaleUpdate& p, float* scale, double* growth_tracker, double* steps,
                           const double* found_inf, cudaStream_t stream);
    void update_loss_scale(const params::LossScaleUpdate& p, double* scale, double* growth_tracker, double* steps,
                           const double* found_inf, cudaStream_t stream);)

// Doubles of workspace global_norm needs for tensors of these sizes.
inline int64_t global_norm_workspace(const int64_t* sizes, int count) {
  int64_t chunks = 0;
  for (int k = 0; k < count; ++k) chunks += (sizes[k] + kOptimizerChunk - 1) / kOptimizerChunk;
  return chunks < 1 ? 1 : chunks;
}

}  // namespace cutrain::kernels
