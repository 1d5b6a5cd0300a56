// CPU reference GEMM through OpenBLAS (cblas_sgemm / cblas_dgemm).
#pragma once

#include <string>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// out[M, N] = op(a) · op(b), op = transpose when the flag is set. `a` is read
// as a row-major [M, K] matrix (any leading dims folded into M) or, with
// transpose_a, a 2-D [K, M]; `b` is [K, N] or, with transpose_b, [N, K].
void matmul(const std::string& op, const Tensor& a, const Tensor& b, bool transpose_a,
            bool transpose_b, const Tensor& out);

}  // namespace cutrain::cpu
