#include "cutrain/cpu/elementwise.h"

#include <cmath>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"
#include "cutrain/cpu/parallel.h"

namespace cutrain::cpu {

void require_cpu_contiguous(const std::string& op, const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) {
    CUTRAIN_OP_CHECK(op, t.defined(), "undefined tensor");
    CUTRAIN_OP_CHECK(op, t.device().is_cpu(), "CPU kernel got a tensor on ", t.device().str());
    CUTRAIN_OP_CHECK(op, t.is_contiguous(), "CPU kernel needs contiguous tensors, got strides of ",
                     t.shape().str());
  }
}

void unary(const std::string& op, Unary kind, double alpha, const Tensor& x, const Tensor& y) {
  require_cpu_contiguous(op, {x, y});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    const T a = static_cast<T>(alpha);
    const int64_t n = x.numel();
    // One loop per kind: a switch inside the loop keeps it from vectorising,
    // and these loops (ReLU after every conv) were a sixth of a CPU step.
    const auto run = [&](auto fn) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
      for (int64_t i = 0; i < n; ++i) out[i] = fn(in[i]);
    };
    switch (kind) {
      case Unary::relu: run([](T v) { return v > T(0) ? v : T(0); }); break;
      case Unary::leaky_relu: run([a](T v) { return v > T(0) ? v : a * v; }); break;
      case Unary::sigmoid: run([](T v) { return T(1) / (T(1) + std::exp(-v)); }); break;
      case Unary::tanh: run([](T v) { return std::tanh(v); }); break;
      case Unary::square: run([](T v) { return v * v; }); break;
      case Unary::exp: run([](T v) { return std::exp(v); }); break;
      case Unary::log: run([](T v) { return std::log(v); }); break;
      case Unary::sqrt: run([](T v) { return std::sqrt(v); }); break;
      case Unary::neg: run([](T v) { return -v; }); break;
      case Unary::scale: run([a](T v) { return a * v; }); break;
      case Unary::add_scalar: run([a](T v) { return v + a; }); break;
    }
  });
}

void unary_grad(const std::string& op, UnaryGrad kind, double alpha, const Tensor& dy,
                const Tensor& saved, const Tensor& dx) {
  require_cpu_contiguous(op, {dy, saved, dx});
  dispatch_float(dy.dtype(), op.c_str(), [&]<typename T>() {
    const T* g = dy.data<T>();
    const T* s = saved.data<T>();
    T* out = dx.data<T>();
    const T a = static_cast<T>(alpha);
    const int64_t n = dy.numel();
    const auto run = [&](auto fn) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
      for (int64_t i = 0; i < n; ++i) out[i] = fn(g[i], s[i]);
    };
    switch (kind) {
      case UnaryGrad::relu: run([](T gi, T si) { return si > T(0) ? gi : T(0); }); break;
      case UnaryGrad::leaky_relu: run([a](T gi, T si) { return si > T(0) ? gi : a * gi; }); break;
      case UnaryGrad::sigmoid: run([](T gi, T si) { return gi * si * (T(1) - si); }); break;
      case UnaryGrad::tanh: run([](T gi, T si) { return gi * (T(1) - si * si); }); break;
    }
  });
}

namespace {
// Offset into a broadcast operand for the output's flat index, via strides
// that are 0 along broadcast dimensions.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(static_cast<size_t>(out.rank()), 0);
  const std::vector<int64_t> cs = in.contiguous_strides();
  for (int i = 0; i < in.rank(); ++i) {
    const int o = out.rank() - in.rank() + i;
    st[static_cast<size_t>(o)] = in[i] == 1 ? 0 : cs[static_cast<size_t>(i)];
  }
  return st;
}

int64_t offset_of(int64_t flat, const Shape& out, const std::vector<int64_t>& st) {
  const std::vector<int64_t>& dims = out.dims();
  int64_t off = 0;
  for (size_t d = dims.size(); d-- > 0;) {
    off += (flat % dims[d]) * st[d];
    flat /= dims[d];
  }
  return off;
}

// True when `in` broadcasts to `out` only along leading dimensions (a bias
// [C] added to [N, H, W, C]): element i of out then reads element i % numel.
bool is_trailing(const Shape& in, const Shape& out) {
  if (in.rank() > out.rank()) return false;
  for (int d = 1; d <= in.rank(); ++d)
    if (in.dims()[static_cast<size_t>(in.rank() - d)] != out.dims()[static_cast<size_t>(out.rank() - d)]) return false;
  return true;
}
}  // namespace

void binary(const std::string& op, Binary kind, const Tensor& a, const Tensor& b, const Tensor& out) {
  require_cpu_contiguous(op, {a, b, out});
  dispatch_float(out.dtype(), op.c_str(), [&]<typename T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const int64_t n = out.numel();
    const bool same = a.shape() == out.shape() && b.shape() == out.shape();
    const auto sa = broadcast_strides(a.shape(), out.shape());
    const auto sb = broadcast_strides(b.shape(), out.shape());
    const bool a_trailing = is_trailing(a.shape(), out.shape()), b_trailing = is_trailing(b.shape(), out.shape());
    const int64_t na = a.numel(), nb = b.numel();
    const auto run = [&](auto fn) {
      if (same) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
        for (int64_t i = 0; i < n; ++i) po[i] = fn(pa[i], pb[i]);
      } else if (b_trailing && na == n) {
        // [..., C] op [C] (a bias per channel): row by row, no index arithmetic.
        const int64_t rows = nb == 0 ? 0 : n / nb;
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < nb; ++j) po[r * nb + j] = fn(pa[r * nb + j], pb[j]);
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const T x = a_trailing ? pa[i % na] : pa[offset_of(i, out.shape(), sa)];
          const T y = b_trailing ? pb[i % nb] : pb[offset_of(i, out.shape(), sb)];
          po[i] = fn(x, y);
        }
      }
    };
    switch (kind) {
      case Binary::add: run([](T x, T y) { return x + y; }); break;
      case Binary::sub: run([](T x, T y) { return x - y; }); break;
      case Binary::mul: run([](T x, T y) { return x * y; }); break;
      case Binary::div: run([](T x, T y) { return x / y; }); break;
    }
  });
}

void sum_to(const std::string& op, const Tensor& x, const Tensor& out) {
  require_cpu_contiguous(op, {x, out});
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (int64_t i = 0, end = out.numel(); i < end; ++i) po[i] = T(0);
    const auto so = broadcast_strides(out.shape(), x.shape());
    for (int64_t i = 0, end = x.numel(); i < end; ++i) po[offset_of(i, x.shape(), so)] += px[i];
  });
}

void add_n(const std::string& op, const std::vector<Tensor>& xs, const Tensor& out) {
  std::vector<Tensor> all = xs;
  all.push_back(out);
  require_cpu_contiguous(op, all);
  dispatch_float(out.dtype(), op.c_str(), [&]<typename T>() {
    T* po = out.data<T>();
    const T* first = xs[0].data<T>();
    for (int64_t i = 0, end = out.numel(); i < end; ++i) po[i] = first[i];
    for (size_t k = 1; k < xs.size(); ++k) {
      const T* p = xs[k].data<T>();
      for (int64_t i = 0, end = out.numel(); i < end; ++i) po[i] += p[i];
    }
  });
}

}  // namespace cutrain::cpu
