#include "cutrain/cpu/pool.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {

using params::Window2d;

// The in-bounds part [h0, h1) x [w0, w1) of the window of output (oh, ow).
struct Span {
  int64_t h0, h1, w0, w1;
};
Span in_bounds(const Window2d& g, int64_t oh, int64_t ow) {
  const int64_t hs = oh * g.sh - g.pad_top, ws = ow * g.sw - g.pad_left;
  return {std::max<int64_t>(hs, 0), std::min(hs + g.kh, g.in_h), std::max<int64_t>(ws, 0),
          std::min(ws + g.kw, g.in_w)};
}

int64_t divisor(const Window2d& g, bool include_pad, int64_t oh, int64_t ow) {
  if (!include_pad) {
    const Span s = in_bounds(g, oh, ow);
    return (s.h1 - s.h0) * (s.w1 - s.w0);
  }
  const int64_t hs = oh * g.sh - g.pad_top, ws = ow * g.sw - g.pad_left;
  const int64_t he = std::min(hs + g.kh, g.in_h + g.pad_bottom);
  const int64_t we = std::min(ws + g.kw, g.in_w + g.pad_right);
  return (he - hs) * (we - ws);
}

}  // namespace

void max_pool(const std::string& op, const params::Pool2d& p, const Tensor& x, const Tensor& y) {
  const Window2d& g = p.window;
  require_cpu_contiguous(op, {x, y});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), c = x.dim(3);
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      const T* xb = px + b * g.in_h * g.in_w * c;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span s = in_bounds(g, oh, ow);
          T* out = py + ((b * g.out_h + oh) * g.out_w + ow) * c;
          // Inference guarantees a non-empty window; start from its first element.
          const T* first = xb + (s.h0 * g.in_w + s.w0) * c;
          std::copy(first, first + c, out);
          for (int64_t ih = s.h0; ih < s.h1; ++ih)
            for (int64_t iw = s.w0; iw < s.w1; ++iw) {
              const T* v = xb + (ih * g.in_w + iw) * c;
              for (int64_t ci = 0; ci < c; ++ci) out[ci] = v[ci] > out[ci] ? v[ci] : out[ci];
            }
        }
      }
    }
  });
}

void max_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy, const Tensor& x,
                   const Tensor& dx) {
  const Window2d& g = p.window;
  require_cpu_contiguous(op, {dy, x, dx});
  CUTRAIN_OP_CHECK(op, g.in_h * g.in_w <= INT32_MAX, "an image of ", g.in_h, "x", g.in_w,
                   " pixels is too large for 32-bit window positions");
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), c = x.dim(3);
    const T* px = x.data<T>();
    const T* pdy = dy.data<T>();
    T* pdx = dx.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      const T* xb = px + b * g.in_h * g.in_w * c;
      T* dxb = pdx + b * g.in_h * g.in_w * c;
      std::fill(dxb, dxb + g.in_h * g.in_w * c, T(0));
      // The window's maximum and its position per channel, kept side by side so
      // the comparison loop vectorises (no gather through the position).
      // 32-bit positions: same lane width as float, so the selects vectorise.
      std::vector<int32_t> arg(static_cast<size_t>(c));
      std::vector<T> best(static_cast<size_t>(c));
      int32_t* __restrict pa = arg.data();
      T* __restrict pbest = best.data();
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span s = in_bounds(g, oh, ow);
          const int32_t p0 = static_cast<int32_t>(s.h0 * g.in_w + s.w0);
          std::fill(arg.begin(), arg.end(), p0);
          std::copy(xb + p0 * c, xb + (p0 + 1) * c, pbest);
          for (int64_t ih = s.h0; ih < s.h1; ++ih)
            for (int64_t iw = s.w0; iw < s.w1; ++iw) {
              const int32_t p = static_cast<int32_t>(ih * g.in_w + iw);
              const T* __restrict v = xb + p * c;
              // Strictly greater: the first maximum in scan order keeps the gradient.
              for (int64_t ci = 0; ci < c; ++ci) {
                const bool more = v[ci] > pbest[ci];
                pbest[ci] = more ? v[ci] : pbest[ci];
                pa[ci] = more ? p : pa[ci];
              }
            }
          const T* d = pdy + ((b * g.out_h + oh) * g.out_w + ow) * c;
          for (int64_t ci = 0; ci < c; ++ci) dxb[int64_t{pa[ci]} * c + ci] += d[ci];
        }
      }
    }
  });
}

