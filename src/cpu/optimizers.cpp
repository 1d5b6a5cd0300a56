#include "cutrain/cpu/optimizers.h"

#include <algorithm>
#include <cmath>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/core/error.h"

namespace cutrain::cpu {

void sgd_update(const std::string& op, const params::Sgd& p, const Tensor& param, const Tensor& grad,
                const Tensor& buf) {
  require_cpu_contiguous(op, {param, grad});
  if (buf.defined()) require_cpu_contiguous(op, {buf});
  dispatch_float(param.dtype(), op.c_str(), [&]<typename T>() {
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* b = buf.defined() ? buf.data<T>() : nullptr;
    const T lr = static_cast<T>(p.lr), mu = static_cast<T>(p.momentum), wd = static_cast<T>(p.weight_decay);
    const int64_t n = param.numel();
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      T d = g[i] + wd * w[i];
      if (b) {
        b[i] = mu * b[i] + d;
        d = p.nesterov ? d + mu * b[i] : b[i];
      }
      w[i] -= lr * d;
    }
  });
}

void rmsprop_update(const std::string& op, const params::RmsProp& p, const Tensor& param, const Tensor& grad,
                    const Tensor& ms, const Tensor& mom) {
  require_cpu_contiguous(op, {param, grad, ms, mom});
  dispatch_float(param.dtype(), op.c_str(), [&]<typename T>() {
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* s = ms.data<T>();
    T* m = mom.data<T>();
    // 1 - decay is formed in double: in float, 1 - float(0.9) is off by 2e-7 relative.
    const T lr = static_cast<T>(p.lr), rho = static_cast<T>(p.decay), one_minus_rho = static_cast<T>(1.0 - p.decay),
            mu = static_cast<T>(p.momentum), eps = static_cast<T>(p.epsilon);
    const int64_t n = param.numel();
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      s[i] = rho * s[i] + one_minus_rho * g[i] * g[i];
      m[i] = mu * m[i] + lr * g[i] / std::sqrt(s[i] + eps);
      w[i] -= m[i];
    }
  });
}

void adam_update(const std::string& op, const params::Adam& p, const Tensor& param, const Tensor& grad,
                 const Tensor& m, const Tensor& v) {
  require_cpu_contiguous(op, {param, grad, m, v});
  dispatch_float(param.dtype(), op.c_str(), [&]<typename T>() {
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* pm = m.data<T>();
    T* pv = v.data<T>();
    const T b1 = static_cast<T>(p.beta1), b2 = static_cast<T>(p.beta2), eps = static_cast<T>(p.epsilon);
    const T wd = static_cast<T>(p.weight_decay);
    // 1 - beta and 1 - lr * wd are formed in double (as PyTorch does): in
    // float, 1 - float(0.999) is off by 1.3e-5 relative, which shows in v.
    const T one_minus_b1 = static_cast<T>(1.0 - p.beta1), one_minus_b2 = static_cast<T>(1.0 - p.beta2);
    const T decoupled_scale = static_cast<T>(1.0 - p.lr * p.weight_decay);
    const double t = static_cast<double>(p.step);
    // PyTorch's arrangement: step size lr / (1 - beta1^t), denominator
    // sqrt(v) / sqrt(1 - beta2^t) + eps.
    const T step_size = static_cast<T>(p.lr / (1.0 - std::pow(p.beta1, t)));
    const T bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(p.beta2, t)));
    const int64_t n = param.numel();
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      T d = g[i];
      if (p.decoupled)
        w[i] *= decoupled_scale;
      else
        d += wd * w[i];
      pm[i] = b1 * pm[i] + one_minus_b1 * d;
      pv[i] = b2 * pv[i] + one_minus_b2 * d * d;
      w[i] -= step_size * pm[i] / (std::sqrt(pv[i]) / bc2_sqrt + eps);
    }
  });
}

void ema_update(const std::string& op, double decay, const Tensor& shadow, const Tensor& value) {
  require_cpu_contiguous(op, {shadow, value});
  dispatch_float(shadow.dtype(), op.c_str(), [&]<typename T>() {
    T* s = shadow.data<T>();
    const T* v = value.data<T>();
    // In float, 1 - float(0.9999) is off by 1.7e-4 relative: form it in double.
    const T one_minus_decay = static_cast<T>(1.0 - decay);
    const int64_t n = shadow.numel();
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) s[i] -= one_minus_decay * (s[i] - v[i]);
  });
}

void global_norm(const std::string& op, const std::vector<Tensor>& grads, const Tensor& out) {
  std::vector<Tensor> all = grads;
  all.push_back(out);
  require_cpu_contiguous(op, all);
  dispatch_float(out.dtype(), op.c_str(), [&]<typename T>() {
    double s = 0;
    for (const Tensor& t : grads) {
      const T* p = t.data<T>();
      for (int64_t i = 0, end = t.numel(); i < end; ++i) s += static_cast<double>(p[i]) * static_cast<double>(p[i]);
    }
    out.data<T>()[0] = static_cast<T>(std::sqrt(s));
  });
}

