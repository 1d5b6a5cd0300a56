#include "cutrain/cpu/reduce.h"

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {
// Walks every multi-index of `shape` in row-major order, calling f(flat, off)
// where off advances by strides[d] along axis d.
template <typename F>
void walk(const Shape& shape, const std::vector<int64_t>& strides, F&& f) {
  const int r = shape.rank();
  const int64_t n = shape.numel();
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, off);
    for (int d = r - 1; d >= 0; --d) {
      const size_t k = static_cast<size_t>(d);
      if (++idx[k] < shape[d]) {
        off += strides[k];
        break;
      }
      off -= strides[k] * (idx[k] - 1);
      idx[k] = 0;
    }
  }
}
}  // namespace

void reduce_sum(const std::string& op, const Tensor& x, const std::vector<char>& reduced,
                double scale, const Tensor& out) {
  require_cpu_contiguous(op, {x, out});
  const Shape& s = x.shape();
  // Stride in the output of each input axis: 0 along reduced axes.
  std::vector<int64_t> st(static_cast<size_t>(s.rank()), 0);
  int64_t acc = 1;
  for (int d = s.rank() - 1; d >= 0; --d) {
    if (reduced[static_cast<size_t>(d)]) continue;
    st[static_cast<size_t>(d)] = acc;
    acc *= s[d];
  }
  CUTRAIN_OP_CHECK(op, acc == out.numel(), "output ", out.shape().str(), " does not match ",
                   s.str(), " reduced");
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    std::vector<double> sum(static_cast<size_t>(out.numel()), 0.0);
    const T* px = x.data<T>();
    walk(s, st, [&](int64_t i, int64_t o) { sum[static_cast<size_t>(o)] += static_cast<double>(px[i]); });
    T* po = out.data<T>();
    for (int64_t o = 0; o < out.numel(); ++o) po[o] = static_cast<T>(scale * sum[static_cast<size_t>(o)]);
  });
}

void broadcast_to(const std::string& op, const Tensor& x, const Tensor& out) {
  require_cpu_contiguous(op, {x, out});
  const Shape& s = out.shape();
  const Shape& xs = x.shape();
  const std::vector<int64_t> cs = xs.contiguous_strides();
  std::vector<int64_t> st(static_cast<size_t>(s.rank()), 0);
  for (int i = 0; i < xs.rank(); ++i) {
    const int o = s.rank() - xs.rank() + i;
    st[static_cast<size_t>(o)] = xs[i] == 1 ? 0 : cs[static_cast<size_t>(i)];
  }
  dispatch_float(x.dtype(), op.c_str(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    walk(s, st, [&](int64_t i, int64_t off) { po[i] = px[off]; });
  });
}

}  // namespace cutrain::cpu
