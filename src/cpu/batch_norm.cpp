#include "cutrain/cpu/batch_norm.h"

#include <cmath>
#include <vector>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/parallel.h"

namespace cutrain::cpu {

void batch_norm(const std::string& op, bool training, double epsilon, double decay,
                const Tensor& x, const Tensor& beta, const Tensor& gamma, const Tensor& running_mean,
                const Tensor& running_var, const Tensor& y, const Tensor& saved_mean,
                const Tensor& saved_invstd) {
  require_cpu_contiguous(op, {x, beta, running_mean, running_var, saved_mean, saved_invstd});
  if (y.defined()) require_cpu_contiguous(op, {y});
  if (gamma.defined()) require_cpu_contiguous(op, {gamma});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t c = x.dim(-1), m = x.numel() / c;
    const T* px = x.data<T>();
    T* rm = running_mean.data<T>();
    T* rv = running_var.data<T>();
    T* sm = saved_mean.data<T>();
    T* si = saved_invstd.data<T>();
    if (training) {
      std::vector<double> mean(static_cast<size_t>(c), 0.0), var(static_cast<size_t>(c), 0.0);
      double* pm = mean.data();
      double* pv = var.data();
      for_channel_ranges(c, m * c, [&](int64_t c0, int64_t c1) {
        for (int64_t r = 0; r < m; ++r)
          for (int64_t ci = c0; ci < c1; ++ci) pm[ci] += px[r * c + ci];
        for (int64_t ci = c0; ci < c1; ++ci) pm[ci] /= static_cast<double>(m);
        // Two passes: the centred sum of squares does not cancel catastrophically.
        for (int64_t r = 0; r < m; ++r)
          for (int64_t ci = c0; ci < c1; ++ci) {
            const double d = px[r * c + ci] - pm[ci];
            pv[ci] += d * d;
          }
      });
      const double bessel = m > 1 ? static_cast<double>(m) / static_cast<double>(m - 1) : 1.0;
      for (int64_t ci = 0; ci < c; ++ci) {
        const size_t i = static_cast<size_t>(ci);
        const double v = var[i] / static_cast<double>(m);
        sm[ci] = static_cast<T>(mean[i]);
        si[ci] = static_cast<T>(1.0 / std::sqrt(v + epsilon));
        rm[ci] = static_cast<T>(decay * rm[ci] + (1.0 - decay) * mean[i]);
        rv[ci] = static_cast<T>(decay * rv[ci] + (1.0 - decay) * v * bessel);
      }
    } else {
      for (int64_t ci = 0; ci < c; ++ci) {
        sm[ci] = rm[ci];
        si[ci] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(rv[ci]) + epsilon));
      }
    }
    if (!y.defined()) return;
    const T* pb = beta.data<T>();
    const T* pg = gamma.defined() ? gamma.data<T>() : nullptr;
    T* py = y.data<T>();
    std::vector<T> scale(static_cast<size_t>(c));
    for (int64_t ci = 0; ci < c; ++ci) scale[static_cast<size_t>(ci)] = pg ? pg[ci] * si[ci] : si[ci];
    const T* ps = scale.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t ci = 0; ci < c; ++ci) py[r * c + ci] = (px[r * c + ci] - sm[ci]) * ps[ci] + pb[ci];
  });
}

