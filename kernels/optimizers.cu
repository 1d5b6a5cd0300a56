// Multi-tensor optimizer updates, global norm and clipping (see
// optimizers.cuh). The host packs up to kMaxTensorsPerLaunch tensors into a
// TensorPack; block b handles chunk b − chunk_start[k] of the tensor k with
// chunk_start[k] <= b < chunk_start[k + 1].
#include "device_math.cuh"
#include "optimizers.cuh"

#include <cmath>
#include <vector>

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;

enum class Update : int { sgd, rmsprop, adam, ema, scale, clip_value, unscale, accumulate, take };

template <typename T>
struct TensorPack {
  T* param[kMaxTensorsPerLaunch];
  const T* grad[kMaxTensorsPerLaunch];
  T* state0[kMaxTensorsPerLaunch];
  T* state1[kMaxTensorsPerLaunch];
  int64_t n[kMaxTensorsPerLaunch];
  int64_t chunk_start[kMaxTensorsPerLaunch + 1];
  int count;
};

// Every hyperparameter any update needs, already in the form the formulas
// use (adam's bias corrections computed in double on the host, like the CPU).
// `dyn` slots override lr, decay and Adam's step from device memory (then
// the bias corrections are formed on the device, per thread, in double).
struct Hyper {
  double lr, momentum, weight_decay, decay, epsilon, beta1, beta2, adam_step_size, adam_bc2_sqrt, adam_t, clip_norm,
      clip_value, take_scale;
  bool nesterov, decoupled;
  StepScalarsRef dyn;
  UpdateGuard guard;
  double* found_inf_out;  // unscale: set to 1 on a non-finite gradient
};

__device__ __forceinline__ double dyn_or(const StepScalarsRef& d, int slot, double fallback) {
  return d.scalars != nullptr && slot >= 0 ? d.scalars[slot] : fallback;
}

