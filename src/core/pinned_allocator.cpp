#include "cutrain/core/pinned_allocator.h"

#include <mutex>

#include "cutrain/core/backend.h"
#include "cutrain/core/error.h"

namespace cutrain {

std::shared_ptr<EventImpl> make_cpu_event();  // cpu_stream.cpp

PinnedPool::PinnedPool(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event)
    : source_name_(raw ? raw->name() : ""),
      allocator_(std::move(raw), std::move(make_event)),
      stream_(backend_for(Device::cpu()).default_stream(0)) {
  CUTRAIN_CHECK(allocator_.device().is_cpu(), "PinnedPool: the raw allocator must give host memory, '",
                source_name_, "' gives ", allocator_.device().str());
}

Tensor PinnedPool::empty(const Shape& shape, DType dtype) { return Tensor::empty_in(allocator_, shape, dtype, stream_); }

namespace {

struct Source {
  std::mutex mu;
  std::shared_ptr<RawAllocator> raw;
  std::function<Event()> make_event;
  bool used = false;
};

Source& source() {
  static Source* s = new Source;  // never destroyed, like the pool it feeds
  return *s;
}

}  // namespace

bool register_pinned_source(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event) {
  Source& s = source();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.used) return false;
  s.raw = std::move(raw);
  s.make_event = std::move(make_event);
  return true;
}

PinnedPool& pinned_pool() {
  static PinnedPool* pool = [] {
    Source& s = source();
    std::lock_guard<std::mutex> lock(s.mu);
    s.used = true;
    if (!s.raw) {
      s.raw = make_host_raw_allocator();
      s.make_event = [] { return Event(make_cpu_event()); };
    }
    return new PinnedPool(s.raw, s.make_event);  // never destroyed: see the header
  }();
  return *pool;
}

std::function<Tensor(const Shape&, DType)> batch_allocator_for(Device device) {
  if (device.is_cpu()) return [](const Shape& s, DType t) { return Tensor::empty(s, t); };
  return [](const Shape& s, DType t) { return pinned_pool().empty(s, t); };
}

}  // namespace cutrain
