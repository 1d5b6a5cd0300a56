#include "cutrain/cpu/conv2d.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/parallel.h"

namespace cutrain::cpu {

namespace {

using params::Window2d;

// Row-major GEMM: C[M, N] = alpha * op(A) * op(B) + beta * C.
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

// A 1x1, stride-1, unpadded convolution reads x directly as the column matrix.
bool is_pointwise(const Window2d& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pad_top == 0 && g.pad_left == 0 &&
         g.out_h == g.in_h && g.out_w == g.in_w;
}

// Column buffer budget per chunk of images: about one L2 cache. im2col
// writes a chunk's columns and the GEMM reads them right after; a chunk that
// stays in cache spares a round trip through memory (64 MiB chunks made the
// stem convolutions of the main job ~30 % slower). The budget does not depend
// on the thread count: the filter gradient sums chunk by chunk, so the
// chunking fixes its rounding.
constexpr int64_t kColumnBytes = int64_t{1} << 20;

int64_t images_per_chunk(int64_t n, int64_t bytes_per_image) {
  return std::clamp<int64_t>(kColumnBytes / std::max<int64_t>(bytes_per_image, 1), 1, n);
}

// The column buffer, kept per thread and grown on demand: allocating (and
// zero-filling) tens of MB per call costs as much as a small GEMM.
template <typename T>
T* column_buffer(int64_t elements) {
  thread_local std::unique_ptr<T[]> buffer;
  thread_local int64_t capacity = 0;
  if (elements > capacity) {
    buffer.reset(new T[static_cast<size_t>(elements)]);
    capacity = elements;
  }
  return buffer.get();
}

// The kernel columns j in [j0, j1) whose input column iw = ow * sw - pad_left
// + j * dw lies inside the image. With dw == 1 they read one contiguous run of
// (j1 - j0) * C values, which im2col and col2im move in one piece: copying
// C values at a time (C is 16..96 here) cost more in calls than in bytes.
struct ColumnRange {
  int64_t j0, j1;
};
ColumnRange valid_columns(const Window2d& g, int64_t ow) {
  const int64_t start = ow * g.sw - g.pad_left;
  int64_t j0 = 0, j1 = g.kw;
  while (j0 < j1 && start + j0 * g.dw < 0) ++j0;
  while (j1 > j0 && start + (j1 - 1) * g.dw >= g.in_w) --j1;
  return {j0, j1};
}

// One image: col[oh * OW + ow][(i * kw + j) * C + c] = x[ih, iw, c] or 0 outside.
template <typename T>
void im2col(const T* x, const Window2d& g, int64_t c, T* col) {
  const int64_t k = g.kh * g.kw * c;
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      T* row = col + (oh * g.out_w + ow) * k;
      const ColumnRange r = valid_columns(g, ow);
      const int64_t iw0 = ow * g.sw - g.pad_left;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * g.sh - g.pad_top + i * g.dh;
        T* dst = row + i * g.kw * c;
        if (ih < 0 || ih >= g.in_h || r.j0 == r.j1) {
          std::fill(dst, dst + g.kw * c, T(0));
          continue;
        }
        std::fill(dst, dst + r.j0 * c, T(0));
        const T* src = x + ih * g.in_w * c;
        if (g.dw == 1) {
          std::memcpy(dst + r.j0 * c, src + (iw0 + r.j0) * c, static_cast<size_t>((r.j1 - r.j0) * c) * sizeof(T));
        } else {
          for (int64_t j = r.j0; j < r.j1; ++j)
            std::memcpy(dst + j * c, src + (iw0 + j * g.dw) * c, static_cast<size_t>(c) * sizeof(T));
        }
        std::fill(dst + r.j1 * c, dst + g.kw * c, T(0));
      }
    }
  }
}

// The adjoint of im2col: dx (zeroed here) accumulates every column entry.
template <typename T>
void col2im(const T* col, const Window2d& g, int64_t c, T* dx) {
  std::fill(dx, dx + g.in_h * g.in_w * c, T(0));
  const int64_t k = g.kh * g.kw * c;
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const T* row = col + (oh * g.out_w + ow) * k;
      const ColumnRange r = valid_columns(g, ow);
      const int64_t iw0 = ow * g.sw - g.pad_left;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * g.sh - g.pad_top + i * g.dh;
        if (ih < 0 || ih >= g.in_h) continue;
        const T* src = row + i * g.kw * c;
        T* dst = dx + ih * g.in_w * c;
        if (g.dw == 1) {
          T* d = dst + (iw0 + r.j0) * c;
          const T* s = src + r.j0 * c;
          for (int64_t e = 0, n = (r.j1 - r.j0) * c; e < n; ++e) d[e] += s[e];
        } else {
          for (int64_t j = r.j0; j < r.j1; ++j) {
            T* d = dst + (iw0 + j * g.dw) * c;
            const T* s = src + j * c;
            for (int64_t ci = 0; ci < c; ++ci) d[ci] += s[ci];
          }
        }
      }
    }
  }
}

}  // namespace

