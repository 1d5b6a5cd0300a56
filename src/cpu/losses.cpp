#include "cutrain/cpu/losses.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {

// Number of elements per sample (everything after the batch dimension).
int64_t per_sample(const Tensor& t) { return t.rank() <= 1 ? 1 : t.numel() / t.dim(0); }

// The smoothed target t_ic for one row of a cross-entropy, whatever the label
// encoding: class ids (i32/i64) or one float per class.
template <typename T>
struct Targets {
  const Tensor& labels;
  int64_t classes;
  double smoothing;
  const std::string& op;

  bool sparse() const { return labels.dtype() == DType::i32 || labels.dtype() == DType::i64; }

  int64_t class_id(int64_t i) const {
    const int64_t y = labels.dtype() == DType::i32 ? labels.data<int32_t>()[i] : labels.data<int64_t>()[i];
    CUTRAIN_OP_CHECK(op, y >= 0 && y < classes, "label ", y, " of sample ", i, " is outside [0, ",
                     classes, ")");
    return y;
  }

  // Fills t[0..C) for sample i.
  void row(int64_t i, double* t) const {
    const double s = smoothing, off = s / static_cast<double>(classes);
    if (sparse()) {
      const int64_t y = class_id(i);
      for (int64_t c = 0; c < classes; ++c) t[c] = (c == y ? 1.0 - s : 0.0) + off;
    } else {
      const T* l = labels.data<T>() + i * classes;
      for (int64_t c = 0; c < classes; ++c) t[c] = (1.0 - s) * static_cast<double>(l[c]) + off;
    }
  }
};

// log(sum_c exp(x_c)) of one row, shifted by the max for stability.
template <typename T>
double logsumexp(const T* x, int64_t n) {
  double m = static_cast<double>(x[0]);
  for (int64_t c = 1; c < n; ++c) m = std::max(m, static_cast<double>(x[c]));
  double s = 0;
  for (int64_t c = 0; c < n; ++c) s += std::exp(static_cast<double>(x[c]) - m);
  return m + std::log(s);
}

// max(x, 0) - x t + log(1 + exp(-|x|)): log(1 + exp(x)) - x t without overflow.
double bce_from_logit(double x, double t) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x))); }

double stable_sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace

void softmax_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& labels,
                           double label_smoothing, const Tensor& loss) {
  require_cpu_contiguous(op, {logits, labels, loss});
  dispatch_float(logits.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = logits.dim(0), classes = logits.dim(1);
    const Targets<T> targets{labels, classes, label_smoothing, op};
    const T* x = logits.data<T>();
    T* out = loss.data<T>();
    std::vector<double> t(static_cast<size_t>(classes));
    for (int64_t i = 0; i < n; ++i) {
      const T* xi = x + i * classes;
      targets.row(i, t.data());
      const double lse = logsumexp(xi, classes);
      double l = 0;
      for (int64_t c = 0; c < classes; ++c) l += t[static_cast<size_t>(c)] * (lse - static_cast<double>(xi[c]));
      out[i] = static_cast<T>(l);
    }
  });
}

void softmax_cross_entropy_grad(const std::string& op, const Tensor& dloss, const Tensor& logits,
                                const Tensor& labels, double label_smoothing, const Tensor& dlogits) {
  require_cpu_contiguous(op, {dloss, logits, labels, dlogits});
  dispatch_float(logits.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = logits.dim(0), classes = logits.dim(1);
    const Targets<T> targets{labels, classes, label_smoothing, op};
    const T* x = logits.data<T>();
    const T* dl = dloss.data<T>();
    T* dx = dlogits.data<T>();
    std::vector<double> t(static_cast<size_t>(classes));
    for (int64_t i = 0; i < n; ++i) {
      const T* xi = x + i * classes;
      targets.row(i, t.data());
      const double lse = logsumexp(xi, classes);
      // Probability labels need not sum to 1: d/dx_c of sum_c' t_c' (lse - x_c') is
      // softmax_c * sum(t) - t_c.
      double total = 0;
      for (int64_t c = 0; c < classes; ++c) total += t[static_cast<size_t>(c)];
      const double g = static_cast<double>(dl[i]);
      for (int64_t c = 0; c < classes; ++c) {
        const double p = std::exp(static_cast<double>(xi[c]) - lse);
        dx[i * classes + c] = static_cast<T>(g * (p * total - t[static_cast<size_t>(c)]));
      }
    }
  });
}