// The tensor whose chunk range holds block b.
template <typename T>
__device__ __forceinline__ int tensor_of(const TensorPack<T>& pack, int64_t b) {
  int lo = 0, hi = pack.count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (pack.chunk_start[mid] <= b) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// `norm`: the global norm (scale) or the loss scale (unscale).
template <Update U, typename T>
__global__ void __launch_bounds__(kBlock) update_kernel(TensorPack<T> pack, Hyper h, const T* __restrict__ norm) {
  // A loss-scaled step with an inf/NaN gradient leaves every tensor as it was.
  if (h.guard.found_inf != nullptr && *h.guard.found_inf != 0.0) return;
  const int k = tensor_of(pack, blockIdx.x);
  const int64_t begin = (static_cast<int64_t>(blockIdx.x) - pack.chunk_start[k]) * kOptimizerChunk;
  const int64_t end = begin + kOptimizerChunk < pack.n[k] ? begin + kOptimizerChunk : pack.n[k];
  T* w = pack.param[k];
  const T* g = pack.grad[k];
  T* s0 = pack.state0[k];
  T* s1 = pack.state1[k];
  const double lr_d = dyn_or(h.dyn, h.dyn.lr_slot, h.lr);
  const double decay_d = dyn_or(h.dyn, h.dyn.decay_slot, h.decay);
  double adam_step_size = h.adam_step_size, adam_bc2_sqrt = h.adam_bc2_sqrt;
  if constexpr (U == Update::adam) {
    if ((h.dyn.scalars != nullptr && (h.dyn.lr_slot >= 0 || h.dyn.step_slot >= 0)) || h.guard.steps != nullptr) {
      // The host's arrangement (from(AdamHyper)), with this step's lr and t;
      // a guarded update counts only the updates applied.
      const double t = h.guard.steps != nullptr ? *h.guard.steps + 1.0 : dyn_or(h.dyn, h.dyn.step_slot, h.adam_t);
      adam_step_size = lr_d / (1.0 - pow(h.beta1, t));
      adam_bc2_sqrt = sqrt(1.0 - pow(h.beta2, t));
    }
  }
  const T lr = static_cast<T>(lr_d), mu = static_cast<T>(h.momentum), wd = static_cast<T>(h.weight_decay);
  T clip_scale = T(0);
  if constexpr (U == Update::scale) {
    // s = clip / max(norm, clip); NaN for a NaN or infinite norm (finite
    // exactly when nrm − nrm is 0).
    const double nrm = static_cast<double>(norm[0]);
    clip_scale = static_cast<T>(nrm - nrm == 0.0 ? h.clip_norm / (nrm > h.clip_norm ? nrm : h.clip_norm)
                                              : __longlong_as_double(0x7ff8000000000000LL));
  }
  T inv_scale = T(1);
  if constexpr (U == Update::unscale) inv_scale = static_cast<T>(1.0 / static_cast<double>(norm[0]));
  const T clip_hi = static_cast<T>(h.clip_value), clip_lo = -clip_hi;
  bool non_finite = false;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    if constexpr (U == Update::sgd) {
      // d = g + wd·w; b = μ·b + d; d = nesterov ? d + μ·b : b; w −= lr·d
      T d = g[i] + wd * w[i];
      if (s0 != nullptr) {
        s0[i] = mu * s0[i] + d;
        d = h.nesterov ? d + mu * s0[i] : s0[i];
      }
      w[i] -= lr * d;
    } else if constexpr (U == Update::rmsprop) {
      // ms = ρ·ms + (1 − ρ)·g²; mom = μ·mom + lr·g / sqrt(ms + ε); w −= mom
      // 1 − ρ, 1 − β and 1 − lr·wd are formed in double, as the CPU reference
      // (in float, 1 − float(0.999) is off by 1.3e-5 relative).
      const T rho = static_cast<T>(decay_d), one_minus_rho = static_cast<T>(1.0 - decay_d),
              eps = static_cast<T>(h.epsilon);
      s0[i] = rho * s0[i] + one_minus_rho * g[i] * g[i];
      s1[i] = mu * s1[i] + lr * g[i] / dev::sqrt_(s0[i] + eps);
      w[i] -= s1[i];
    } else if constexpr (U == Update::adam) {
      const T b1 = static_cast<T>(h.beta1), b2 = static_cast<T>(h.beta2), eps = static_cast<T>(h.epsilon);
      const T one_minus_b1 = static_cast<T>(1.0 - h.beta1), one_minus_b2 = static_cast<T>(1.0 - h.beta2);
      T d = g[i];
      if (h.decoupled)
        w[i] *= static_cast<T>(1.0 - lr_d * h.weight_decay);  // AdamW: decay the weight itself
      else
        d += wd * w[i];  // Adam: L2 term in the gradient
      s0[i] = b1 * s0[i] + one_minus_b1 * d;
      s1[i] = b2 * s1[i] + one_minus_b2 * d * d;
      w[i] -= static_cast<T>(adam_step_size) * s0[i] / (dev::sqrt_(s1[i]) / static_cast<T>(adam_bc2_sqrt) + eps);
    } else if constexpr (U == Update::ema) {
      // shadow −= (1 − decay)·(shadow − value); 1 − decay formed in double.
      w[i] -= static_cast<T>(1.0 - decay_d) * (w[i] - g[i]);
    } else if constexpr (U == Update::accumulate) {
      w[i] += g[i];
    } else if constexpr (U == Update::take) {
      // In the CPU reference's order: the sum, then the scale.
      w[i] = (s0[i] + g[i]) * static_cast<T>(h.take_scale);
      s0[i] = T(0);
    } else if constexpr (U == Update::clip_value) {
      const T v = g[i];
      w[i] = v != v ? v : (v < clip_lo ? clip_lo : (v > clip_hi ? clip_hi : v));
    } else if constexpr (U == Update::unscale) {
      const T v = g[i];
      non_finite |= v - v != T(0);  // inf − inf and NaN − NaN are NaN
      w[i] = v * inv_scale;
    } else {
      w[i] = g[i] * clip_scale;
    }
  }
  // Every writer stores the same 1, so the race is benign (as torch's).
  if constexpr (U == Update::unscale)
    if (non_finite) *h.found_inf_out = 1.0;
}

__global__ void zero_flag_kernel(double* __restrict__ flag) { flag[0] = 0.0; }

