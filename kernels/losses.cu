// Loss kernels (see losses.cuh for the formulas). Everything accumulates in
// double; T is only the storage type. softmax_cross_entropy also reads f16 or
// bf16 logits (L: the fp32 type of its loss, dloss and dense labels) and
// writes the gradient in the logits' type.
#include "device_math.cuh"
#include "losses.cuh"
#include "lowp.cuh"

namespace cutrain::kernels::CUTRAIN_KERNEL_NS {

namespace {

constexpr int kBlock = 256;
constexpr int kRowsPerBlock = kBlock / 32;
constexpr int64_t kMaxBlocks = 65535;

unsigned blocks(int64_t work, int64_t per_block) {
  const int64_t b = (work + per_block - 1) / per_block;
  return static_cast<unsigned>(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

__device__ __forceinline__ double nan_() { return __longlong_as_double(0x7ff8000000000000LL); }

// The class id of row i, or -1 when out of range.
__device__ __forceinline__ int64_t class_id(LabelKind kind, const void* labels, int64_t i, int64_t classes) {
  const int64_t y = kind == LabelKind::i32 ? static_cast<const int32_t*>(labels)[i] : static_cast<const int64_t*>(labels)[i];
  return y >= 0 && y < classes ? y : -1;
}

// One warp per row i of logits [n, C]; L: the type of loss, dloss and dense labels.
template <typename T, typename L>
__global__ void __launch_bounds__(kBlock)
    softmax_xent_kernel(const T* __restrict__ logits, LabelKind kind, const void* __restrict__ labels, int64_t n,
                        int64_t classes, double smoothing, L* __restrict__ loss, const L* __restrict__ dloss,
                        T* __restrict__ dlogits) {
  const unsigned lane = threadIdx.x % 32;
  const double off = smoothing / static_cast<double>(classes);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; i < n;
       i += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const T* x = logits + i * classes;
    const bool sparse = kind != LabelKind::dense;
    const int64_t y = sparse ? class_id(kind, labels, i, classes) : 0;
    const L* dense = sparse ? nullptr : static_cast<const L*>(labels) + i * classes;
    // t_c = (1 − s)·label_c + s/C
    auto target = [&](int64_t c) {
      return sparse ? (c == y ? 1.0 - smoothing : 0.0) + off : (1.0 - smoothing) * static_cast<double>(dense[c]) + off;
    };
    // lse = m + log Σ exp(x − m)
    double m = lowp_to_double(x[0]);
    for (int64_t c = lane; c < classes; c += 32) m = dev::max_(m, lowp_to_double(x[c]));
    m = dev::warp_max(m);
    double s = 0.0;
    for (int64_t c = lane; c < classes; c += 32) s += exp(lowp_to_double(x[c]) - m);
    s = dev::warp_sum(s);
    const double lse = m + log(s);
    // loss = Σ t_c (lse − x_c); total = Σ t_c
    double l = 0.0, total = 0.0;
    for (int64_t c = lane; c < classes; c += 32) {
      const double t = target(c);
      l += t * (lse - lowp_to_double(x[c]));
      total += t;
    }
    l = dev::warp_sum(l);
    total = dev::warp_sum(total);
    const bool bad = sparse && y < 0;
    if (loss != nullptr && lane == 0) loss[i] = static_cast<L>(bad ? nan_() : l);
    if (dlogits != nullptr) {
      const double g = bad ? nan_() : static_cast<double>(dloss[i]);
      for (int64_t c = lane; c < classes; c += 32) {
        const double p = exp(lowp_to_double(x[c]) - lse);
        dlogits[i * classes + c] = static_cast<T>(g * (p * total - target(c)));
      }
    }
  }
}

// max(x, 0) − x t + log(1 + exp(−|x|)): log(1 + exp(x)) − x t without overflow.
__device__ __forceinline__ double bce_from_logit(double x, double t) {
  return (x > 0.0 ? x : 0.0) - x * t + log1p(exp(-fabs(x)));
}
__device__ __forceinline__ double stable_sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

// The term of element (a, b) summed per sample.
template <SampleLoss K>
__device__ __forceinline__ double sample_term(double a, double b, double smoothing) {
  if constexpr (K == SampleLoss::sigmoid_bce) return bce_from_logit(a, (1.0 - smoothing) * b + 0.5 * smoothing);
  if constexpr (K == SampleLoss::mse) return (a - b) * (a - b);
  return 1.0 + b - a * a - exp(b);
}

// One block per sample i over its features j in [i·F, (i+1)·F).
template <SampleLoss K, typename T>
__global__ void __launch_bounds__(kBlock) sample_loss_kernel(SampleLossArgs args, const T* __restrict__ a,
                                                             const T* __restrict__ b, int64_t n, int64_t f,
                                                             T* __restrict__ loss) {
  __shared__ double scratch[kBlock / 32];
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    double l = 0.0;
    for (int64_t j = i * f + threadIdx.x; j < (i + 1) * f; j += blockDim.x)
      l += sample_term<K>(static_cast<double>(a[j]), static_cast<double>(b[j]), args.label_smoothing);
    l = dev::block_sum(l, scratch);
    if (threadIdx.x == 0) {
      double r = l / static_cast<double>(f);                                   // mean over features
      if (K == SampleLoss::sigmoid_bce && args.sum_features) r = l;            // or their sum
      if (K == SampleLoss::gaussian_kl) r = -0.5 * l;                          // KL: −½ Σ
      loss[i] = static_cast<T>(r);
    }
  }
}

// Elementwise over all n·F elements; sample i = j / F.
template <SampleLoss K, typename T>
__global__ void __launch_bounds__(kBlock)
    sample_loss_grad_kernel(SampleLossArgs args, const T* __restrict__ dloss, const T* __restrict__ a,
                            const T* __restrict__ b, int64_t total, int64_t f, T* __restrict__ da, T* __restrict__ db) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += stride) {
    const double g = static_cast<double>(dloss[j / f]);
    const double x = static_cast<double>(a[j]), y = static_cast<double>(b[j]);
    if constexpr (K == SampleLoss::sigmoid_bce) {
      const double s = args.label_smoothing, t = (1.0 - s) * y + 0.5 * s;
      da[j] = static_cast<T>(g / (args.sum_features ? 1.0 : static_cast<double>(f)) * (stable_sigmoid(x) - t));
    } else if constexpr (K == SampleLoss::mse) {
      da[j] = static_cast<T>(2.0 * g / static_cast<double>(f) * (x - y));
    } else {
      da[j] = static_cast<T>(g * x);
      db[j] = static_cast<T>(g * 0.5 * (exp(y) - 1.0));
    }
  }
}

