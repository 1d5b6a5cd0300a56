// Caching allocator capture pools: during a capture the capturing thread gets
// memory from a private pool, reused only on the same stream and never after
// use on another stream; no event is recorded or queried and nothing is
// returned to the raw allocator until the capture ends; other threads keep
// the shared pools; release_pool gives the memory back to everyone.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"

using namespace cutrain;

namespace {

// Counts what the allocator does with events; any use while `forbidden` is
// set is a failure (events are illegal inside a CUDA capture).
struct EventLog {
  int records = 0;
  int queries = 0;
  bool forbidden = false;
};

class LoggedEvent final : public EventImpl {
 public:
  explicit LoggedEvent(EventLog* log) : log_(log) {}
  void record(StreamImpl&) override {
    EXPECT_FALSE(log_->forbidden) << "event recorded during a capture";
    ++log_->records;
  }
  bool query() override {
    EXPECT_FALSE(log_->forbidden) << "event queried during a capture";
    ++log_->queries;
    return true;
  }
  void synchronize() override { EXPECT_FALSE(log_->forbidden) << "event synchronized during a capture"; }

 private:
  EventLog* log_;
};

struct Fixture {
  explicit Fixture(std::size_t capacity = SIZE_MAX)
      : raw(std::make_shared<CountingAllocator>(capacity)),
        alloc(raw, [this] { return Event(std::make_shared<LoggedEvent>(&log)); }) {
    for (int i = 0; i < 2; ++i) streams.push_back(make_cpu_stream({.threaded = false}));
  }
  EventLog log;
  std::shared_ptr<CountingAllocator> raw;
  CachingAllocator alloc;
  std::vector<Stream> streams;
};

constexpr std::size_t KiB = 1 << 10;

}  // namespace

TEST(CachingAllocatorCapture, PrivatePoolReusedOnlyOnTheSameStream) {
  Fixture f;
  const Stream &s0 = f.streams[0], &s1 = f.streams[1];
  void* shared = f.alloc.allocate(8 * KiB, s0);
  f.alloc.deallocate(shared);  // cached in the shared pool
  const int pool = f.alloc.begin_capture();
  f.log.forbidden = true;
  void* p = f.alloc.allocate(8 * KiB, s0);
  EXPECT_NE(p, shared);  // not from the shared cache
  f.alloc.deallocate(p);
  EXPECT_EQ(f.alloc.allocate(8 * KiB, s0), p);  // same stream: reused
  void* q = f.alloc.allocate(8 * KiB, s1);
  EXPECT_NE(q, p);
  // Used on s0 too, then freed: never reused inside the capture.
  f.alloc.record_stream(q, s0);
  f.alloc.deallocate(q);
  void* r0 = f.alloc.allocate(8 * KiB, s1);
  void* r1 = f.alloc.allocate(8 * KiB, s0);
  EXPECT_NE(r0, q);
  EXPECT_NE(r1, q);
  for (void* x : {p, r0, r1}) f.alloc.deallocate(x);
  f.log.forbidden = false;
  f.alloc.end_capture();
  EXPECT_EQ(f.log.records, 0);

  // After the capture the shared pools do not hand out the pool's memory.
  void* after = f.alloc.allocate(8 * KiB, s0);
  EXPECT_EQ(after, shared);
  void* more = f.alloc.allocate(8 * KiB, s0);
  EXPECT_NE(more, p);
  f.alloc.deallocate(more);
  f.alloc.deallocate(after);

  // Released, the pool's blocks (the held one included) serve everyone.
  f.alloc.release_pool(pool);
  std::vector<void*> got;
  for (int i = 0; i < 8; ++i) got.push_back(f.alloc.allocate(8 * KiB, s1));
  EXPECT_NE(std::find(got.begin(), got.end(), q), got.end());
  for (void* x : got) f.alloc.deallocate(x);
  EXPECT_EQ(f.alloc.stats().allocated_bytes.current, 0);
}

TEST(CachingAllocatorCapture, SharedBlocksFreedDuringCaptureGetTheirEventsAfterwards) {
  Fixture f;
  const Stream &s0 = f.streams[0], &s1 = f.streams[1];
  void* a = f.alloc.allocate(4 * KiB, s0);
  f.alloc.record_stream(a, s1);
  f.alloc.begin_capture();
  f.log.forbidden = true;
  f.alloc.deallocate(a);
  void* b = f.alloc.allocate(4 * KiB, s0);  // the private pool, not a
  EXPECT_NE(b, a);
  f.log.forbidden = false;
  f.alloc.end_capture();
  EXPECT_EQ(f.log.records, 1);  // the event on s1, recorded once the capture ended
  void* again = f.alloc.allocate(4 * KiB, s0);
  EXPECT_EQ(again, a);  // and then a was free again
  // Live blocks are the caller's: returned so that the leak check sees none.
  f.alloc.deallocate(again);
  f.alloc.deallocate(b);
}

TEST(CachingAllocatorCapture, NoRawFreesDuringCaptureAndOtherThreadsUseTheSharedPools) {
  const std::size_t MiB = 1 << 20;
  Fixture f(32 * MiB);
  const Stream& s0 = f.streams[0];
  void* big = f.alloc.allocate(20 * MiB, s0);
  f.alloc.deallocate(big);  // a cached 20 MiB segment: only emptying the cache makes room
  f.alloc.begin_capture();
  // Another thread allocates meanwhile: from the shared cache, as usual.
  void* other = nullptr;
  std::thread t([&] { other = f.alloc.allocate(20 * MiB, s0); });
  t.join();
  EXPECT_EQ(other, big);
  f.alloc.deallocate(other);
  const std::size_t frees = f.raw->deallocations();
  // The capture may neither take the shared cached block nor free it to make room.
  EXPECT_THROW(f.alloc.allocate(16 * MiB, s0), OutOfMemoryError);
  EXPECT_EQ(f.raw->deallocations(), frees);
  f.alloc.end_capture();
  // Outside the capture the same request is served from the shared cache.
  void* ok = f.alloc.allocate(16 * MiB, s0);
  EXPECT_EQ(ok, big);
  f.alloc.deallocate(ok);
}

TEST(CachingAllocatorCapture, MisuseIsAnError) {
  Fixture f;
  EXPECT_THROW(f.alloc.end_capture(), Error);
  const int pool = f.alloc.begin_capture();
  EXPECT_THROW(f.alloc.begin_capture(), Error);
  EXPECT_THROW(f.alloc.release_pool(pool), Error);
  f.alloc.end_capture();
  f.alloc.release_pool(pool);
  EXPECT_THROW(f.alloc.release_pool(pool), Error);
}
