#include "cutrain/cpu/spectral_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {

// Maps a flat element index of the weight to (row, col) of its matrix view
// without materialising the permutation: with `inner` the number of elements
// after `dim`, row = (e / inner) % rows and col joins the outer and inner parts.
struct MatrixView {
  int64_t rows = 1, cols = 1, inner = 1;

  MatrixView(const Shape& s, int dim) {
    rows = s[dim];
    for (int d = dim + 1; d < s.rank(); ++d) inner *= s[d];
    cols = rows == 0 ? 0 : s.numel() / rows;
  }
  int64_t row(int64_t e) const { return (e / inner) % rows; }
  int64_t col(int64_t e) const { return (e / (inner * rows)) * inner + e % inner; }
};

void normalize(std::vector<double>& x, double eps) {
  double n = 0;
  for (double a : x) n += a * a;
  const double d = std::max(std::sqrt(n), eps);
  for (double& a : x) a /= d;
}

}  // namespace

void spectral_norm(const std::string& op, const SpectralNormParams& p, const Tensor& w,
                   const Tensor& u, const Tensor& v, const Tensor& w_sn, const Tensor& sigma) {
  require_cpu_contiguous(op, {w, u, v, w_sn, sigma});
  dispatch_float(w.dtype(), op.c_str(), [&]<typename T>() {
    const MatrixView m(w.shape(), p.dim);
    const T* pw = w.data<T>();
    // The matrix in row-major (rows, cols) order, in double for the iteration.
    std::vector<double> a(static_cast<size_t>(w.numel()));
    for (int64_t e = 0; e < w.numel(); ++e)
      a[static_cast<size_t>(m.row(e) * m.cols + m.col(e))] = static_cast<double>(pw[e]);
    std::vector<double> uu(static_cast<size_t>(m.rows)), vv(static_cast<size_t>(m.cols));
    auto load = [&] {
      for (int64_t i = 0; i < m.rows; ++i) uu[static_cast<size_t>(i)] = static_cast<double>(u.data<T>()[i]);
      for (int64_t j = 0; j < m.cols; ++j) vv[static_cast<size_t>(j)] = static_cast<double>(v.data<T>()[j]);
    };
    load();

    auto wt_u = [&] {  // v = W^T u
      std::fill(vv.begin(), vv.end(), 0.0);
      for (int64_t i = 0; i < m.rows; ++i)
        for (int64_t j = 0; j < m.cols; ++j)
          vv[static_cast<size_t>(j)] += a[static_cast<size_t>(i * m.cols + j)] * uu[static_cast<size_t>(i)];
    };
    auto w_v = [&](std::vector<double>& out) {  // out = W v
      for (int64_t i = 0; i < m.rows; ++i) {
        double s = 0;
        for (int64_t j = 0; j < m.cols; ++j)
          s += a[static_cast<size_t>(i * m.cols + j)] * vv[static_cast<size_t>(j)];
        out[static_cast<size_t>(i)] = s;
      }
    };

    if (p.training) {
      for (int64_t k = 0; k < p.n_power_iterations; ++k) {
        wt_u();
        normalize(vv, p.eps);
        w_v(uu);
        normalize(uu, p.eps);
      }
      for (int64_t i = 0; i < m.rows; ++i) u.data<T>()[i] = static_cast<T>(uu[static_cast<size_t>(i)]);
      for (int64_t j = 0; j < m.cols; ++j) v.data<T>()[j] = static_cast<T>(vv[static_cast<size_t>(j)]);
      // sigma from the stored (rounded) vectors: the backward op reads those,
      // and eval mode later sees exactly what training stored.
      load();
    }
    std::vector<double> wv(static_cast<size_t>(m.rows));
    w_v(wv);
    double s = 0;
    for (int64_t i = 0; i < m.rows; ++i) s += uu[static_cast<size_t>(i)] * wv[static_cast<size_t>(i)];
    sigma.data<T>()[0] = static_cast<T>(s);
    T* out = w_sn.data<T>();
    for (int64_t e = 0; e < w.numel(); ++e) out[e] = static_cast<T>(static_cast<double>(pw[e]) / s);
  });
}

void spectral_norm_grad(const std::string& op, int dim, const Tensor& g, const Tensor& w_sn,
                        const Tensor& u, const Tensor& v, const Tensor& sigma, const Tensor& dsigma,
                        const Tensor& dw) {
  require_cpu_contiguous(op, {w_sn, u, v, sigma, dw});
  if (g.defined()) require_cpu_contiguous(op, {g});
  if (dsigma.defined()) require_cpu_contiguous(op, {dsigma});
  dispatch_float(w_sn.dtype(), op.c_str(), [&]<typename T>() {
    const MatrixView m(w_sn.shape(), dim);
    const int64_t n = w_sn.numel();
    const T* pu = u.data<T>();
    const T* pv = v.data<T>();
    const T* pw = w_sn.data<T>();
    const T* pg = g.defined() ? g.data<T>() : nullptr;
    const double s = static_cast<double>(sigma.data<T>()[0]);
    double dot = 0;  // <G, W_sn>
    if (pg)
      for (int64_t e = 0; e < n; ++e) dot += static_cast<double>(pg[e]) * static_cast<double>(pw[e]);
    const double ds = dsigma.defined() ? static_cast<double>(dsigma.data<T>()[0]) : 0.0;
    T* out = dw.data<T>();
    for (int64_t e = 0; e < n; ++e) {
      const double uv = static_cast<double>(pu[m.row(e)]) * static_cast<double>(pv[m.col(e)]);
      const double ge = pg ? static_cast<double>(pg[e]) : 0.0;
      out[e] = static_cast<T>((ge - dot * uv) / s + ds * uv);
    }
  });
}

}  // namespace cutrain::cpu
