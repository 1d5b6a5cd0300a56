// Caching allocator: pool rules, cross-stream safety, OOM, and a 100k-step
// random property test against an independent model of what must hold.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/error.h"

using namespace cutrain;

namespace {

// Events whose completion the test decides: lets the property test hold a
// block "in use on another stream" for as long as it likes.
struct FakeEventState {
  bool recorded = false;
  bool completed = true;
};

class FakeEvent final : public EventImpl {
 public:
  explicit FakeEvent(std::vector<std::shared_ptr<FakeEventState>>* all) {
    all->push_back(state_);
  }
  void record(StreamImpl&) override {
    state_->recorded = true;
    state_->completed = false;
  }
  bool query() override { return state_->completed; }
  void synchronize() override { state_->completed = true; }

 private:
  std::shared_ptr<FakeEventState> state_ = std::make_shared<FakeEventState>();
};

struct Fixture {
  explicit Fixture(std::size_t capacity = SIZE_MAX, CachingAllocatorOptions o = {})
      : raw(std::make_shared<CountingAllocator>(capacity)),
        alloc(raw, [this] { return Event(std::make_shared<FakeEvent>(&events)); }, o) {
    for (int i = 0; i < 3; ++i) streams.push_back(make_cpu_stream({.threaded = false}));
  }
  std::vector<std::shared_ptr<FakeEventState>> events;
  std::shared_ptr<CountingAllocator> raw;
  CachingAllocator alloc;
  std::vector<Stream> streams;
};

constexpr std::size_t MiB = 1 << 20;

}  // namespace

TEST(CachingAllocator, RoundsTo512AndReusesFreedBlock) {
  Fixture f;
  void* a = f.alloc.allocate(1, f.streams[0]);
  EXPECT_EQ(f.alloc.block_size(a), 512u);
  f.alloc.deallocate(a);
  void* b = f.alloc.allocate(500, f.streams[0]);
  EXPECT_EQ(a, b);
  EXPECT_EQ(f.raw->allocations(), 1u);
  EXPECT_EQ(f.alloc.stats().cache_hits, 1);
  f.alloc.deallocate(b);
}

TEST(CachingAllocator, SegmentSizesFollowThePoolRules) {
  Fixture f;
  // One stream each, so no request is served from another's remainder.
  void* s = f.alloc.allocate(MiB, f.streams[0]);          // small pool: 2 MiB segment
  void* m = f.alloc.allocate(MiB + 1, f.streams[1]);      // 1-10 MiB: 20 MiB segment
  void* l = f.alloc.allocate(10 * MiB + 1, f.streams[2]);  // >= 10 MiB: round to 2 MiB
  const auto snap = f.alloc.snapshot();
  std::map<std::size_t, int> sizes;
  for (const auto& seg : snap) ++sizes[seg.size];
  EXPECT_EQ(sizes[2 * MiB], 1);
  EXPECT_EQ(sizes[20 * MiB], 1);
  EXPECT_EQ(sizes[12 * MiB], 1);
  for (void* p : {s, m, l}) f.alloc.deallocate(p);
}

TEST(CachingAllocator, SplitsLargeBlockOnlyWhenMoreThan1MiBRemains) {
  Fixture f;
  // 19 MiB from a 20 MiB segment leaves exactly 1 MiB: not split.
  void* a = f.alloc.allocate(19 * MiB, f.streams[0]);
  EXPECT_EQ(f.alloc.snapshot()[0].blocks.size(), 1u);
  f.alloc.deallocate(a);
  // 18 MiB leaves 2 MiB: split.
  void* b = f.alloc.allocate(18 * MiB, f.streams[0]);
  EXPECT_EQ(f.alloc.snapshot()[0].blocks.size(), 2u);
  f.alloc.deallocate(b);
  // Freed halves merge back into one block.
  EXPECT_EQ(f.alloc.snapshot()[0].blocks.size(), 1u);
}

TEST(CachingAllocator, BestFitOnSameStreamOnly) {
  Fixture f;
  void* a = f.alloc.allocate(4096, f.streams[0]);
  f.alloc.deallocate(a);
  void* b = f.alloc.allocate(4096, f.streams[1]);
  EXPECT_NE(a, b) << "a block cached for stream 0 was handed to stream 1";
  f.alloc.deallocate(b);
}