// torch's _amp_update_scale_ (see optimizers.cuh), one thread.
template <typename T>
__global__ void update_loss_scale_kernel(params::LossScaleUpdate p, T* __restrict__ scale,
                                         double* __restrict__ tracker, double* __restrict__ steps,
                                         const double* __restrict__ found_inf) {
  if (*found_inf != 0.0) {
    if (p.dynamic) {
      scale[0] = static_cast<T>(static_cast<double>(scale[0]) * p.backoff_factor);
      tracker[0] = 0.0;
    }
    return;
  }
  steps[0] += 1.0;
  if (!p.dynamic) return;
  const double successful = tracker[0] + 1.0;
  if (successful >= static_cast<double>(p.growth_interval)) {
    const T grown = static_cast<T>(static_cast<double>(scale[0]) * p.growth_factor);
    if (grown - grown == T(0)) scale[0] = grown;  // finite: keep the old scale on overflow
    tracker[0] = 0.0;
  } else {
    tracker[0] = successful;
  }
}

// Sum of squares of this block's chunk, in double, into partial[base + b].
template <typename T>
__global__ void __launch_bounds__(kBlock) sum_squares_kernel(TensorPack<T> pack, double* __restrict__ partial,
                                                             int64_t base) {
  __shared__ double scratch[kBlock / 32];
  const int k = tensor_of(pack, blockIdx.x);
  const int64_t begin = (static_cast<int64_t>(blockIdx.x) - pack.chunk_start[k]) * kOptimizerChunk;
  const int64_t end = begin + kOptimizerChunk < pack.n[k] ? begin + kOptimizerChunk : pack.n[k];
  const T* g = pack.grad[k];
  double acc = 0.0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) acc += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  acc = dev::block_sum(acc, scratch);
  if (threadIdx.x == 0) partial[base + blockIdx.x] = acc;
}

// out = sqrt(Σ partial[0..m)), one block.
template <typename T>
__global__ void __launch_bounds__(kBlock) norm_final_kernel(const double* __restrict__ partial, int64_t m,
                                                            T* __restrict__ out) {
  __shared__ double scratch[kBlock / 32];
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < m; i += blockDim.x) acc += partial[i];
  acc = dev::block_sum(acc, scratch);
  if (threadIdx.x == 0) out[0] = static_cast<T>(sqrt(acc));
}

// Packs slots[first..) until the pack is full; returns the next unpacked index.
template <typename T>
int pack_tensors(const ParamSlots<T>* slots, int count, int first, TensorPack<T>& pack) {
  pack.count = 0;
  pack.chunk_start[0] = 0;
  int k = first;
  for (; k < count && pack.count < kMaxTensorsPerLaunch; ++k) {
    if (slots[k].n <= 0) continue;
    const int j = pack.count++;
    pack.param[j] = slots[k].param;
    pack.grad[j] = slots[k].grad;
    pack.state0[j] = slots[k].state0;
    pack.state1[j] = slots[k].state1;
    pack.n[j] = slots[k].n;
    pack.chunk_start[j + 1] = pack.chunk_start[j] + (slots[k].n + kOptimizerChunk - 1) / kOptimizerChunk;
  }
  return k;
}

template <Update U, typename T>
void launch_updates(const Hyper& h, const ParamSlots<T>* slots, int count, const T* norm, cudaStream_t stream) {
  // The pack is large: keep it off the caller's stack frame chain in one place.
  TensorPack<T> pack;
  for (int next = 0; next < count;) {
    next = pack_tensors(slots, count, next, pack);
    if (pack.count == 0) continue;
    constexpr auto kern = update_kernel<U, T>;
    CUTRAIN_LAUNCH(kern, static_cast<unsigned>(pack.chunk_start[pack.count]), kBlock, 0, stream, pack, h, norm);
  }
}

