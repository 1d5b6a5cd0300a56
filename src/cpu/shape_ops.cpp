#include "cutrain/cpu/shape_ops.h"

#include <cstring>

#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

namespace {
// Splits a shape around `axis` into (outer, dim, inner) element counts.
int64_t outer_of(const Shape& s, int axis) {
  int64_t n = 1;
  for (int d = 0; d < axis; ++d) n *= s[d];
  return n;
}
int64_t inner_of(const Shape& s, int axis) {
  int64_t n = 1;
  for (int d = axis + 1; d < s.rank(); ++d) n *= s[d];
  return n;
}
}  // namespace

void copy_elements(const std::string& op, const Tensor& x, const Tensor& y) {
  require_cpu_contiguous(op, {x, y});
  CUTRAIN_OP_CHECK(op, x.numel() == y.numel() && x.dtype() == y.dtype(), "copy of ",
                   x.shape().str(), " into ", y.shape().str());
  if (x.nbytes() > 0) std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
}

void concat(const std::string& op, const std::vector<Tensor>& xs, int axis, const Tensor& out) {
  std::vector<Tensor> all = xs;
  all.push_back(out);
  require_cpu_contiguous(op, all);
  const size_t es = dtype_size(out.dtype());
  const int64_t outer = outer_of(out.shape(), axis);
  const size_t out_row = static_cast<size_t>(out.shape()[axis] * inner_of(out.shape(), axis)) * es;
  char* po = static_cast<char*>(out.raw_data());
  size_t col = 0;  // byte offset of the current input inside an output row
  for (const Tensor& x : xs) {
    const size_t row = static_cast<size_t>(x.shape()[axis] * inner_of(x.shape(), axis)) * es;
    const char* px = static_cast<const char*>(x.raw_data());
    for (int64_t o = 0; o < outer; ++o)
      if (row) std::memcpy(po + static_cast<size_t>(o) * out_row + col, px + static_cast<size_t>(o) * row, row);
    col += row;
  }
}

void split(const std::string& op, const Tensor& x, int axis, const std::vector<Tensor>& outs) {
  std::vector<Tensor> all = outs;
  all.push_back(x);
  require_cpu_contiguous(op, all);
  const size_t es = dtype_size(x.dtype());
  const int64_t outer = outer_of(x.shape(), axis);
  const size_t in_row = static_cast<size_t>(x.shape()[axis] * inner_of(x.shape(), axis)) * es;
  const char* px = static_cast<const char*>(x.raw_data());
  size_t col = 0;
  for (const Tensor& y : outs) {
    const size_t row = static_cast<size_t>(y.shape()[axis] * inner_of(y.shape(), axis)) * es;
    char* py = static_cast<char*>(y.raw_data());
    for (int64_t o = 0; o < outer; ++o)
      if (row) std::memcpy(py + static_cast<size_t>(o) * row, px + static_cast<size_t>(o) * in_row + col, row);
    col += row;
  }
}

namespace {
template <typename E>
void transpose_typed(const Tensor& x, const std::vector<int64_t>& perm, const Tensor& y) {
  const int r = y.rank();
  const std::vector<int64_t> xs = x.shape().contiguous_strides();
  // Stride in x of each output dimension.
  std::vector<int64_t> st(static_cast<size_t>(r));
  for (int d = 0; d < r; ++d) st[static_cast<size_t>(d)] = xs[static_cast<size_t>(perm[static_cast<size_t>(d)])];
  const E* px = static_cast<const E*>(x.raw_data());
  E* py = static_cast<E*>(y.raw_data());
  const int64_t n = y.numel();
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  int64_t off = 0;  // offset in x of the output multi-index idx
  for (int64_t i = 0; i < n; ++i) {
    py[i] = px[off];
    // Odometer increment of idx, keeping off in step.
    for (int d = r - 1; d >= 0; --d) {
      const size_t k = static_cast<size_t>(d);
      if (++idx[k] < y.shape()[d]) {
        off += st[k];
        break;
      }
      off -= st[k] * (idx[k] - 1);
      idx[k] = 0;
    }
  }
}
}  // namespace

void transpose(const std::string& op, const Tensor& x, const std::vector<int64_t>& perm,
               const Tensor& y) {
  require_cpu_contiguous(op, {x, y});
  switch (dtype_size(x.dtype())) {
    case 1: transpose_typed<uint8_t>(x, perm, y); break;
    case 2: transpose_typed<uint16_t>(x, perm, y); break;
    case 4: transpose_typed<uint32_t>(x, perm, y); break;
    case 8: transpose_typed<uint64_t>(x, perm, y); break;
    default: CUTRAIN_THROW("op '", op, "': unsupported element size ", dtype_size(x.dtype()));
  }
}

}  // namespace cutrain::cpu