TEST(CachingAllocator, RecordStreamDelaysReuseUntilEventCompletes) {
  Fixture f;
  void* a = f.alloc.allocate(4096, f.streams[0]);
  f.alloc.record_stream(a, f.streams[1]);
  f.alloc.deallocate(a);
  ASSERT_EQ(f.events.size(), 1u);
  void* b = f.alloc.allocate(4096, f.streams[0]);
  EXPECT_NE(a, b) << "reused before stream 1 passed its event";
  f.events[0]->completed = true;
  void* c = f.alloc.allocate(4096, f.streams[0]);
  EXPECT_EQ(a, c);
  f.alloc.deallocate(b);
  f.alloc.deallocate(c);
}

TEST(CachingAllocator, OomFreesCacheRetriesThenStatesTheNumbers) {
  Fixture f(/*capacity=*/64 * MiB, {.memory_cap = 24 * MiB});
  void* a = f.alloc.allocate(3 * MiB, f.streams[0]);  // 20 MiB segment
  void* b = f.alloc.allocate(4096, f.streams[1]);     // 2 MiB small segment
  f.alloc.deallocate(b);                              // cached, unsplit: freed on retry
  try {
    f.alloc.allocate(5 * MiB, f.streams[1]);  // needs another 20 MiB segment
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    EXPECT_STREQ(e.what(),
                 "out of memory on cpu (counting): tried to allocate 5.00 MiB (5.00 MiB rounded); "
                 "3.00 MiB allocated, 20.00 MiB reserved (17.00 MiB cached but unused), 4.00 MiB free; "
                 "fragmentation 85.0% (1 - allocated/reserved); memory cap 24.00 MiB");
  }
  const AllocatorStats s = f.alloc.stats();
  EXPECT_EQ(s.retries, 1);
  EXPECT_EQ(s.ooms, 1);
  EXPECT_EQ(s.device_frees, 1);  // the cached small segment went back
  f.alloc.deallocate(a);
}

TEST(CachingAllocator, EmptyCacheReturnsEverythingAndPeaksReset) {
  Fixture f;
  std::vector<void*> ps;
  for (int i = 0; i < 10; ++i) ps.push_back(f.alloc.allocate((i + 1) * 300 * 1024, f.streams[i % 3]));
  for (void* p : ps) f.alloc.deallocate(p);
  EXPECT_GT(f.raw->outstanding_bytes(), 0u);
  f.alloc.empty_cache();
  EXPECT_EQ(f.raw->outstanding_bytes(), 0u);
  AllocatorStats s = f.alloc.stats();
  EXPECT_EQ(s.reserved_bytes.current, 0);
  EXPECT_GT(s.reserved_bytes.peak, 0);
  f.alloc.reset_peak_stats();
  EXPECT_EQ(f.alloc.stats().reserved_bytes.peak, 0);
}

TEST(CachingAllocator, ForeignPointerIsAClearError) {
  Fixture f;
  int x;
  EXPECT_THROW(f.alloc.deallocate(&x), Error);
}

