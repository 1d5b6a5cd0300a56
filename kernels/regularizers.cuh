// L2 weight-decay kernels, float and double: the launchers of
// regularizers.cu, reproducing the CPU reference (src/cpu/losses.cpp):
//
// l2_loss: out[0] = T(weight_decay · Σ w² / 2) with the sum in double, in
//   two passes: each of l2_loss_blocks(n) blocks writes the sum of squares of
//   its grid-stride share into workspace[b], then one block adds the partials
//   in block order. The grid depends only on n, so the result is the same bits
//   on every run (not the CPU's bits: the CPU adds in element order).
// l2_loss_grad: dw[i] = T(weight_decay · dy[0]) · w[i] (dy read on the device).
#pragma once

#include <cstdint>

#include "launch.cuh"

namespace cutrain::kernels {

constexpr int kL2Block = 256;
constexpr int64_t kL2MaxBlocks = 1024;

// Blocks of l2_loss's first pass, and the doubles of workspace it needs.
inline int64_t l2_loss_blocks(int64_t n) {
  const int64_t per_block = int64_t{kL2Block} * 8;  // at least 8 elements per thread
  const int64_t b = (n + per_block - 1) / per_block;
  return b < 1 ? 1 : (b > kL2MaxBlocks ? kL2MaxBlocks : b);
}

CUTRAIN_KERNEL_LAUNCHERS(
    void l2_loss(double weight_decay, const float* w, int64_t n, double* workspace, float* out,
                 cudaStream_t stream);
    void l2_loss(double weight_decay, const double* w, int64_t n, double* workspace, double* out,
                 cudaStream_t stream);
    void l2_loss_grad(double weight_decay, const float* dy, const float* w, int64_t n, float* dw,
                      cudaStream_t stream);
    void l2_loss_grad(double weight_decay, const double* dy, const double* w, int64_t n, double* dw,
                      cudaStream_t stream);)

}  // namespace cutrain::kernels
