// The two macros that let one kernel source build with nvcc and with g++
// (the emulation layer in kernels/emu), and the namespace convention.
//
//   CUTRAIN_LAUNCH(kernel, grid, block, smem_bytes, stream, args...)
//       nvcc: kernel<<<grid, block, smem_bytes, stream>>>(args...) and a
//       launch-error check; g++: an emulated launch in `stream`'s order.
//   CUTRAIN_DYNAMIC_SHARED(T, name);
//       T* name pointing at the block's dynamic shared memory
//       (extern __shared__ under nvcc).
//   CUTRAIN_SET_MAX_DYNAMIC_SHARED(kernel, bytes);
//       raises a kernel's dynamic shared memory limit above 48 KiB.
//   namespace cutrain::kernels::CUTRAIN_KERNEL_NS { ... }
//       everything a kernel file defines; `cuda` under nvcc, `emu` under g++,
//       so both builds link into one binary.
//   CUTRAIN_KERNEL_LAUNCHERS(declarations...)
//       in a .cuh inside namespace cutrain::kernels: declares the launchers in
//       both namespaces, so any TU (tests, CUDA glue) can call either build.
// A kernel name with a template argument list containing a comma must be
// given through an alias (`constexpr auto k = kern<A, B>;`), as for any macro.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)

#include <cuda_runtime.h>

#include "cutrain/core/error.h"

#define CUTRAIN_KERNEL_NS cuda
#define CUTRAIN_LAUNCH(kernel, grid, block, smem, stream, ...)                               \
  do {                                                                                       \
    kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__);                              \
    const cudaError_t cutrain_launch_err_ = cudaGetLastError();                              \
    CUTRAIN_CHECK(cutrain_launch_err_ == cudaSuccess, "launch of kernel '", #kernel,          \
                  "' failed: ", cudaGetErrorString(cutrain_launch_err_));                    \
  } while (0)
#define CUTRAIN_DYNAMIC_SHARED(T, name)                                                      \
  extern __shared__ __align__(16) unsigned char name##_dynamic_shared_[];                    \
  T* name = reinterpret_cast<T*>(name##_dynamic_shared_)
#define CUTRAIN_SET_MAX_DYNAMIC_SHARED(kernel, bytes)                                        \
  do {                                                                                       \
    const cudaError_t cutrain_attr_err_ = cudaFuncSetAttribute(                              \
        kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));       \
    CUTRAIN_CHECK(cutrain_attr_err_ == cudaSuccess, "cudaFuncSetAttribute(", #kernel,         \
                  ") failed: ", cudaGetErrorString(cutrain_attr_err_));                      \
  } while (0)

#else  // g++: the emulated build, or a host TU that only calls launchers

#include "emu/stream_handle.h"

#if defined(CUTRAIN_EMU_KERNEL_TU)
#define CUTRAIN_KERNEL_NS emu
#define CUTRAIN_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ::cutrain::emu::launch(#kernel, kernel, (grid), (block), (smem), (stream)__VA_OPT__(, ) __VA_ARGS__)
#define CUTRAIN_DYNAMIC_SHARED(T, name) T* name = ::cutrain::emu::detail::dynamic_shared<T>()
#define CUTRAIN_SET_MAX_DYNAMIC_SHARED(kernel, bytes) \
  ::cutrain::emu::set_max_dynamic_shared_bytes(reinterpret_cast<const void*>(kernel), (bytes))
#endif

#endif

namespace cutrain::kernels {
// Blocks for a grid-stride loop over `work` items, `per_block` per block per
// pass: at least one, at most `max_blocks` (the loop covers the rest).
inline unsigned grid_stride_blocks(int64_t work, int64_t per_block, int64_t max_blocks) {
  const int64_t b = (work + per_block - 1) / per_block;
  return static_cast<unsigned>(b < 1 ? 1 : (b > max_blocks ? max_blocks : b));
}
}  // namespace cutrain::kernels

#define CUTRAIN_KERNEL_LAUNCHERS(...) \
  namespace emu {                     \
  __VA_ARGS__                         \
  }                                   \
  namespace cuda {                    \
  __VA_ARGS__                         \
  }