void avg_pool(const std::string& op, const params::Pool2d& p, const Tensor& x,
              const Tensor& y) {
  const Window2d& g = p.window;
  const bool include_pad = p.count_include_pad;
  require_cpu_contiguous(op, {x, y});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), c = x.dim(3);
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      const T* xb = px + b * g.in_h * g.in_w * c;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span s = in_bounds(g, oh, ow);
          T* out = py + ((b * g.out_h + oh) * g.out_w + ow) * c;
          std::fill(out, out + c, T(0));
          for (int64_t ih = s.h0; ih < s.h1; ++ih)
            for (int64_t iw = s.w0; iw < s.w1; ++iw) {
              const T* v = xb + (ih * g.in_w + iw) * c;
              for (int64_t ci = 0; ci < c; ++ci) out[ci] += v[ci];
            }
          const T inv = T(1) / static_cast<T>(divisor(g, include_pad, oh, ow));
          for (int64_t ci = 0; ci < c; ++ci) out[ci] *= inv;
        }
      }
    }
  });
}

void avg_pool_grad(const std::string& op, const params::Pool2d& p, const Tensor& dy,
                   const Tensor& dx) {
  const Window2d& g = p.window;
  const bool include_pad = p.count_include_pad;
  require_cpu_contiguous(op, {dy, dx});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dx.dim(0), c = dx.dim(3);
    const T* pdy = dy.data<T>();
    T* pdx = dx.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      T* dxb = pdx + b * g.in_h * g.in_w * c;
      std::fill(dxb, dxb + g.in_h * g.in_w * c, T(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span s = in_bounds(g, oh, ow);
          const T inv = T(1) / static_cast<T>(divisor(g, include_pad, oh, ow));
          const T* d = pdy + ((b * g.out_h + oh) * g.out_w + ow) * c;
          for (int64_t ih = s.h0; ih < s.h1; ++ih)
            for (int64_t iw = s.w0; iw < s.w1; ++iw) {
              T* v = dxb + (ih * g.in_w + iw) * c;
              for (int64_t ci = 0; ci < c; ++ci) v[ci] += d[ci] * inv;
            }
        }
      }
    }
  });
}

void global_avg_pool(const std::string& op, const Tensor& x, const Tensor& y) {
  require_cpu_contiguous(op, {x, y});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = x.dim(0), hw = x.dim(1) * x.dim(2), c = x.dim(3);
    const T* px = x.data<T>();
    T* py = y.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      std::vector<double> acc(static_cast<size_t>(c), 0.0);
      for (int64_t p = 0; p < hw; ++p)
        for (int64_t ci = 0; ci < c; ++ci) acc[static_cast<size_t>(ci)] += px[(b * hw + p) * c + ci];
      for (int64_t ci = 0; ci < c; ++ci)
        py[b * c + ci] = static_cast<T>(acc[static_cast<size_t>(ci)] / static_cast<double>(hw));
    }
  });
}

void global_avg_pool_grad(const std::string& op, const Tensor& dy, const Tensor& dx) {
  require_cpu_contiguous(op, {dy, dx});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const int64_t n = dx.dim(0), hw = dx.dim(1) * dx.dim(2), c = dx.dim(3);
    const T* pdy = dy.data<T>();
    T* pdx = dx.data<T>();
    const T inv = T(1) / static_cast<T>(hw);
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; ++b)
      for (int64_t p = 0; p < hw; ++p)
        for (int64_t ci = 0; ci < c; ++ci) pdx[(b * hw + p) * c + ci] = pdy[b * c + ci] * inv;
  });
}

}  // namespace cutrain::cpu