void batch_norm_grad(const std::string& op, bool training, const Tensor& dy, const Tensor& x,
                     const Tensor& saved_mean, const Tensor& saved_invstd, const Tensor& gamma,
                     const Tensor& dx, const Tensor& dbeta, const Tensor& dgamma) {
  require_cpu_contiguous(op, {dy, x, saved_mean, saved_invstd, dx, dbeta});
  if (gamma.defined()) require_cpu_contiguous(op, {gamma, dgamma});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t c = x.dim(-1), m = x.numel() / c;
    const T* px = x.data<T>();
    const T* pdy = dy.data<T>();
    const T* sm = saved_mean.data<T>();
    const T* si = saved_invstd.data<T>();
    const T* pg = gamma.defined() ? gamma.data<T>() : nullptr;
    // sum(dy) and sum(dy * xhat), xhat = (x - mean) * invstd.
    std::vector<double> sum_dy(static_cast<size_t>(c), 0.0), sum_dy_xhat(static_cast<size_t>(c), 0.0);
    double* psd = sum_dy.data();
    double* psdx = sum_dy_xhat.data();
    for_channel_ranges(c, m * c, [&](int64_t c0, int64_t c1) {
      for (int64_t r = 0; r < m; ++r)
        for (int64_t ci = c0; ci < c1; ++ci) {
          const double g = pdy[r * c + ci];
          psd[ci] += g;
          psdx[ci] += g * (static_cast<double>(px[r * c + ci]) - sm[ci]) * si[ci];
        }
    });
    T* pdb = dbeta.data<T>();
    T* pdg = dgamma.defined() ? dgamma.data<T>() : nullptr;
    for (int64_t ci = 0; ci < c; ++ci) {
      pdb[ci] = static_cast<T>(sum_dy[static_cast<size_t>(ci)]);
      if (pdg) pdg[ci] = static_cast<T>(sum_dy_xhat[static_cast<size_t>(ci)]);
    }
    T* pdx = dx.data<T>();
    const double inv_m = 1.0 / static_cast<double>(m);
    // Per-channel coefficients first, so the loop over elements is branch-free
    // and vectorises: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
    std::vector<double> scale(static_cast<size_t>(c)), mean_dy(static_cast<size_t>(c)),
        mean_dy_xhat(static_cast<size_t>(c)), mean(static_cast<size_t>(c)), invstd(static_cast<size_t>(c));
    for (int64_t ci = 0; ci < c; ++ci) {
      const size_t i = static_cast<size_t>(ci);
      scale[i] = (pg ? static_cast<double>(pg[ci]) : 1.0) * si[ci];
      mean_dy[i] = training ? sum_dy[i] * inv_m : 0.0;
      mean_dy_xhat[i] = training ? sum_dy_xhat[i] * inv_m : 0.0;
      mean[i] = sm[ci];
      invstd[i] = si[ci];
    }
    const double *k = scale.data(), *md = mean_dy.data(), *mdx = mean_dy_xhat.data(), *mu = mean.data(),
                 *is = invstd.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t ci = 0; ci < c; ++ci) {
        const double g = pdy[r * c + ci];
        const double xhat = (static_cast<double>(px[r * c + ci]) - mu[ci]) * is[ci];
        pdx[r * c + ci] = static_cast<T>(k[ci] * (g - md[ci] - xhat * mdx[ci]));
      }
  });
}

void batch_norm_stats_grad(const std::string& op, bool training, const Tensor& x,
                           const Tensor& saved_mean, const Tensor& saved_invstd,
                           const Tensor& dmean, const Tensor& dinvstd, const Tensor& dx) {
  require_cpu_contiguous(op, {x, saved_mean, saved_invstd, dmean, dinvstd, dx});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t c = x.dim(-1), m = x.numel() / c;
    const T* px = x.data<T>();
    const T* sm = saved_mean.data<T>();
    const T* si = saved_invstd.data<T>();
    const T* gm = dmean.data<T>();
    const T* gi = dinvstd.data<T>();
    T* pdx = dx.data<T>();
    const double inv_m = 1.0 / static_cast<double>(m);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < m; ++r)
      for (int64_t ci = 0; ci < c; ++ci) {
        if (!training) {
          pdx[r * c + ci] = T(0);
          continue;
        }
        const double s = si[ci];
        pdx[r * c + ci] = static_cast<T>(
            gm[ci] * inv_m - static_cast<double>(gi[ci]) * s * s * s * (px[r * c + ci] - sm[ci]) * inv_m);
      }
  });
}

}  // namespace cutrain::cpu
