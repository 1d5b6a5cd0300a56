#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cutrain/core/backend.h"
#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"

using namespace cutrain;

TEST(CpuStream, RunsInOrderAndSynchronizes) {
  Stream s = Stream::create(Device::cpu());
  std::vector<int> seen;
  for (int i = 0; i < 100; ++i) s.enqueue([&seen, i] { seen.push_back(i); });
  s.synchronize();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
}

TEST(CpuStream, WaitOnEventOrdersAcrossStreams) {
  for (uint64_t jitter : {0ull, 1ull, 2ull, 3ull}) {
    Stream a = make_cpu_stream({.threaded = true, .jitter_seed = jitter});
    Stream b = make_cpu_stream({.threaded = true, .jitter_seed = jitter + 100});
    std::atomic<int> value{0};
    a.enqueue([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      value = 1;
    });
    Event e = Event::create(Device::cpu());
    e.record(a);
    b.wait(e);
    int observed = -1;
    b.enqueue([&] { observed = value.load(); });
    b.synchronize();
    EXPECT_EQ(observed, 1) << "stream b ran before the event on a completed";
    EXPECT_TRUE(e.query());
  }
}

TEST(CpuStream, EventQueryReflectsProgress) {
  Stream a = make_cpu_stream({});
  std::atomic<bool> release{false};
  a.enqueue([&] {
    while (!release) std::this_thread::yield();
  });
  Event e = Event::create(Device::cpu());
  EXPECT_TRUE(e.query());  // never recorded
  e.record(a);
  EXPECT_FALSE(e.query());
  release = true;
  e.synchronize();
  EXPECT_TRUE(e.query());
}

TEST(CpuStream, ErrorsInQueuedWorkSurfaceAtSynchronize) {
  Stream s = make_cpu_stream({});
  s.enqueue([] { CUTRAIN_THROW("boom in task"); });
  try {
    s.synchronize();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("boom in task"), std::string::npos);
  }
  s.synchronize();  // the error is reported once
}

TEST(Devices, ReportCpuAndExplainMissingCuda) {
  const auto ds = devices();
  ASSERT_FALSE(ds.empty());
  EXPECT_TRUE(ds[0].device.is_cpu());
  EXPECT_TRUE(ds[0].available);
  bool has_cuda_entry = false;
  for (const auto& d : ds) {
    if (!d.device.is_cuda()) continue;
    has_cuda_entry = true;
    if (!d.available) {
      EXPECT_EQ(d.description.rfind("no CUDA device: ", 0), 0u) << d.description;
    }
  }
  EXPECT_TRUE(has_cuda_entry);
  EXPECT_EQ(Device::parse("cuda:1"), Device::cuda(1));
  EXPECT_THROW(Device::parse("tpu"), Error);
}