void sigmoid_binary_cross_entropy(const std::string& op, const Tensor& logits, const Tensor& targets,
                                  double label_smoothing, bool sum_features, const Tensor& loss) {
  require_cpu_contiguous(op, {logits, targets, loss});
  dispatch_float(logits.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = loss.numel(), f = per_sample(logits);
    const T* x = logits.data<T>();
    const T* y = targets.data<T>();
    T* out = loss.data<T>();
    const double s = label_smoothing;
#pragma omp parallel for if (n * f > 65536)
    for (int64_t i = 0; i < n; ++i) {
      double l = 0;
      for (int64_t j = i * f; j < (i + 1) * f; ++j)
        l += bce_from_logit(static_cast<double>(x[j]), (1.0 - s) * static_cast<double>(y[j]) + 0.5 * s);
      out[i] = static_cast<T>(sum_features ? l : l / static_cast<double>(f));
    }
  });
}

void sigmoid_binary_cross_entropy_grad(const std::string& op, const Tensor& dloss,
                                       const Tensor& logits, const Tensor& targets,
                                       double label_smoothing, bool sum_features,
                                       const Tensor& dlogits) {
  require_cpu_contiguous(op, {dloss, logits, targets, dlogits});
  dispatch_float(logits.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dloss.numel(), f = per_sample(logits);
    const T* x = logits.data<T>();
    const T* y = targets.data<T>();
    const T* dl = dloss.data<T>();
    T* dx = dlogits.data<T>();
    const double s = label_smoothing;
#pragma omp parallel for if (n * f > 65536)
    for (int64_t i = 0; i < n; ++i) {
      const double g = static_cast<double>(dl[i]) / (sum_features ? 1.0 : static_cast<double>(f));
      for (int64_t j = i * f; j < (i + 1) * f; ++j) {
        const double t = (1.0 - s) * static_cast<double>(y[j]) + 0.5 * s;
        dx[j] = static_cast<T>(g * (stable_sigmoid(static_cast<double>(x[j])) - t));
      }
    }
  });
}

void mean_squared_error(const std::string& op, const Tensor& pred, const Tensor& target,
                        const Tensor& loss) {
  require_cpu_contiguous(op, {pred, target, loss});
  dispatch_float(pred.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = loss.numel(), f = per_sample(pred);
    const T* p = pred.data<T>();
    const T* t = target.data<T>();
    T* out = loss.data<T>();
#pragma omp parallel for if (n * f > 65536)
    for (int64_t i = 0; i < n; ++i) {
      double l = 0;
      for (int64_t j = i * f; j < (i + 1) * f; ++j) {
        const double d = static_cast<double>(p[j]) - static_cast<double>(t[j]);
        l += d * d;
      }
      out[i] = static_cast<T>(l / static_cast<double>(f));
    }
  });
}

void mean_squared_error_grad(const std::string& op, const Tensor& dloss, const Tensor& pred,
                             const Tensor& target, const Tensor& dpred) {
  require_cpu_contiguous(op, {dloss, pred, target, dpred});
  dispatch_float(pred.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dloss.numel(), f = per_sample(pred);
    const T* p = pred.data<T>();
    const T* t = target.data<T>();
    const T* dl = dloss.data<T>();
    T* dp = dpred.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      const double g = 2.0 * static_cast<double>(dl[i]) / static_cast<double>(f);
      for (int64_t j = i * f; j < (i + 1) * f; ++j)
        dp[j] = static_cast<T>(g * (static_cast<double>(p[j]) - static_cast<double>(t[j])));
    }
  });
}

void gaussian_kl(const std::string& op, const Tensor& mu, const Tensor& logvar, const Tensor& loss) {
  require_cpu_contiguous(op, {mu, logvar, loss});
  dispatch_float(mu.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = loss.numel(), f = per_sample(mu);
    const T* m = mu.data<T>();
    const T* lv = logvar.data<T>();
    T* out = loss.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      double l = 0;
      for (int64_t j = i * f; j < (i + 1) * f; ++j) {
        const double a = static_cast<double>(m[j]), b = static_cast<double>(lv[j]);
        l += 1.0 + b - a * a - std::exp(b);
      }
      out[i] = static_cast<T>(-0.5 * l);
    }
  });
}

