// Spectral normalisation: the launchers of spectral_norm.cu.
//
// The weight is the matrix (rows, cols) of the spectral_norm op (ops/spectral_norm.h):
// element (r, j) sits at (j / inner) * inner * rows + r * inner + j % inner,
// `inner` being the product of the weight's dims after `dim` (cols for dim 0).
// Semantics match src/cpu/spectral_norm.cpp, including its double precision:
// the iterates live in double in the workspace and every dot product
// accumulates in double; u and v are stored back as T.
//
// Launches of spectral_norm_forward: 2 * iterations + 1 with iterations >= 1
// (per iteration: v~ = W^T u as a column reduction, whose prologue
// normalises the previous u~ after every block recomputes |u~| from the
// workspace; u~ = W v as one block per row, whose prologue does the same for
// v~; then one elementwise launch whose blocks each recompute
// sigma = u^T W v = sum_i round(u~_i / |u~|) u~_i, write W / sigma and, from
// block 0, the normalised u and v). No grid-wide barrier and no atomics: the
// result is deterministic. iterations == 0 (eval, or training with
// n_power_iterations = 0): 2 launches (t_i = u_i (W v)_i, then sigma = sum t
// and W / sigma), u and v untouched.
// spectral_norm_backward: 2 launches (partial <G, W_sn> per block, then dW
// with every block summing the partials).
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

CUTRAIN_KERNEL_LAUNCHERS(
    // Doubles of workspace spectral_norm_forward needs.
    int64_t spectral_norm_workspace(int64_t rows, int64_t cols);
    template <typename T>
    void spectral_norm_forward(const T* w, int64_t rows, int64_t cols, int64_t inner, int64_t iterations,
                               double eps, T* u, T* v, T* w_sn, T* sigma, double* workspace, cudaStream_t stream);
    // Doubles of workspace spectral_norm_backward needs for a weight of `numel` elements.
    int64_t spectral_norm_grad_workspace(int64_t numel);
    // dW = (G - <G, w_sn> u v^T) / sigma + dsigma u v^T; g or dsigma may be null (zero).
    template <typename T>
    void spectral_norm_backward(const T* g, const T* w_sn, const T* u, const T* v, const T* sigma,
                                const T* dsigma, int64_t rows, int64_t cols, int64_t inner, T* dw,
                                double* workspace, cudaStream_t stream);)

}  // namespace cutrain::kernels
