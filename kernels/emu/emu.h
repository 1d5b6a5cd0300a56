// The kernel emulation header: lets g++ compile kernels/*.cu unchanged.
//
// The build includes this header first in a generated wrapper per kernel file
// (cmake/cutrain_kernels.cmake); nothing else should include it. It maps the
// CUDA C++ subset our kernels use onto plain C++ plus the fiber scheduler:
//   __global__/__device__/__host__/__forceinline__/__launch_bounds__  keywords
//   __shared__                   static thread_local (one block at a time per
//                                OS thread; all fibers of a block share it)
//   threadIdx/blockIdx/blockDim/gridDim/warpSize, dim3 and vector types
//   __syncthreads*, __syncwarp, __shfl*_sync, __ballot/__any/__all_sync
//   atomics, __threadfence, __ldg, math and fast intrinsics, __half, bf16
// Launches and dynamic shared memory go through the macros of launch.cuh.
// Anything outside this subset (__constant__, cooperative groups, <<<>>>,
// texture objects, __activemask, dynamic parallelism) does not compile.
#pragma once

#if defined(__CUDACC__)
#error "emu/emu.h is for the g++ build of kernels; nvcc compiles them natively"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "emu/half.h"
#include "emu/intrinsics.h"
#include "emu/runtime.h"
#include "emu/stream_handle.h"
#include "emu/sync.h"
#include "emu/types.h"

#define CUTRAIN_EMU_KERNEL_TU 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ static thread_local

#define threadIdx (::cutrain::emu::detail::ctx("threadIdx").thread_idx)
#define blockIdx (::cutrain::emu::detail::ctx("blockIdx").block_idx)
#define blockDim (::cutrain::emu::detail::ctx("blockDim").block_dim)
#define gridDim (::cutrain::emu::detail::ctx("gridDim").grid_dim)

// The kernel TU sees CUDA's names unqualified, as under nvcc.
using namespace ::cutrain::emu::device;  // NOLINT(google-global-names-in-headers)

namespace cutrain::emu {

namespace detail {

// One launch as the scheduler sees it. `body` runs the kernel for the calling
// fiber's thread (with its own copy of the arguments).
struct LaunchSpec {
  const char* name = "";
  const void* kernel = nullptr;
  device::dim3 grid;
  device::dim3 block;
  std::size_t dynamic_shared_bytes = 0;
};
using KernelBody = std::shared_ptr<const void>;  // keeps the argument tuple alive
using KernelEntry = void (*)(const void* args);

// Validates the configuration (throws cutrain::Error naming the kernel), then
// runs the grid in `stream`'s order (inline for a null stream).
void launch(const LaunchSpec& spec, cudaStream_t stream, KernelEntry entry, KernelBody args);

template <typename Kernel, typename Tuple>
void invoke(const void* args) {
  Kernel k = std::get<0>(*static_cast<const Tuple*>(args));
  std::apply([k](const auto&, auto... params) { k(params...); }, *static_cast<const Tuple*>(args));
}

// Forces the implicit conversion a CUDA launch applies to each argument.
template <typename T>
T implicit_convert(T value) {
  return value;
}

template <typename T>
T* dynamic_shared() {
  return static_cast<T*>(ctx("dynamic shared memory").dynamic_shared);
}

}  // namespace detail

// Emulated kernel launch: arguments convert to the kernel's parameter types
// at launch time and are copied, as CUDA does.
template <typename... P, typename... A>
void launch(const char* name, void (*kernel)(P...), device::dim3 grid, device::dim3 block,
            std::size_t dynamic_shared_bytes, cudaStream_t stream, A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of kernel arguments");
  using Kernel = void (*)(P...);
  using Tuple = std::tuple<Kernel, std::decay_t<P>...>;
  auto packed = std::make_shared<const Tuple>(kernel, detail::implicit_convert<std::decay_t<P>>(std::forward<A>(args))...);
  detail::LaunchSpec spec{name, reinterpret_cast<const void*>(kernel), grid, block, dynamic_shared_bytes};
  detail::launch(spec, stream, &detail::invoke<Kernel, Tuple>, std::move(packed));
}

}  // namespace cutrain::emu