Hyper from(const SgdHyper& s) {
  Hyper h{};
  h.lr = s.p.lr;
  h.momentum = s.p.momentum;
  h.weight_decay = s.p.weight_decay;
  h.nesterov = s.p.nesterov;
  h.dyn = s.dyn;
  h.guard = {s.guard.found_inf, nullptr};
  h.dyn.step_slot = h.dyn.decay_slot = -1;
  return h;
}
Hyper from(const RmsPropHyper& s) {
  Hyper h{};
  h.lr = s.p.lr;
  h.momentum = s.p.momentum;
  h.decay = s.p.decay;
  h.epsilon = s.p.epsilon;
  h.dyn = s.dyn;
  h.guard = {s.guard.found_inf, nullptr};
  h.dyn.step_slot = h.dyn.decay_slot = -1;
  return h;
}
Hyper from(const AdamHyper& s) {
  Hyper h{};
  h.lr = s.p.lr;
  h.weight_decay = s.p.weight_decay;
  h.beta1 = s.p.beta1;
  h.beta2 = s.p.beta2;
  h.epsilon = s.p.epsilon;
  h.decoupled = s.p.decoupled;
  h.dyn = s.dyn;
  h.guard = s.guard;
  h.dyn.decay_slot = -1;
  // PyTorch's arrangement: step size lr / (1 − β1^t), denominator sqrt(v) / sqrt(1 − β2^t) + ε.
  const double t = static_cast<double>(s.p.step);
  h.adam_t = t;
  h.adam_step_size = s.p.lr / (1.0 - std::pow(s.p.beta1, t));
  h.adam_bc2_sqrt = std::sqrt(1.0 - std::pow(s.p.beta2, t));
  return h;
}

Hyper from(const EmaHyper& s) {
  Hyper h{};
  h.decay = s.decay;
  h.dyn = s.dyn;
  h.guard = {s.guard.found_inf, nullptr};
  h.dyn.lr_slot = h.dyn.step_slot = -1;
  return h;
}

template <typename T>
void launch_global_norm(const T* const* grads, const int64_t* sizes, int count, double* workspace, T* out,
                        cudaStream_t stream) {
  std::vector<ParamSlots<T>> slots(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    slots[static_cast<size_t>(k)].grad = grads[k];
    slots[static_cast<size_t>(k)].n = sizes[k];
  }
  TensorPack<T> pack;
  int64_t base = 0;
  for (int next = 0; next < count;) {
    next = pack_tensors(slots.data(), count, next, pack);
    if (pack.count == 0) continue;
    const int64_t chunks = pack.chunk_start[pack.count];
    CUTRAIN_LAUNCH(sum_squares_kernel<T>, static_cast<unsigned>(chunks), kBlock, 0, stream, pack, workspace, base);
    base += chunks;
  }
  CUTRAIN_LAUNCH(norm_final_kernel<T>, 1, kBlock, 0, stream, workspace, base, out);
}

template <typename T>
void launch_clip(double clip_norm, const T* norm, const T* const* grads, T* const* outs, const int64_t* sizes,
                 int count, cudaStream_t stream) {
  std::vector<ParamSlots<T>> slots(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    slots[static_cast<size_t>(k)].param = outs[k];
    slots[static_cast<size_t>(k)].grad = grads[k];
    slots[static_cast<size_t>(k)].n = sizes[k];
  }
  Hyper h{};
  h.clip_norm = clip_norm;
  launch_updates<Update::scale>(h, slots.data(), count, norm, stream);
}

// The elementwise list ops (clip_by_value, unscale): out_k from g_k.
template <Update U, typename T>
void launch_elementwise(const Hyper& h, const T* scale, const T* const* grads, T* const* outs,
                        const int64_t* sizes, int count, cudaStream_t stream) {
  std::vector<ParamSlots<T>> slots(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    slots[static_cast<size_t>(k)].param = outs[k];
    slots[static_cast<size_t>(k)].grad = grads[k];
    slots[static_cast<size_t>(k)].n = sizes[k];
  }
  launch_updates<U>(h, slots.data(), count, scale, stream);
}

template <typename T>
void launch_unscale(const T* scale, const T* const* grads, T* const* outs, const int64_t* sizes, int count,
                    double* found_inf, cudaStream_t stream) {
  CUTRAIN_LAUNCH(zero_flag_kernel, 1, 1, 0, stream, found_inf);
  Hyper h{};
  h.found_inf_out = found_inf;
  launch_elementwise<Update::unscale>(h, scale, grads, outs, sizes, count, stream);
}

template <typename T>
void launch_clip_value(double clip_value, const T* const* grads, T* const* outs, const int64_t* sizes, int count,
                       cudaStream_t stream) {
  Hyper h{};
  h.clip_value = clip_value;
  launch_elementwise<Update::clip_value>(h, static_cast<const T*>(nullptr), grads, outs, sizes, count, stream);
}

}  // namespace

