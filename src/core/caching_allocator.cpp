// The caching allocator (see caching_allocator.h for the rules it keeps).
//
// Blocks are nodes of a doubly linked list per segment (address order), so a
// freed block finds its neighbours in O(1) to merge. Free blocks sit in one
// ordered set per pool keyed by (stream, size, address): lower_bound gives the
// best fit on the requesting stream. Blocks freed while other streams still
// use them wait in `pending_` until the events recorded there complete.
#include "cutrain/core/caching_allocator.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "cutrain/core/error.h"

namespace cutrain {

namespace allocator_detail {  // named: Impl (declared in the header) has members of these types

struct Block {
  uint64_t stream_id = 0;
  int pool = 0;  // 0: the shared pools; else the capture pool that owns the segment
  Stream stream;  // allocation stream (kept alive while the block exists)
  std::size_t size = 0;
  std::uintptr_t ptr = 0;
  bool allocated = false;
  bool small_pool = false;
  int pending_events = 0;
  std::vector<Stream> used_on;  // other streams (record_stream)
  Block* prev = nullptr;
  Block* next = nullptr;
};

struct BlockLess {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream_id != b->stream_id) return a->stream_id < b->stream_id;
    if (a->size != b->size) return a->size < b->size;
    return a->ptr < b->ptr;
  }
};

using Pool = std::set<Block*, BlockLess>;

void add_stat(AllocatorStats::Stat& s, std::int64_t delta) {
  s.current += delta;
  s.peak = std::max(s.peak, s.current);
}

}  // namespace allocator_detail
using namespace allocator_detail;

std::size_t round_allocation_size(std::size_t bytes) {
  if (bytes < kMinBlockSize) return kMinBlockSize;
  return (bytes + kMinBlockSize - 1) / kMinBlockSize * kMinBlockSize;
}

std::string format_bytes(std::size_t bytes) {
  char buf[64];
  const double b = static_cast<double>(bytes);
  if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1ull << 30));
  else if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1ull << 20));
  else if (bytes >= (1ull << 10)) std::snprintf(buf, sizeof buf, "%.2f KiB", b / (1ull << 10));
  else std::snprintf(buf, sizeof buf, "%zu B", bytes);
  return buf;
}

struct CachingAllocator::Impl {
  std::shared_ptr<RawAllocator> raw;
  std::function<Event()> make_event;
  CachingAllocatorOptions options;
  mutable std::mutex mu;
  Pool small_free, large_free;
  std::unordered_map<std::uintptr_t, Block*> live;  // allocated blocks by address
  std::deque<std::pair<Event, Block*>> pending;     // freed blocks waiting on streams
  std::set<Block*> segments;                         // first block of each segment
  AllocatorStats stats;
  // Recycled Block objects and free-list nodes keep the cached path nearly
  // free of heap allocation (the benchmark target is < 200 ns a pair).
  std::vector<Block*> spare_blocks;
  std::vector<Pool::node_type> spare_pool_nodes;

  // Capture pools (see the header): segments allocated while a thread
  // captures belong to the pool; its free blocks are reused only by that
  // capture, on the same stream; blocks freed during the capture while
  // other streams used them are held (pending_events = 1) until the pool is
  // released; shared-pool blocks freed then wait in `deferred` for their
  // events until the capture ends.
  struct CapturePool {
    Pool small_free, large_free;
    std::vector<Block*> held;
    std::vector<Block*> deferred;
  };
  std::map<int, CapturePool> capture_pools;
  std::unordered_map<std::thread::id, int> capturing;  // thread -> pool
  int next_pool = 1;

  int capture_pool_of_caller() const {
    if (capturing.empty()) return 0;
    auto it = capturing.find(std::this_thread::get_id());
    return it == capturing.end() ? 0 : it->second;
  }

  Block* new_block() {
    if (spare_blocks.empty()) return new Block;
    Block* b = spare_blocks.back();
    spare_blocks.pop_back();
    return b;
  }
  void recycle(Block* b) {
    *b = Block{};
    spare_blocks.push_back(b);
  }
  void pool_insert(Pool& pool, Block* b) {
    if (spare_pool_nodes.empty()) {
      pool.insert(b);
      return;
    }
    Pool::node_type nh = std::move(spare_pool_nodes.back());
    spare_pool_nodes.pop_back();
    nh.value() = b;
    pool.insert(std::move(nh));
  }
  void pool_erase(Pool& pool, Pool::iterator it) { spare_pool_nodes.push_back(pool.extract(it)); }
  void pool_erase(Pool& pool, Block* b) { pool_erase(pool, pool.find(b)); }
  void live_insert(Block* b) { live.emplace(b->ptr, b); }
  void live_erase(std::uintptr_t ptr) { live.erase(ptr); }

