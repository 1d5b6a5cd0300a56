#include "cutrain/core/raw_allocator.h"

#include <cstdlib>
#include <cstring>

#include "cutrain/core/error.h"

namespace cutrain {

namespace {

class HostRawAllocator final : public RawAllocator {
 public:
  void* allocate(std::size_t bytes) override {
    // 256 B alignment: what cudaMalloc guarantees, so vectorised kernels and
    // emulated kernels see the same alignment.
    const std::size_t rounded = (bytes + 255) / 256 * 256;
    return std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
  }
  void deallocate(void* p, std::size_t) override { std::free(p); }
  Device device() const override { return Device::cpu(); }
  std::string name() const override { return "host"; }
};

}  // namespace

std::shared_ptr<RawAllocator> make_host_raw_allocator() {
  return std::make_shared<HostRawAllocator>();
}

CountingAllocator::CountingAllocator(std::size_t capacity, bool backed)
    : capacity_(capacity), backed_(backed) {}

CountingAllocator::~CountingAllocator() = default;

void* CountingAllocator::allocate(std::size_t bytes) {
  if (bytes > capacity_ - outstanding_) return nullptr;
  void* p;
  if (backed_) {
    p = std::aligned_alloc(512, (bytes + 511) / 512 * 512);
    if (!p) return nullptr;
  } else {
    // Fresh virtual addresses each time, with a gap so adjacent segments never
    // look contiguous (the allocator must not merge across segments).
    p = reinterpret_cast<void*>(next_);
    next_ += (bytes + (4 << 20)) / (2 << 20) * (2 << 20);
  }
  outstanding_ += bytes;
  ++allocations_;
  return p;
}

void CountingAllocator::deallocate(void* p, std::size_t bytes) {
  CUTRAIN_CHECK(bytes <= outstanding_, "CountingAllocator: freeing ", bytes, " bytes but only ",
                outstanding_, " outstanding");
  outstanding_ -= bytes;
  ++deallocations_;
  if (backed_) std::free(p);
}

}  // namespace cutrain