void gaussian_kl_grad(const std::string& op, const Tensor& dloss, const Tensor& mu,
                      const Tensor& logvar, const Tensor& dmu, const Tensor& dlogvar) {
  require_cpu_contiguous(op, {dloss, mu, logvar, dmu, dlogvar});
  dispatch_float(mu.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dloss.numel(), f = per_sample(mu);
    const T* m = mu.data<T>();
    const T* lv = logvar.data<T>();
    const T* dl = dloss.data<T>();
    T* dm = dmu.data<T>();
    T* dlv = dlogvar.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      const double g = static_cast<double>(dl[i]);
      for (int64_t j = i * f; j < (i + 1) * f; ++j) {
        dm[j] = static_cast<T>(g * static_cast<double>(m[j]));
        dlv[j] = static_cast<T>(g * 0.5 * (std::exp(static_cast<double>(lv[j])) - 1.0));
      }
    }
  });
}

namespace {
template <typename T>
double weight_of(const Tensor& weights, int64_t i) {
  return weights.defined() ? static_cast<double>(weights.data<T>()[i]) : 1.0;
}

// What the weighted sum is divided by; mean_weighted with zero total weight
// gives a zero loss (and gradient) rather than NaN, as Keras' divide_no_nan.
template <typename T>
double divisor(LossReduction mode, const Tensor& weights, int64_t n) {
  switch (mode) {
    case LossReduction::sum_over_batch_size: return static_cast<double>(n);
    case LossReduction::sum: return 1.0;
    case LossReduction::mean_weighted: {
      double total = 0;
      for (int64_t i = 0; i < n; ++i) total += weight_of<T>(weights, i);
      return total;
    }
  }
  return 1.0;
}
}  // namespace

void weighted_loss_reduce(const std::string& op, LossReduction mode, const Tensor& per_sample,
                          const Tensor& weights, const Tensor& out) {
  require_cpu_contiguous(op, {per_sample, out});
  if (weights.defined()) require_cpu_contiguous(op, {weights});
  dispatch_float(per_sample.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = per_sample.numel();
    const T* l = per_sample.data<T>();
    double total = 0;
    for (int64_t i = 0; i < n; ++i) total += static_cast<double>(l[i]) * weight_of<T>(weights, i);
    const double d = divisor<T>(mode, weights, n);
    out.data<T>()[0] = static_cast<T>(d == 0.0 ? 0.0 : total / d);
  });
}

void weighted_loss_reduce_grad(const std::string& op, LossReduction mode, const Tensor& dy,
                               const Tensor& weights, const Tensor& dper_sample) {
  require_cpu_contiguous(op, {dy, dper_sample});
  if (weights.defined()) require_cpu_contiguous(op, {weights});
  dispatch_float(dper_sample.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dper_sample.numel();
    const double d = divisor<T>(mode, weights, n);
    const double g = d == 0.0 ? 0.0 : static_cast<double>(dy.data<T>()[0]) / d;
    T* out = dper_sample.data<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(g * weight_of<T>(weights, i));
  });
}

void l2_loss(const std::string& op, double weight_decay, const Tensor& w, const Tensor& out) {
  require_cpu_contiguous(op, {w, out});
  dispatch_float(w.dtype(), op.c_str(), [&]<typename T>() {
    const T* p = w.data<T>();
    double s = 0;
    for (int64_t i = 0, end = w.numel(); i < end; ++i) s += static_cast<double>(p[i]) * static_cast<double>(p[i]);
    out.data<T>()[0] = static_cast<T>(weight_decay * s / 2.0);
  });
}

void l2_loss_grad(const std::string& op, double weight_decay, const Tensor& dy, const Tensor& w,
                  const Tensor& dw) {
  require_cpu_contiguous(op, {dy, w, dw});
  dispatch_float(w.dtype(), op.c_str(), [&]<typename T>() {
    const T* p = w.data<T>();
    T* out = dw.data<T>();
    const T g = static_cast<T>(weight_decay * static_cast<double>(dy.data<T>()[0]));
    for (int64_t i = 0, end = w.numel(); i < end; ++i) out[i] = g * p[i];
  });
}

}  // namespace cutrain::cpu