  Pool& pool_of(const Block* b) {
    if (b->pool == 0) return b->small_pool ? small_free : large_free;
    CapturePool& cp = capture_pools.at(b->pool);
    return b->small_pool ? cp.small_free : cp.large_free;
  }

  static std::size_t segment_size(std::size_t size) {
    if (size <= kSmallSize) return kSmallBuffer;
    if (size < kMinLargeAlloc) return kLargeBuffer;
    return (size + kRoundLarge - 1) / kRoundLarge * kRoundLarge;
  }

  static bool should_split(const Block* b, std::size_t size) {
    const std::size_t remaining = b->size - size;
    return b->small_pool ? remaining >= kMinBlockSize : remaining > kSmallSize;
  }

  // Frees blocks whose recorded streams have all passed their events.
  void process_events() {
    for (auto it = pending.begin(); it != pending.end();) {
      if (!it->first.query()) {
        ++it;
        continue;
      }
      Block* b = it->second;
      it = pending.erase(it);
      if (--b->pending_events == 0) return_block(b);
    }
  }

  void synchronize_events() {
    for (auto& [event, block] : pending) event.synchronize();
    process_events();
  }

  // A block no one uses any more: merge with free neighbours and cache it.
  void return_block(Block* b) {
    add_stat(stats.active_bytes, -static_cast<std::int64_t>(b->size));
    b->used_on.clear();
    for (Block* n : {b->prev, b->next}) {
      if (!n || n->allocated || n->pending_events > 0) continue;
      pool_erase(pool_of(n), n);
      if (n == b->prev) {
        b->ptr = n->ptr;
        b->prev = n->prev;
        if (b->prev) b->prev->next = b;
        else {
          segments.erase(n);
          segments.insert(b);
        }
      } else {
        b->next = n->next;
        if (b->next) b->next->prev = b;
      }
      b->size += n->size;
      recycle(n);
    }
    pool_insert(pool_of(b), b);
  }

