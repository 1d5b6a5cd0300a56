// Pinned (page-locked) host memory for batches on their way to a GPU.
//
// A host-to-device copy from pageable memory is staged by the driver through
// a pinned bounce buffer and cannot run asynchronously; from page-locked
// memory it is a DMA that a copy stream overlaps with compute. Pinning is
// expensive (page-table work in the kernel, milliseconds for a batch), so,
// like PyTorch's CachingHostAllocator, pinned memory is cached: a PinnedPool
// is a CachingAllocator (512 B rounding, small and large pools, split and
// merge, reuse after the streams a block was recorded on are done) over a
// pinned RawAllocator.
//
// The process pool's raw source is registered by the CUDA backend when a
// device is present (cudaHostAlloc, CUDA events for record_stream); on a
// CPU-only build, or without a device, it is plain host memory with CPU
// events. Tests give their own PinnedPool a CountingAllocator.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/raw_allocator.h"
#include "cutrain/core/stream.h"
#include "cutrain/core/tensor.h"

namespace cutrain {

class PinnedPool {
 public:
  // `make_event` creates the events record_stream waits on (those of the
  // device whose streams read the memory).
  PinnedPool(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event);
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  // A contiguous host tensor in the pool; thread-safe. The pool must
  // outlive it.
  Tensor empty(const Shape& shape, DType dtype);
  CachingAllocator& allocator() { return allocator_; }
  std::string source_name() const { return source_name_; }

 private:
  std::string source_name_;
  CachingAllocator allocator_;
  Stream stream_;  // the host stream blocks are allocated for
};

// Sets the raw source of the process pool (the CUDA backend calls this when
// it registers). Only a call before the first pinned_pool() takes effect;
// returns whether this one did.
bool register_pinned_source(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event);
// The process-wide pool, created on first use and never destroyed (tensors
// may outlive static destruction).
PinnedPool& pinned_pool();

// How the loader allocates batches bound for `device`: from the process
// pinned pool for a GPU; plain host tensors for the CPU, where pinning buys
// nothing.
std::function<Tensor(const Shape&, DType)> batch_allocator_for(Device device);

}  // namespace cutrain
