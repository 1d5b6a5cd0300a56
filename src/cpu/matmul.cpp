#include "cutrain/cpu/matmul.h"

#include <cblas.h>

#include <type_traits>

#include "cutrain/cpu/dispatch.h"
#include "cutrain/cpu/kernel.h"

namespace cutrain::cpu {

void matmul(const std::string& op, const Tensor& a, const Tensor& b, bool transpose_a,
            bool transpose_b, const Tensor& out) {
  require_cpu_contiguous(op, {a, b, out});
  const int64_t K = transpose_a ? a.shape()[-2] : a.shape()[-1];
  const int64_t N = transpose_b ? b.shape()[0] : b.shape()[1];
  if (out.numel() == 0) return;
  const int64_t M = out.numel() / N;  // leading dims of a fold into M
  const auto ta = transpose_a ? CblasTrans : CblasNoTrans;
  const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
  const blasint lda = static_cast<blasint>(transpose_a ? M : K);
  const blasint ldb = static_cast<blasint>(transpose_b ? K : N);
  const blasint m = static_cast<blasint>(M), n = static_cast<blasint>(N), k = static_cast<blasint>(K);
  dispatch_float(out.dtype(), op.c_str(), [&]<typename T>() {
    T* c = out.data<T>();
    if (K == 0) {
      for (int64_t i = 0, end = out.numel(); i < end; ++i) c[i] = T(0);
      return;
    }
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a.data<float>(), lda, b.data<float>(), ldb,
                  0.0f, c, n);
    } else {
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a.data<double>(), lda, b.data<double>(), ldb,
                  0.0, c, n);
    }
  });
}

}  // namespace cutrain::cpu
