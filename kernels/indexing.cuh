// Index descriptions passed to kernels by value, and their host builders
// (inline: both kernel builds share them). Shapes arrive as dim vectors of
// contiguous row-major tensors.
//
// BroadcastIndex: out = a (op) b with numpy broadcasting. Output dims and the
//   element strides of a and b, 0 along broadcast axes. Adjacent axes that
//   step through both operands as one axis are merged, so rank 6 covers every
//   shape the models use.
// ReduceIndex: out[o] = sum over r of x[kept_offset(o) + reduced_offset(r)]:
//   x viewed as its kept axes (o, row-major, the output's layout) and its
//   reduced axes (r), with size-1 axes dropped and neighbours merged.
#pragma once

#include <cstdint>
#include <vector>

#include "cutrain/core/error.h"

namespace cutrain::kernels {

constexpr int kMaxIndexRank = 6;

struct BroadcastIndex {
  int rank = 0;  // 0: a, b and out share one shape (flat indexing)
  int64_t dims[kMaxIndexRank] = {};
  int64_t a_strides[kMaxIndexRank] = {};
  int64_t b_strides[kMaxIndexRank] = {};
};

struct ReduceIndex {
  int kept_rank = 0, reduced_rank = 0;
  int64_t kept_dims[kMaxIndexRank] = {}, kept_strides[kMaxIndexRank] = {};
  int64_t reduced_dims[kMaxIndexRank] = {}, reduced_strides[kMaxIndexRank] = {};
  int64_t outputs = 1, reduced = 1;  // products of the kept and the reduced dims
  bool innermost_reduced = false;    // x's last (stride-1) axis is reduced
};

namespace detail {

// Strides of `in` (right-aligned against `out`) with 0 where it broadcasts.
inline std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& out, const std::vector<int64_t>& in) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  for (int i = static_cast<int>(in.size()) - 1; i >= 0; --i) {
    const size_t o = out.size() - in.size() + static_cast<size_t>(i);
    st[o] = in[static_cast<size_t>(i)] == 1 ? 0 : acc;
    acc *= in[static_cast<size_t>(i)];
  }
  return st;
}

}  // namespace detail

inline BroadcastIndex make_broadcast_index(const std::vector<int64_t>& out, const std::vector<int64_t>& a,
                                           const std::vector<int64_t>& b) {
  BroadcastIndex idx;
  if (a == out && b == out) return idx;
  const std::vector<int64_t> sa = detail::broadcast_strides(out, a), sb = detail::broadcast_strides(out, b);
  // Walk from the innermost axis outwards, merging axis d into the current
  // one when both operands continue it: stride[d] == stride[cur] * dim[cur].
  std::vector<int64_t> dims, as, bs;
  for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
    const size_t k = static_cast<size_t>(d);
    if (out[k] == 1) continue;
    if (!dims.empty() && sa[k] == as.back() * dims.back() && sb[k] == bs.back() * dims.back()) {
      dims.back() *= out[k];
      continue;
    }
    dims.push_back(out[k]);
    as.push_back(sa[k]);
    bs.push_back(sb[k]);
  }
  CUTRAIN_CHECK(dims.size() <= static_cast<size_t>(kMaxIndexRank), "broadcast needs ", dims.size(),
                " axes after merging; kernels take at most ", kMaxIndexRank);
  idx.rank = static_cast<int>(dims.size());
  if (idx.rank == 0) {  // every dim is 1: a single element, broadcast index 0
    idx.rank = 1;
    idx.dims[0] = 1;
    return idx;
  }
  for (int i = 0; i < idx.rank; ++i) {  // back to outermost-first order
    const size_t k = dims.size() - 1 - static_cast<size_t>(i);
    idx.dims[i] = dims[k];
    idx.a_strides[i] = as[k];
    idx.b_strides[i] = bs[k];
  }
  return idx;
}

// x reduced over the axes with reduced[d] != 0.
inline ReduceIndex make_reduce_index(const std::vector<int64_t>& x, const std::vector<char>& reduced) {
  ReduceIndex idx;
  std::vector<int64_t> kd, ks, rd, rs;  // innermost first
  int64_t stride = 1;
  int last_kind = -1;  // kind (0 kept, 1 reduced) of the group being built
  bool first = true;
  for (int d = static_cast<int>(x.size()) - 1; d >= 0; --d) {
    const size_t k = static_cast<size_t>(d);
    const int64_t n = x[k];
    if (n != 1) {
      const int kind = reduced[k] ? 1 : 0;
      if (first) idx.innermost_reduced = kind == 1;
      first = false;
      auto& dims = kind ? rd : kd;
      auto& strides = kind ? rs : ks;
      if (kind == last_kind) {
        dims.back() *= n;
      } else {
        dims.push_back(n);
        strides.push_back(stride);
      }
      last_kind = kind;
    }
    stride *= n;
  }
  CUTRAIN_CHECK(kd.size() <= static_cast<size_t>(kMaxIndexRank) && rd.size() <= static_cast<size_t>(kMaxIndexRank),
                "reduction needs more than ", kMaxIndexRank, " axes after merging");
  idx.kept_rank = static_cast<int>(kd.size());
  idx.reduced_rank = static_cast<int>(rd.size());
  for (int i = 0; i < idx.kept_rank; ++i) {
    idx.kept_dims[i] = kd[kd.size() - 1 - static_cast<size_t>(i)];
    idx.kept_strides[i] = ks[ks.size() - 1 - static_cast<size_t>(i)];
    idx.outputs *= idx.kept_dims[i];
  }
  for (int i = 0; i < idx.reduced_rank; ++i) {
    idx.reduced_dims[i] = rd[rd.size() - 1 - static_cast<size_t>(i)];
    idx.reduced_strides[i] = rs[rs.size() - 1 - static_cast<size_t>(i)];
    idx.reduced *= idx.reduced_dims[i];
  }
  return idx;
}

// The reduction that sums x (shape x) down to `to`, the inverse of
// broadcasting `to` up to x (sum_to, gradients of broadcast operands).
inline ReduceIndex make_sum_to_index(const std::vector<int64_t>& x, const std::vector<int64_t>& to) {
  std::vector<char> red(x.size(), 0);
  for (size_t d = 0; d < x.size(); ++d) {
    const int64_t o = d + to.size() >= x.size() ? to[d + to.size() - x.size()] : 1;
    red[d] = o == 1 && x[d] != 1;
  }
  return make_reduce_index(x, red);
}

}  // namespace cutrain::kernels