void sgd_update(const SgdHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::sgd, float>(from(h), tensors, count, nullptr, stream);
}
void sgd_update(const SgdHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::sgd, double>(from(h), tensors, count, nullptr, stream);
}
void rmsprop_update(const RmsPropHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::rmsprop, float>(from(h), tensors, count, nullptr, stream);
}
void rmsprop_update(const RmsPropHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::rmsprop, double>(from(h), tensors, count, nullptr, stream);
}
void adam_update(const AdamHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::adam, float>(from(h), tensors, count, nullptr, stream);
}
void adam_update(const AdamHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::adam, double>(from(h), tensors, count, nullptr, stream);
}
void ema_update(const EmaHyper& h, const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::ema, float>(from(h), tensors, count, nullptr, stream);
}
void ema_update(const EmaHyper& h, const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::ema, double>(from(h), tensors, count, nullptr, stream);
}
void global_norm(const float* const* grads, const int64_t* sizes, int count, double* workspace, float* out,
                 cudaStream_t stream) {
  launch_global_norm(grads, sizes, count, workspace, out, stream);
}
void global_norm(const double* const* grads, const int64_t* sizes, int count, double* workspace, double* out,
                 cudaStream_t stream) {
  launch_global_norm(grads, sizes, count, workspace, out, stream);
}
void clip_by_global_norm(double clip_norm, const float* norm, const float* const* grads, float* const* outs,
                         const int64_t* sizes, int count, cudaStream_t stream) {
  launch_clip(clip_norm, norm, grads, outs, sizes, count, stream);
}
void clip_by_global_norm(double clip_norm, const double* norm, const double* const* grads, double* const* outs,
                         const int64_t* sizes, int count, cudaStream_t stream) {
  launch_clip(clip_norm, norm, grads, outs, sizes, count, stream);
}

void clip_by_value(double clip_value, const float* const* grads, float* const* outs, const int64_t* sizes, int count,
                   cudaStream_t stream) {
  launch_clip_value(clip_value, grads, outs, sizes, count, stream);
}
void clip_by_value(double clip_value, const double* const* grads, double* const* outs, const int64_t* sizes,
                   int count, cudaStream_t stream) {
  launch_clip_value(clip_value, grads, outs, sizes, count, stream);
}
void unscale_check_finite(const float* scale, const float* const* grads, float* const* outs, const int64_t* sizes,
                          int count, double* found_inf, cudaStream_t stream) {
  launch_unscale(scale, grads, outs, sizes, count, found_inf, stream);
}
void unscale_check_finite(const double* scale, const double* const* grads, double* const* outs,
                          const int64_t* sizes, int count, double* found_inf, cudaStream_t stream) {
  launch_unscale(scale, grads, outs, sizes, count, found_inf, stream);
}
void accumulate_gradient(const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::accumulate, float>(Hyper{}, tensors, count, nullptr, stream);
}
void accumulate_gradient(const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  launch_updates<Update::accumulate, double>(Hyper{}, tensors, count, nullptr, stream);
}
void take_accumulated(double scale, const ParamSlots<float>* tensors, int count, cudaStream_t stream) {
  Hyper h{};
  h.take_scale = scale;
  launch_updates<Update::take, float>(h, tensors, count, nullptr, stream);
}
void take_accumulated(double scale, const ParamSlots<double>* tensors, int count, cudaStream_t stream) {
  Hyper h{};
  h.take_scale = scale;
  launch_updates<Update::take, double>(h, tensors, count, nullptr, stream);
}
void update_loss_scale(const params::LossScaleUpdate& p, float* scale, double* growth_tracker, double* steps,
                       const double* found_inf, cudaStream_t stream) {
  CUTRAIN_LAUNCH(update_loss_scale_kernel<float>, 1, 1, 0, stream, p, scale, growth_tracker, steps, found_inf);
}
void update_loss_scale(const params::LossScaleUpdate& p, double* scale, double* growth_tracker, double* steps,
                       const double* found_inf, cudaStream_t stream) {
  CUTRAIN_LAUNCH(update_loss_scale_kernel<double>, 1, 1, 0, stream, p, scale, growth_tracker, steps, found_inf);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