// The property test: random alloc/free/record_stream/event completions on 3
// streams. After every step, against a model kept by the test alone:
//  - no two live blocks overlap, and no live block overlaps a block that was
//    freed while in use on another stream whose event has not completed;
//  - a block is only handed out on its own stream's free list (a freed block
//    of stream s is never returned to a request on another stream);
//  - allocated bytes, reserved bytes, mallocs and frees equal our counts;
// and at the end empty_cache returns all memory to the raw allocator.
TEST(CachingAllocator, PropertyRandomOperations) {
  Fixture f;
  std::mt19937_64 rng(12345);
  struct Live {
    std::uintptr_t addr;
    std::size_t size;
    int stream;
    std::vector<int> used_on;
  };
  struct Pending {
    std::uintptr_t addr;
    std::size_t size;
    std::vector<std::shared_ptr<FakeEventState>> events;
  };
  std::vector<Live> live;
  std::vector<Pending> pending;
  std::map<std::uintptr_t, int> last_stream_of_addr;  // stream whose pool a freed address went to
  int64_t requests = 0;

  auto overlaps = [](std::uintptr_t a, std::size_t as, std::uintptr_t b, std::size_t bs) {
    return a < b + bs && b < a + as;
  };
  const std::size_t sizes[] = {1, 512, 4000, 65536, 300000, MiB, MiB + 7, 3 * MiB, 12 * MiB};

  for (int step = 0; step < 100000; ++step) {
    const int action = static_cast<int>(rng() % 10);
    if (action < 4 || live.empty()) {
      const int s = static_cast<int>(rng() % 3);
      std::size_t size = sizes[rng() % std::size(sizes)];
      size += rng() % 1024;
      void* p = f.alloc.allocate(size, f.streams[static_cast<size_t>(s)]);
      ++requests;
      const auto addr = reinterpret_cast<std::uintptr_t>(p);
      const std::size_t bs = f.alloc.block_size(p);
      ASSERT_GE(bs, size);
      for (const Live& l : live) {
        ASSERT_FALSE(overlaps(addr, bs, l.addr, l.size)) << "step " << step;
      }
      for (const Pending& pd : pending) {
        bool done = true;
        for (auto& e : pd.events) done = done && e->completed;
        if (!done) {
          ASSERT_FALSE(overlaps(addr, bs, pd.addr, pd.size)) << "reused before events completed, step " << step;
        }
      }
      auto it = last_stream_of_addr.find(addr);
      if (it != last_stream_of_addr.end()) {
        ASSERT_EQ(it->second, s) << "block moved across streams";
      }
      live.push_back({addr, bs, s, {}});
    } else if (action < 7) {
      const std::size_t i = rng() % live.size();
      Live l = live[i];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      const std::size_t before = f.events.size();
      f.alloc.deallocate(reinterpret_cast<void*>(l.addr));
      if (!l.used_on.empty()) {
        Pending pd{l.addr, l.size, {}};
        for (std::size_t k = before; k < f.events.size(); ++k) pd.events.push_back(f.events[k]);
        ASSERT_EQ(pd.events.size(), l.used_on.size());
        pending.push_back(pd);
      }
      last_stream_of_addr[l.addr] = l.stream;
    } else if (action < 8) {
      Live& l = live[rng() % live.size()];
      const int s = static_cast<int>(rng() % 3);
      f.alloc.record_stream(reinterpret_cast<void*>(l.addr), f.streams[static_cast<size_t>(s)]);
      if (s != l.stream && std::find(l.used_on.begin(), l.used_on.end(), s) == l.used_on.end())
        l.used_on.push_back(s);
    } else if (!f.events.empty()) {
      f.events[rng() % f.events.size()]->completed = true;
    }
    // Forget pending entries whose events all completed.
    std::erase_if(pending, [](const Pending& pd) {
      for (auto& e : pd.events)
        if (!e->completed) return false;
      return true;
    });

    if (step % 97 == 0 || step == 99999) {
      const AllocatorStats st = f.alloc.stats();
      int64_t allocated = 0;
      for (const Live& l : live) allocated += static_cast<int64_t>(l.size);
      ASSERT_EQ(st.allocated_bytes.current, allocated);
      ASSERT_EQ(static_cast<std::size_t>(st.reserved_bytes.current), f.raw->outstanding_bytes());
      ASSERT_EQ(static_cast<std::size_t>(st.device_mallocs), f.raw->allocations());
      ASSERT_EQ(static_cast<std::size_t>(st.device_frees), f.raw->deallocations());
      ASSERT_EQ(st.requests, requests);
      ASSERT_GE(st.active_bytes.current, st.allocated_bytes.current);
      // Snapshot blocks tile their segments exactly.
      std::size_t seg_total = 0;
      for (const auto& seg : f.alloc.snapshot()) {
        std::uintptr_t at = seg.address;
        for (const auto& b : seg.blocks) {
          ASSERT_EQ(b.address, at);
          at += b.size;
        }
        seg_total += seg.size;
      }
      ASSERT_EQ(seg_total, f.raw->outstanding_bytes());
    }
  }
  for (const Live& l : live) f.alloc.deallocate(reinterpret_cast<void*>(l.addr));
  f.alloc.empty_cache();
  EXPECT_EQ(f.raw->outstanding_bytes(), 0u);
  EXPECT_EQ(f.raw->allocations(), f.raw->deallocations());
  EXPECT_EQ(f.alloc.stats().allocated_bytes.current, 0);
}
