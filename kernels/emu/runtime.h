// The emulated device runtime: device memory, copies, memsets and stream
// synchronisation for the emulated build, on host memory and CPU streams.
//
// These are the emulated counterparts of cudaMalloc/cudaMemcpyAsync/... under
// our own names, so the emulated build never defines a CUDA runtime symbol and
// links next to libcudart. Work queued with a stream handle runs in that
// stream's order; a null handle runs inline. Kernel-launch configuration
// (thread order, shared memory limits) lives here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "emu/stream_handle.h"

namespace cutrain::emu {

// Device memory: host memory aligned like cudaMalloc (256 bytes).
void* device_malloc(std::size_t bytes);
void device_free(void* p);
void memcpy_async(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);
void memset_async(void* dst, int value, std::size_t bytes, cudaStream_t stream);
// Waits for the stream's work; rethrows the first error of its work (a kernel
// that threw, a divergent barrier). Null handle: nothing to wait for.
void stream_synchronize(cudaStream_t stream);

// The order in which the fibers (CUDA threads) of a block run between
// barriers. Order-dependent bugs (missing __syncthreads) give different results
// under different orders. Initial value from CUTRAIN_EMU_ORDER
// (forward | reverse | random:SEED), else forward. Captured at launch time.
struct ThreadOrder {
  enum Kind { forward, reverse, random } kind = forward;
  uint64_t seed = 0;
  std::string str() const;                            // "forward", "random:7"
  static ThreadOrder parse(const std::string& text);  // inverse of str(); throws on junk
};
ThreadOrder thread_order();
void set_thread_order(const ThreadOrder& order);

// Sets the order for the current scope and restores the previous one.
class ScopedThreadOrder {
 public:
  explicit ScopedThreadOrder(const ThreadOrder& order) : saved_(thread_order()) { set_thread_order(order); }
  ~ScopedThreadOrder() { set_thread_order(saved_); }
  ScopedThreadOrder(const ScopedThreadOrder&) = delete;
  ScopedThreadOrder& operator=(const ScopedThreadOrder&) = delete;

 private:
  ThreadOrder saved_;
};

// Launch limits, as on sm_90.
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr unsigned kMaxBlockDimZ = 64;
inline constexpr unsigned kMaxGridDimYZ = 65535;
inline constexpr std::size_t kDefaultMaxDynamicSharedBytes = 48 * 1024;
inline constexpr std::size_t kOptInMaxDynamicSharedBytes = 227 * 1024;

// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes).
void set_max_dynamic_shared_bytes(const void* kernel, std::size_t bytes);
std::size_t max_dynamic_shared_bytes(const void* kernel);

// Statistics of the calling OS thread's scheduler (for benchmarks and tests).
struct SchedulerStats {
  uint64_t blocks = 0;         // blocks run
  uint64_t fiber_switches = 0; // context switches into fibers
  uint64_t barriers = 0;       // block-wide barriers released
  uint64_t warp_syncs = 0;     // warp-level groups released
};
SchedulerStats scheduler_stats();

}  // namespace cutrain::emu