void clip_by_global_norm(const std::string& op, double clip_norm, const std::vector<Tensor>& grads,
                         const Tensor& norm, const std::vector<Tensor>& out) {
  std::vector<Tensor> all = grads;
  all.insert(all.end(), out.begin(), out.end());
  all.push_back(norm);
  require_cpu_contiguous(op, all);
  dispatch_float(norm.dtype(), op.c_str(), [&]<typename T>() {
    const double nrm = static_cast<double>(norm.data<T>()[0]);
    // TF's clip_by_global_norm: a NaN or infinite norm makes every output NaN.
    const T scale = static_cast<T>(std::isfinite(nrm) ? clip_norm / std::max(nrm, clip_norm)
                                                       : std::nan(""));
    for (size_t k = 0; k < grads.size(); ++k) {
      const T* g = grads[k].data<T>();
      T* o = out[k].data<T>();
      for (int64_t i = 0; i < grads[k].numel(); ++i) o[i] = g[i] * scale;
    }
  });
}

void clip_by_value(const std::string& op, double clip_value, const std::vector<Tensor>& grads,
                   const std::vector<Tensor>& out) {
  std::vector<Tensor> all = grads;
  all.insert(all.end(), out.begin(), out.end());
  require_cpu_contiguous(op, all);
  dispatch_float(grads.at(0).dtype(), op.c_str(), [&]<typename T>() {
    const T hi = static_cast<T>(clip_value), lo = -hi;
    for (size_t k = 0; k < grads.size(); ++k) {
      const T* g = grads[k].data<T>();
      T* o = out[k].data<T>();
      for (int64_t i = 0, n = grads[k].numel(); i < n; ++i) o[i] = std::isnan(g[i]) ? g[i] : std::clamp(g[i], lo, hi);
    }
  });
}

void accumulate_gradient(const std::string& op, const Tensor& acc, const Tensor& grad) {
  require_cpu_contiguous(op, {acc, grad});
  dispatch_float(acc.dtype(), op.c_str(), [&]<typename T>() {
    T* a = acc.data<T>();
    const T* g = grad.data<T>();
    for (int64_t i = 0, n = acc.numel(); i < n; ++i) a[i] += g[i];
  });
}

void take_accumulated(const std::string& op, double scale, const Tensor& acc, const Tensor& grad, const Tensor& out) {
  require_cpu_contiguous(op, {acc, grad, out});
  dispatch_float(acc.dtype(), op.c_str(), [&]<typename T>() {
    T* a = acc.data<T>();
    const T* g = grad.data<T>();
    T* o = out.data<T>();
    const T s = static_cast<T>(scale);
    for (int64_t i = 0, n = acc.numel(); i < n; ++i) {
      o[i] = (a[i] + g[i]) * s;
      a[i] = T(0);
    }
  });
}

void unscale_check_finite(const std::string& op, const std::vector<Tensor>& grads, const Tensor& scale,
                          const std::vector<Tensor>& out, const Tensor& found_inf) {
  std::vector<Tensor> all = grads;
  all.insert(all.end(), out.begin(), out.end());
  all.push_back(scale);
  all.push_back(found_inf);
  require_cpu_contiguous(op, all);
  CUTRAIN_CHECK(found_inf.dtype() == DType::f64 && found_inf.numel() == 1, op, ": found_inf must be f64 []");
  dispatch_float(scale.dtype(), op.c_str(), [&]<typename T>() {
    // torch forms the inverse in double and rounds it to the gradients' type.
    const T inv = static_cast<T>(1.0 / static_cast<double>(scale.data<T>()[0]));
    bool non_finite = false;
    for (size_t k = 0; k < grads.size(); ++k) {
      const T* g = grads[k].data<T>();
      T* o = out[k].data<T>();
      for (int64_t i = 0, n = grads[k].numel(); i < n; ++i) {
        non_finite |= !std::isfinite(g[i]);
        o[i] = g[i] * inv;
      }
    }
    found_inf.data<double>()[0] = non_finite ? 1.0 : 0.0;
  });
}

void update_loss_scale(const std::string& op, const params::LossScaleUpdate& p, const Tensor& scale,
                       const Tensor& growth_tracker, const Tensor& steps, const Tensor& found_inf) {
  require_cpu_contiguous(op, {scale, growth_tracker, steps, found_inf});
  double* tracker = growth_tracker.data<double>();
  dispatch_float(scale.dtype(), op.c_str(), [&]<typename T>() {
    T* s = scale.data<T>();
    if (update_skipped(found_inf)) {
      if (p.dynamic) {
        s[0] = static_cast<T>(static_cast<double>(s[0]) * p.backoff_factor);
        tracker[0] = 0.0;
      }
      return;
    }
    steps.data<double>()[0] += 1.0;
    if (!p.dynamic) return;
    const double successful = tracker[0] + 1.0;
    if (successful >= static_cast<double>(p.growth_interval)) {
      const T grown = static_cast<T>(static_cast<double>(s[0]) * p.growth_factor);
      if (std::isfinite(grown)) s[0] = grown;  // torch keeps the old scale when growing overflows
      tracker[0] = 0.0;
    } else {
      tracker[0] = successful;
    }
  });
}

bool update_skipped(const Tensor& found_inf) {
  CUTRAIN_CHECK(found_inf.dtype() == DType::f64 && found_inf.numel() == 1 && found_inf.device().is_cpu(),
                "found_inf must be a CPU f64 [] tensor, got ", dtype_name(found_inf.dtype()),
                found_inf.shape().str());
  return found_inf.data<double>()[0] != 0.0;
}

}  // namespace cutrain::cpu
