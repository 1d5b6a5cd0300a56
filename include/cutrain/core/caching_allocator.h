// CachingAllocator: a stream-aware caching allocator with PyTorch's design
// and numbers (c10/cuda/CUDACachingAllocator), which users already trust.
//
// - Requests round up to 512 B. Requests <= 1 MiB come from the small pool,
//   carved from 2 MiB segments; 1-10 MiB requests get 20 MiB segments;
//   larger requests round up to a multiple of 2 MiB.
// - Free blocks are ordered by (stream, size, address); a request takes the
//   best fit on its own stream only.
// - A large-pool block is split only if more than 1 MiB would remain; a
//   small-pool block if at least 512 B would remain. Free neighbours merge.
// - record_stream(p, s): the block was used on stream s too; when freed, it
//   is reused only after events recorded on every such stream completed.
// - Out of memory: free every cached, unsplit segment and retry once; then
//   throw OutOfMemoryError stating requested, allocated, reserved, free and
//   fragmentation.
//
// - Capture pools (stream capture, stream_capture.h): between begin_capture
//   and end_capture, allocations made by the calling thread come from a
//   private pool whose segments stay owned by the captured work until
//   release_pool: its free blocks are reused only within that capture and
//   only on the same stream (stream order is what the captured graph keeps);
//   a pool block freed during the capture after use on other streams is never
//   reused before release_pool. The capturing thread never queries or
//   records events for the allocator and never frees memory to the raw
//   allocator (both illegal during a CUDA capture): blocks from the shared
//   pools freed during the capture get their stream events when it ends, and
//   an out-of-memory during capture throws instead of emptying the cache.
//   Other threads allocate from the shared pools as usual meanwhile.
//
// Thread-safe. One instance per device (and one for pinned host memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cutrain/core/raw_allocator.h"
#include "cutrain/core/stream.h"

namespace cutrain {

inline constexpr std::size_t kMinBlockSize = 512;
inline constexpr std::size_t kSmallSize = 1 << 20;         // <= this: small pool
inline constexpr std::size_t kSmallBuffer = 2 << 20;       // small pool segment
inline constexpr std::size_t kLargeBuffer = 20 << 20;      // segment for 1-10 MiB requests
inline constexpr std::size_t kMinLargeAlloc = 10 << 20;    // >= this: round to kRoundLarge
inline constexpr std::size_t kRoundLarge = 2 << 20;

struct AllocatorStats {
  struct Stat {
    std::int64_t current = 0;
    std::int64_t peak = 0;
  };
  Stat allocated_bytes;  // handed to users (rounded sizes)
  Stat reserved_bytes;   // held from the raw allocator
  Stat active_bytes;     // allocated, plus freed blocks still waiting for stream events
  std::int64_t requests = 0;
  std::int64_t cache_hits = 0;      // requests served without a raw allocation
  std::int64_t device_mallocs = 0;  // raw allocate calls that succeeded
  std::int64_t device_frees = 0;
  std::int64_t retries = 0;  // OOM -> free cache -> retry
  std::int64_t ooms = 0;     // OutOfMemoryError thrown
};

struct BlockSnapshot {
  std::uintptr_t address = 0;
  std::size_t size = 0;
  bool allocated = false;
  bool pending_events = false;  // freed but waiting on other streams
};

struct SegmentSnapshot {
  std::uintptr_t address = 0;
  std::size_t size = 0;
  std::uint64_t stream_id = 0;
  bool small_pool = false;
  std::vector<BlockSnapshot> blocks;  // in address order, covering the segment
};

struct CachingAllocatorOptions {
  // Total reserved bytes never exceed this (lets OOM paths be tested anywhere).
  std::size_t memory_cap = SIZE_MAX;
};

class CachingAllocator {
 public:
  // `make_event` creates events on the allocator's device for record_stream.
  CachingAllocator(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event,
                   CachingAllocatorOptions options = {});
  ~CachingAllocator();  // returns every cached segment; live blocks are a bug, reported on stderr
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // Never returns nullptr; bytes == 0 returns a unique non-null pointer of a 512 B block.
  void* allocate(std::size_t bytes, const Stream& stream);
  void deallocate(void* p);
  // Marks that the block containing p is used on `stream` as well.
  void record_stream(void* p, const Stream& stream);
  // Returns every free, unsplit cached segment to the raw allocator (after
  // waiting for pending events of freed blocks).
  void empty_cache();

  // Capture pools (see above). begin_capture routes the calling thread's
  // allocations to a new private pool and returns its id; end_capture ends
  // that routing; release_pool(id), once the captured work that used the
  // pool is destroyed and finished, returns its memory to the shared pools.
  int begin_capture();
  void end_capture();
  void release_pool(int pool);

  AllocatorStats stats() const;
  void reset_peak_stats();
  std::vector<SegmentSnapshot> snapshot() const;
  void set_memory_cap(std::size_t cap);
  std::size_t memory_cap() const;
  Device device() const;
  // Size of the block handed out for p (rounded); throws if p is not live.
  std::size_t block_size(const void* p) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

std::size_t round_allocation_size(std::size_t bytes);  // 512 B rounding
std::string format_bytes(std::size_t bytes);           // "1.50 MiB"

}  // namespace cutrain
