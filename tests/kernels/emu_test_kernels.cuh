// Launchers of the emulation layer's test kernels (emu_test_kernels.cu). These
// exercise the emulator itself; they are built in the emulated build only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "launch.cuh"

namespace emu_test {

// out[b] = sum of x[b*block .. b*block+block) (tree in static shared memory).
void block_reduce(const float* x, float* out, int blocks, int block, cudaStream_t s);
// out[w] = sum of the 32 values of warp w (shuffle-xor butterfly); every lane
// checks it got the same total, and scan[i] = inclusive prefix sum in its warp
// (__shfl_up_sync); bcast[i] = value of lane 7 (__shfl_sync), ballot[w] = mask
// of positive values.
void warp_ops(const float* x, float* out, float* scan, float* bcast, unsigned* ballot, int blocks, int block,
              cudaStream_t s);
// y[b*block + t] = x[b*block + block-1-t] through dynamic shared memory of
// `smem_bytes` (at least block floats).
void reverse_in_block(const float* x, float* y, int blocks, int block, std::size_t smem_bytes, cudaStream_t s);
void raise_reverse_limit(std::size_t bytes);
// Atomics from every thread of every block: hist[x[i] % bins] += 1 (int),
// *sum += x[i] (float), *max = max x[i] (unsigned), *cas_count counts through
// an atomicCAS loop (unsigned long long), *dsum += x[i] (double).
void atomics(const unsigned* x, int64_t n, int* hist, int bins, float* sum, unsigned* max,
             unsigned long long* cas_count, double* dsum, cudaStream_t s);
// out[t] = s[(t+1) % block] after s[t] = t + salt; with `sync` false the
// __syncthreads between them is missing (a race the thread order exposes).
// Static shared memory keeps what the previous block left (as undefined on a
// GPU), so a new salt per launch makes stale reads visible.
void neighbour(int* out, int block, bool sync, int salt, cudaStream_t s);
// Threads with threadIdx.x < exit_below return before a __syncthreads.
void divergent_barrier(int block, int exit_below, cudaStream_t s);
// Lanes >= 16 return, lanes < 16 shuffle with the full mask.
void shuffle_with_exited_lane(float* out, cudaStream_t s);
// out[0..2] = __syncthreads_count/_and/_or of (threadIdx.x % 3 == 0).
void sync_votes(int* out, int block, cudaStream_t s);
// Thread (throw_thread) of block (throw_block) throws std::runtime_error("boom").
void throws(int blocks, int block, int throw_block, int throw_thread, cudaStream_t s);
// Any launch configuration (for validation tests): an empty kernel.
void empty(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, std::size_t smem,
           cudaStream_t s);
// `iters` __syncthreads per thread (for timing).
void barriers(int blocks, int block, int iters, int* out, cudaStream_t s);
// 2D block: out[y * bx + x] = x + 1000 * y + 1000000 * blockIdx.y (checks index mapping).
void indices_2d(int* out, unsigned bx, unsigned by, unsigned gy, cudaStream_t s);

}  // namespace emu_test