void conv2d_forward(const std::string& op, const params::Conv2d& p, const Tensor& x, const Tensor& w,
                    const Tensor& bias, const Tensor& y) {
  const Window2d& g = p.window;
  require_cpu_contiguous(op, {x, w, y});
  if (bias.defined()) require_cpu_contiguous(op, {bias});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), c = x.dim(3), o = w.dim(0);
    const int64_t k = g.kh * g.kw * c, rows = g.out_h * g.out_w;
    const T* px = x.data<T>();
    const T* pw = w.data<T>();
    T* py = y.data<T>();
    if (is_pointwise(g)) {
      gemm(false, true, n * rows, o, c, T(1), px, c, pw, c, T(0), py, o);
    } else {
      const int64_t chunk = images_per_chunk(n, rows * k * static_cast<int64_t>(sizeof(T)));
      T* col = column_buffer<T>(chunk * rows * k);
      for (int64_t n0 = 0; n0 < n; n0 += chunk) {
        const int64_t cn = std::min(chunk, n - n0);
#pragma omp parallel for schedule(static)
        for (int64_t b = 0; b < cn; ++b)
          im2col(px + (n0 + b) * g.in_h * g.in_w * c, g, c, col + b * rows * k);
        gemm(false, true, cn * rows, o, k, T(1), col, k, pw, k, T(0), py + n0 * rows * o, o);
      }
    }
    if (bias.defined()) {
      const T* pb = bias.data<T>();
#pragma omp parallel for schedule(static)
      for (int64_t r = 0; r < n * rows; ++r)
        for (int64_t oc = 0; oc < o; ++oc) py[r * o + oc] += pb[oc];
    }
  });
}

void conv2d_backward_input(const std::string& op, const params::Conv2d& p, const Tensor& dy,
                           const Tensor& w, const Tensor& dx) {
  const Window2d& g = p.window;
  require_cpu_contiguous(op, {dy, w, dx});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dx.dim(0), c = dx.dim(3), o = w.dim(0);
    const int64_t k = g.kh * g.kw * c, rows = g.out_h * g.out_w;
    const T* pdy = dy.data<T>();
    const T* pw = w.data<T>();
    T* pdx = dx.data<T>();
    if (is_pointwise(g)) {
      gemm(false, false, n * rows, c, o, T(1), pdy, o, pw, c, T(0), pdx, c);
      return;
    }
    const int64_t chunk = images_per_chunk(n, rows * k * static_cast<int64_t>(sizeof(T)));
    T* col = column_buffer<T>(chunk * rows * k);
    for (int64_t n0 = 0; n0 < n; n0 += chunk) {
      const int64_t cn = std::min(chunk, n - n0);
      gemm(false, false, cn * rows, k, o, T(1), pdy + n0 * rows * o, o, pw, k, T(0), col, k);
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < cn; ++b)
        col2im(col + b * rows * k, g, c, pdx + (n0 + b) * g.in_h * g.in_w * c);
    }
  });
}

void conv2d_backward_filter(const std::string& op, const params::Conv2d& p, const Tensor& dy,
                            const Tensor& x, const Tensor& dw) {
  const Window2d& g = p.window;
  require_cpu_contiguous(op, {dy, x, dw});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), c = x.dim(3), o = dw.dim(0);
    const int64_t k = g.kh * g.kw * c, rows = g.out_h * g.out_w;
    const T* pdy = dy.data<T>();
    const T* px = x.data<T>();
    T* pdw = dw.data<T>();
    if (is_pointwise(g)) {
      gemm(true, false, o, c, n * rows, T(1), pdy, o, px, c, T(0), pdw, c);
      return;
    }
    const int64_t chunk = images_per_chunk(n, rows * k * static_cast<int64_t>(sizeof(T)));
    T* col = column_buffer<T>(chunk * rows * k);
    for (int64_t n0 = 0; n0 < n; n0 += chunk) {
      const int64_t cn = std::min(chunk, n - n0);
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < cn; ++b)
        im2col(px + (n0 + b) * g.in_h * g.in_w * c, g, c, col + b * rows * k);
      // dw[O, K] (+)= dy_chunk^T [O, rows] * col [rows, K]
      gemm(true, false, o, k, cn * rows, T(1), pdy + n0 * rows * o, o, col, k,
           n0 == 0 ? T(0) : T(1), pdw, k);
    }
  });
}

void reduce_nhw_sum(const std::string& op, const Tensor& x, const Tensor& out) {
  require_cpu_contiguous(op, {x, out});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t c = out.numel(), rows = c == 0 ? 0 : x.numel() / c;
    const T* px = x.data<T>();
    // Double accumulators: f32 sums over a whole batch of feature maps.
    std::vector<double> acc(static_cast<size_t>(c), 0.0);
    double* pacc = acc.data();
    for_channel_ranges(c, rows * c, [&](int64_t c0, int64_t c1) {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t ci = c0; ci < c1; ++ci) pacc[ci] += px[r * c + ci];
    });
    T* po = out.data<T>();
    for (int64_t ci = 0; ci < c; ++ci) po[ci] = static_cast<T>(acc[static_cast<size_t>(ci)]);
  });
}

}  // namespace cutrain::cpu