template <typename T>
__device__ __forceinline__ double weight_of(const T* w, int64_t i) {
  return w != nullptr ? static_cast<double>(w[i]) : 1.0;
}

// Σ_i w_i over one block (every thread gets it), for mean_weighted.
template <typename T>
__device__ double divisor(LossReductionMode mode, const T* w, int64_t n, double* scratch) {
  if (mode == LossReductionMode::sum_over_batch_size) return static_cast<double>(n);
  if (mode == LossReductionMode::sum) return 1.0;
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += weight_of(w, i);
  return dev::block_sum(s, scratch);
}

template <typename T>
__global__ void __launch_bounds__(kBlock) weighted_reduce_kernel(LossReductionMode mode, const T* __restrict__ l,
                                                                 const T* __restrict__ w, int64_t n, T* __restrict__ out) {
  __shared__ double scratch[kBlock / 32];
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) total += static_cast<double>(l[i]) * weight_of(w, i);
  total = dev::block_sum(total, scratch);
  const double d = divisor(mode, w, n, scratch);
  if (threadIdx.x == 0) out[0] = static_cast<T>(d == 0.0 ? 0.0 : total / d);
}

template <typename T>
__global__ void __launch_bounds__(kBlock) weighted_reduce_grad_kernel(LossReductionMode mode, const T* __restrict__ dy,
                                                                      const T* __restrict__ w, int64_t n,
                                                                      T* __restrict__ dl) {
  __shared__ double scratch[kBlock / 32];
  const double d = divisor(mode, w, n, scratch);
  const double g = d == 0.0 ? 0.0 : static_cast<double>(dy[0]) / d;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dl[i] = static_cast<T>(g * weight_of(w, i));
}

template <typename T, typename L>
void launch_xent(const T* logits, LabelKind kind, const void* labels, int64_t n, int64_t classes, double s, L* loss,
                 const L* dloss, T* dlogits, cudaStream_t stream) {
  if (n <= 0 || classes <= 0) return;
  constexpr auto k = softmax_xent_kernel<T, L>;
  CUTRAIN_LAUNCH(k, blocks(n, kRowsPerBlock), kBlock, 0, stream, logits, kind, labels, n, classes, s, loss, dloss,
                 dlogits);
}

template <typename T>
void launch_sample_loss(const SampleLossArgs& args, const T* a, const T* b, int64_t n, int64_t f, T* loss,
                        cudaStream_t stream) {
  if (n <= 0) return;
  const unsigned grid = blocks(n, 1);
  switch (args.kind) {
#define CUTRAIN_SAMPLE_CASE(name)                                               \
  case SampleLoss::name: {                                                      \
    constexpr auto k = sample_loss_kernel<SampleLoss::name, T>;                 \
    CUTRAIN_LAUNCH(k, grid, kBlock, 0, stream, args, a, b, n, f, loss);         \
    return;                                                                     \
  }
    CUTRAIN_SAMPLE_CASE(sigmoid_bce)
    CUTRAIN_SAMPLE_CASE(mse)
    CUTRAIN_SAMPLE_CASE(gaussian_kl)
#undef CUTRAIN_SAMPLE_CASE
  }
}

