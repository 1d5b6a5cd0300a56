// CPU emulation of stream capture (stream_capture.h): recorded, not run;
// replay re-runs the work in order with the cross-stream events; what CUDA
// forbids during a capture throws.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/core/stream_capture.h"

using namespace cutrain;

namespace {

struct Log {
  std::mutex mu;
  std::vector<std::string> entries;
  void add(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    entries.push_back(s);
  }
};

}  // namespace

TEST(StreamCapture, RecordsThenReplaysAcrossStreamsInOrder) {
  for (bool inline_origin : {false, true}) {
    SCOPED_TRACE(inline_origin ? "inline origin" : "threaded origin");
    const Stream a = make_cpu_stream({.threaded = !inline_origin, .jitter_seed = 4});
    const Stream b = make_cpu_stream({.threaded = true, .jitter_seed = 5});
    const Event fork = Event::create(Device::cpu()), join = Event::create(Device::cpu());
    Log log;
    int value = 1;  // read when the work runs
    begin_capture(a);
    a.enqueue([&] { log.add("a1"); });
    fork.record(a);
    b.wait(fork);  // b joins the capture
    EXPECT_TRUE(b.impl().capturing());
    b.enqueue([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      log.add("b" + std::to_string(value));
    });
    join.record(b);
    a.wait(join);
    a.enqueue([&] { log.add("a2"); });
    const CapturedWork work = end_capture(a);
    EXPECT_FALSE(a.impl().capturing());
    EXPECT_FALSE(b.impl().capturing());
    a.synchronize();
    b.synchronize();
    EXPECT_TRUE(log.entries.empty());  // recording ran nothing

    work.replay();
    value = 2;  // the first replay may or may not have read it yet: wait first
    a.synchronize();
    value = 3;
    work.replay();
    a.synchronize();
    ASSERT_EQ(log.entries.size(), 6u);
    EXPECT_EQ(log.entries[0], "a1");
    EXPECT_EQ(log.entries[2], "a2");  // after b's slow task: the join event held
    EXPECT_EQ(log.entries[3], "a1");
    EXPECT_EQ(log.entries[4], "b3");  // the value when the replay ran
    EXPECT_EQ(log.entries[5], "a2");
  }
}

TEST(StreamCapture, WhatCudaForbidsThrows) {
  const Stream a = make_cpu_stream({.threaded = true});
  const Stream b = make_cpu_stream({.threaded = true});
  const Event e = Event::create(Device::cpu()), outside = Event::create(Device::cpu());
  outside.record(b);
  b.synchronize();

  begin_capture(a);
  EXPECT_THROW(a.synchronize(), Error);
  e.record(a);
  EXPECT_THROW(e.query(), Error);
  EXPECT_THROW(e.synchronize(), Error);
  EXPECT_THROW(a.wait(outside), Error);  // an event recorded outside the capture
  EXPECT_THROW(begin_capture(a), Error);
  b.wait(e);
  b.enqueue([] {});
  // b never rejoined a.
  EXPECT_THROW(end_capture(a), Error);
  EXPECT_FALSE(a.impl().capturing());
  EXPECT_FALSE(b.impl().capturing());
  // Outside a capture everything works again.
  e.record(a);
  a.synchronize();
  EXPECT_TRUE(e.query());
}

TEST(StreamCapture, AbortDropsTheRecording) {
  const Stream a = make_cpu_stream({.threaded = true});
  int runs = 0;
  begin_capture(a);
  a.enqueue([&] { ++runs; });
  abort_capture(a);
  EXPECT_FALSE(a.impl().capturing());
  a.enqueue([&] { ++runs; });
  a.synchronize();
  EXPECT_EQ(runs, 1);
  EXPECT_THROW(end_capture(a), Error);
}