  Block* find_free(Pool& pool, uint64_t stream_id, std::size_t size) {
    Block key;
    key.stream_id = stream_id;
    key.size = size;
    key.ptr = 0;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream_id != stream_id) return nullptr;
    Block* b = *it;
    pool_erase(pool, it);
    return b;
  }

  std::size_t reserved() const { return static_cast<std::size_t>(stats.reserved_bytes.current); }

  Block* new_segment(std::size_t bytes, const Stream& stream, bool small, int pool_id) {
    if (bytes > options.memory_cap || reserved() > options.memory_cap - bytes) return nullptr;
    void* p = raw->allocate(bytes);
    if (!p) return nullptr;
    Block* b = new_block();
    b->stream_id = stream.id();
    b->stream = stream;
    b->size = bytes;
    b->ptr = reinterpret_cast<std::uintptr_t>(p);
    b->small_pool = small;
    b->pool = pool_id;
    segments.insert(b);
    ++stats.device_mallocs;
    add_stat(stats.reserved_bytes, static_cast<std::int64_t>(bytes));
    return b;
  }

  // Returns every free, unsplit segment to the raw allocator.
  void release_cached() {
    synchronize_events();
    for (Pool* pool : {&small_free, &large_free}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* b = *it;
        if (b->prev || b->next) {
          ++it;
          continue;
        }
        Pool::iterator next = std::next(it);
        pool_erase(*pool, it);
        it = next;
        segments.erase(b);
        raw->deallocate(reinterpret_cast<void*>(b->ptr), b->size);
        ++stats.device_frees;
        add_stat(stats.reserved_bytes, -static_cast<std::int64_t>(b->size));
        recycle(b);
      }
    }
  }

  [[noreturn]] void throw_oom(std::size_t requested, std::size_t rounded) {
    ++stats.ooms;
    const std::size_t allocated = static_cast<std::size_t>(stats.allocated_bytes.current);
    const std::size_t res = reserved();
    const std::size_t cap_left = options.memory_cap == SIZE_MAX ? SIZE_MAX : options.memory_cap - res;
    const std::size_t free = std::min(raw->free_bytes(), cap_left);
    const double frag = res == 0 ? 0.0 : 100.0 * (1.0 - static_cast<double>(allocated) / static_cast<double>(res));
    char frag_s[32];
    std::snprintf(frag_s, sizeof frag_s, "%.1f%%", frag);
    std::string msg = detail::concat(
        "out of memory on ", raw->device().str(), " (", raw->name(), "): tried to allocate ",
        format_bytes(requested), " (", format_bytes(rounded), " rounded); ",
        format_bytes(allocated), " allocated, ", format_bytes(res), " reserved (",
        format_bytes(res - allocated), " cached but unused), ",
        free == SIZE_MAX ? std::string("unknown") : format_bytes(free), " free; fragmentation ",
        frag_s, " (1 - allocated/reserved)");
    if (options.memory_cap != SIZE_MAX) msg += "; memory cap " + format_bytes(options.memory_cap);
    throw OutOfMemoryError(msg);
  }

  void* allocate(std::size_t bytes, const Stream& stream) {
    CUTRAIN_CHECK(stream.valid(), "allocate: no stream given");
    std::lock_guard<std::mutex> lock(mu);
    // A capturing thread must not query events (illegal during capture).
    const int cp = capture_pool_of_caller();
    if (cp == 0) process_events();
    ++stats.requests;
    const std::size_t size = round_allocation_size(bytes);
    const bool small = size <= kSmallSize;
    Pool& pool = cp == 0 ? (small ? small_free : large_free)
                         : (small ? capture_pools.at(cp).small_free : capture_pools.at(cp).large_free);
    Block* b = find_free(pool, stream.id(), size);
    if (b) {
      ++stats.cache_hits;
    } else {
      const std::size_t seg = segment_size(size);
      b = new_segment(seg, stream, small, cp);
      // Freeing cached segments synchronizes (cudaFree): not during a capture.
      if (!b && cp == 0) {
        ++stats.retries;
        release_cached();
        b = new_segment(seg, stream, small, cp);
      }
      if (!b) throw_oom(bytes, size);
    }
    if (should_split(b, size)) {
      Block* rest = new_block();
      rest->stream_id = b->stream_id;
      rest->stream = b->stream;
      rest->small_pool = b->small_pool;
      rest->pool = b->pool;
      rest->ptr = b->ptr + size;
      rest->size = b->size - size;
      rest->prev = b;
      rest->next = b->next;
      if (rest->next) rest->next->prev = rest;
      b->next = rest;
      b->size = size;
      pool_insert(pool, rest);
    }
    b->allocated = true;
    live_insert(b);
    add_stat(stats.allocated_bytes, static_cast<std::int64_t>(b->size));
    add_stat(stats.active_bytes, static_cast<std::int64_t>(b->size));
    return reinterpret_cast<void*>(b->ptr);
  }

  Block* live_block(const void* p, const char* what) const {
    auto it = live.find(reinterpret_cast<std::uintptr_t>(p));
    CUTRAIN_CHECK(it != live.end(), what, ": pointer ", p, " was not allocated by this allocator (",
                  raw->name(), " on ", raw->device().str(), ") or was already freed");
    return it->second;
  }

  void deallocate(void* p) {
    std::lock_guard<std::mutex> lock(mu);
    Block* b = live_block(p, "deallocate");
    live_erase(b->ptr);
    b->allocated = false;
    add_stat(stats.allocated_bytes, -static_cast<std::int64_t>(b->size));
    if (b->used_on.empty()) {
      return_block(b);
      return;
    }
    if (const int cp = capture_pool_of_caller(); cp != 0) {
      // No events may be recorded for the allocator inside a capture.
      if (b->pool != 0) {
        b->pending_events = 1;  // held: owned by the captured work until release
        capture_pools.at(b->pool).held.push_back(b);
      } else {
        capture_pools.at(cp).deferred.push_back(b);
      }
      return;
    }
    free_after_streams(b);
    process_events();
  }

  // b is free once every stream that used it passed the point reached now.
  void free_after_streams(Block* b) {
    for (const Stream& s : b->used_on) {
      Event e = make_event();
      e.record(s);
      pending.emplace_back(std::move(e), b);
      ++b->pending_events;
    }
  }

  int begin_capture() {
    const auto self = std::this_thread::get_id();
    CUTRAIN_CHECK(!capturing.count(self), "CachingAllocator::begin_capture: this thread already captures");
    const int id = next_pool++;
    capture_pools[id];
    capturing[self] = id;
    return id;
  }

  void end_capture() {
    auto it = capturing.find(std::this_thread::get_id());
    CUTRAIN_CHECK(it != capturing.end(), "CachingAllocator::end_capture: this thread is not capturing");
    CapturePool& cp = capture_pools.at(it->second);
    capturing.erase(it);
    for (Block* b : cp.deferred) free_after_streams(b);
    cp.deferred.clear();
    process_events();
  }

  void release_pool(int id) {
    for (const auto& [thread, pool] : capturing)
      CUTRAIN_CHECK(pool != id, "CachingAllocator::release_pool: pool ", id, " is still capturing");
    auto it = capture_pools.find(id);
    CUTRAIN_CHECK(it != capture_pools.end(), "CachingAllocator::release_pool: no capture pool ", id);
    CapturePool& cp = it->second;
    // Every block of the pool's segments moves to the shared pools: free
    // ones to the free lists, live ones when they are freed, held ones now
    // (the captured work that used them is gone).
    std::vector<Block*> free_blocks;
    for (Block* head : segments) {
      if (head->pool != id) continue;
      for (Block* b = head; b; b = b->next) {
        if (!b->allocated && b->pending_events == 0) {
          pool_erase(b->small_pool ? cp.small_free : cp.large_free, b);
          free_blocks.push_back(b);
        }
        b->pool = 0;
      }
    }
    for (Block* b : free_blocks) pool_insert(pool_of(b), b);
    for (Block* b : cp.held) {
      b->pending_events = 0;
      return_block(b);
    }
    capture_pools.erase(it);
  }

  void record_stream(void* p, const Stream& s) {
    std::lock_guard<std::mutex> lock(mu);
    Block* b = live_block(p, "record_stream");
    if (s.id() == b->stream_id) return;
    for (const Stream& u : b->used_on)
      if (u == s) return;
    b->used_on.push_back(s);
  }

  ~Impl() {
    synchronize_events();
    if (!live.empty()) {
      std::fprintf(stderr, "cutrain: caching allocator destroyed with %zu live blocks\n", live.size());
      return;  // leak rather than free memory someone still points to
    }
    // Capture pools never released: their segments are freed with the rest
    // (found leaking by the ASan build's leak check).
    capturing.clear();
    std::vector<int> pools;
    for (const auto& [id, _] : capture_pools) pools.push_back(id);
    for (int id : pools) release_pool(id);
    release_cached();
    for (Block* b : spare_blocks) delete b;
  }
};