template <typename T>
void launch_sample_loss_grad(const SampleLossArgs& args, const T* dloss, const T* a, const T* b, int64_t n, int64_t f,
                             T* da, T* db, cudaStream_t stream) {
  const int64_t total = n * f;
  if (total <= 0) return;
  const unsigned grid = blocks(total, kBlock) > 4096 ? 4096 : blocks(total, kBlock);
  switch (args.kind) {
#define CUTRAIN_SAMPLE_GRAD_CASE(name)                                               \
  case SampleLoss::name: {                                                           \
    constexpr auto k = sample_loss_grad_kernel<SampleLoss::name, T>;                 \
    CUTRAIN_LAUNCH(k, grid, kBlock, 0, stream, args, dloss, a, b, total, f, da, db); \
    return;                                                                          \
  }
    CUTRAIN_SAMPLE_GRAD_CASE(sigmoid_bce)
    CUTRAIN_SAMPLE_GRAD_CASE(mse)
    CUTRAIN_SAMPLE_GRAD_CASE(gaussian_kl)
#undef CUTRAIN_SAMPLE_GRAD_CASE
  }
}

}  // namespace

void softmax_cross_entropy(const float* logits, LabelKind label_kind, const void* labels, int64_t n, int64_t classes,
                           double label_smoothing, float* loss, const float* dloss, float* dlogits,
                           cudaStream_t stream) {
  launch_xent(logits, label_kind, labels, n, classes, label_smoothing, loss, dloss, dlogits, stream);
}
void softmax_cross_entropy(const double* logits, LabelKind label_kind, const void* labels, int64_t n,
                           int64_t classes, double label_smoothing, double* loss, const double* dloss,
                           double* dlogits, cudaStream_t stream) {
  launch_xent(logits, label_kind, labels, n, classes, label_smoothing, loss, dloss, dlogits, stream);
}
#define CUTRAIN_XENT_LOWP_DEFS(H)                                                                             \
  void softmax_cross_entropy(const H* logits, LabelKind label_kind, const void* labels, int64_t n, int64_t classes, \
                             double label_smoothing, float* loss, const float* dloss, H* dlogits,               \
                             cudaStream_t stream) {                                                             \
    launch_xent(lowp_device_ptr(logits), label_kind, labels, n, classes, label_smoothing, loss, dloss,          \
                lowp_device_ptr(dlogits), stream);                                                              \
  }
CUTRAIN_XENT_LOWP_DEFS(Half)
CUTRAIN_XENT_LOWP_DEFS(BFloat16)
#undef CUTRAIN_XENT_LOWP_DEFS
void sample_loss(const SampleLossArgs& args, const float* a, const float* b, int64_t n, int64_t features, float* loss,
                 cudaStream_t stream) {
  launch_sample_loss(args, a, b, n, features, loss, stream);
}
void sample_loss(const SampleLossArgs& args, const double* a, const double* b, int64_t n, int64_t features,
                 double* loss, cudaStream_t stream) {
  launch_sample_loss(args, a, b, n, features, loss, stream);
}
void sample_loss_grad(const SampleLossArgs& args, const float* dloss, const float* a, const float* b, int64_t n,
                      int64_t features, float* da, float* db, cudaStream_t stream) {
  launch_sample_loss_grad(args, dloss, a, b, n, features, da, db, stream);
}
void sample_loss_grad(const SampleLossArgs& args, const double* dloss, const double* a, const double* b, int64_t n,
                      int64_t features, double* da, double* db, cudaStream_t stream) {
  launch_sample_loss_grad(args, dloss, a, b, n, features, da, db, stream);
}
void weighted_loss_reduce(LossReductionMode mode, const float* per_sample, const float* weights, int64_t n, float* out,
                          cudaStream_t stream) {
  CUTRAIN_LAUNCH(weighted_reduce_kernel<float>, 1, kBlock, 0, stream, mode, per_sample, weights, n, out);
}
void weighted_loss_reduce(LossReductionMode mode, const double* per_sample, const double* weights, int64_t n,
                          double* out, cudaStream_t stream) {
  CUTRAIN_LAUNCH(weighted_reduce_kernel<double>, 1, kBlock, 0, stream, mode, per_sample, weights, n, out);
}
void weighted_loss_reduce_grad(LossReductionMode mode, const float* dy, const float* weights, int64_t n,
                               float* dper_sample, cudaStream_t stream) {
  if (n <= 0) return;
  CUTRAIN_LAUNCH(weighted_reduce_grad_kernel<float>, 1, kBlock, 0, stream, mode, dy, weights, n, dper_sample);
}
void weighted_loss_reduce_grad(LossReductionMode mode, const double* dy, const double* weights, int64_t n,
                               double* dper_sample, cudaStream_t stream) {
  if (n <= 0) return;
  CUTRAIN_LAUNCH(weighted_reduce_grad_kernel<double>, 1, kBlock, 0, stream, mode, dy, weights, n, dper_sample);
}

}  // namespace cutrain::kernels::CUTRAIN_KERNEL_NS
