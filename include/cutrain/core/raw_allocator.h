// RawAllocator: the memory source beneath the caching allocator.
//
// Implementations: host (aligned malloc), pinned host (cudaHostAlloc, under
// the pinned pool of pinned_allocator.h),
// device (cudaMalloc), and CountingAllocator, a fake for tests that hands out
// addresses from a virtual range without touching memory and counts calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cutrain/core/device.h"

namespace cutrain {

class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  // Returns nullptr when the memory is not available (never throws for OOM).
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* p, std::size_t bytes) = 0;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;
  // Bytes the source could still provide, if known (cudaMemGetInfo); else SIZE_MAX.
  virtual std::size_t free_bytes() const { return SIZE_MAX; }
};

// 256-byte aligned host memory (std::aligned_alloc).
std::shared_ptr<RawAllocator> make_host_raw_allocator();

// A test fake: addresses from a virtual range (never dereferenceable unless
// `backed` is true), a byte capacity after which allocate returns nullptr,
// and counts of calls and bytes outstanding.
class CountingAllocator final : public RawAllocator {
 public:
  explicit CountingAllocator(std::size_t capacity = SIZE_MAX, bool backed = false);
  ~CountingAllocator() override;
  void* allocate(std::size_t bytes) override;
  void deallocate(void* p, std::size_t bytes) override;
  Device device() const override { return Device::cpu(); }
  std::string name() const override { return "counting"; }
  std::size_t free_bytes() const override { return capacity_ - outstanding_; }

  std::size_t outstanding_bytes() const { return outstanding_; }
  std::size_t allocations() const { return allocations_; }
  std::size_t deallocations() const { return deallocations_; }
  void set_capacity(std::size_t c) { capacity_ = c; }

 private:
  std::size_t capacity_;
  bool backed_;
  std::size_t outstanding_ = 0;
  std::size_t allocations_ = 0;
  std::size_t deallocations_ = 0;
  std::uintptr_t next_ = 0x100000000ull;  // virtual addresses, 2 MiB aligned
};

}  // namespace cutrain