CachingAllocator::CachingAllocator(std::shared_ptr<RawAllocator> raw, std::function<Event()> make_event,
                                   CachingAllocatorOptions options)
    : impl_(std::make_unique<Impl>()) {
  CUTRAIN_CHECK(raw != nullptr, "CachingAllocator: no raw allocator");
  impl_->raw = std::move(raw);
  impl_->make_event = std::move(make_event);
  impl_->options = options;
}

CachingAllocator::~CachingAllocator() = default;

int CachingAllocator::begin_capture() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->begin_capture();
}
void CachingAllocator::end_capture() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->end_capture();
}
void CachingAllocator::release_pool(int pool) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->release_pool(pool);
}

void* CachingAllocator::allocate(std::size_t bytes, const Stream& stream) {
  return impl_->allocate(bytes, stream);
}
void CachingAllocator::deallocate(void* p) { impl_->deallocate(p); }
void CachingAllocator::record_stream(void* p, const Stream& s) { impl_->record_stream(p, s); }

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->release_cached();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

void CachingAllocator::reset_peak_stats() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (AllocatorStats::Stat* s : {&impl_->stats.allocated_bytes, &impl_->stats.reserved_bytes,
                                  &impl_->stats.active_bytes})
    s->peak = s->current;
}

std::vector<SegmentSnapshot> CachingAllocator::snapshot() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<SegmentSnapshot> out;
  for (const Block* head : impl_->segments) {
    SegmentSnapshot seg;
    seg.address = head->ptr;
    seg.stream_id = head->stream_id;
    seg.small_pool = head->small_pool;
    for (const Block* b = head; b; b = b->next) {
      seg.blocks.push_back({b->ptr, b->size, b->allocated, b->pending_events > 0});
      seg.size += b->size;
    }
    out.push_back(std::move(seg));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.address < b.address; });
  return out;
}

void CachingAllocator::set_memory_cap(std::size_t cap) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.memory_cap = cap;
}

std::size_t CachingAllocator::memory_cap() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->options.memory_cap;
}

Device CachingAllocator::device() const { return impl_->raw->device(); }

std::size_t CachingAllocator::block_size(const void* p) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->live_block(p, "block_size")->size;
}

}  // namespace cutrain
