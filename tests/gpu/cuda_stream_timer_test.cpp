// The benchmarking kit's StreamTimer on a real GPU: its events see the work
// of their stream, here a host function that holds the stream for 20 ms (a
// lower bound only: the machine may be slower, never faster).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cutrain/bench/timer.h"
#include "gpu_test_util.h"

#if CUTRAIN_BENCH_HAS_CUDA
namespace {

struct OwnedStream {
  cudaStream_t s = nullptr;
  OwnedStream() { CUDA_CHECK(cudaStreamCreate(&s)); }
  ~OwnedStream() { cudaStreamDestroy(s); }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
};

void hold_20ms(void*) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

TEST(CudaStreamTimer, TimesTheWorkOfItsStream) {
  CUTRAIN_REQUIRE_GPU();
  const OwnedStream stream;
  cutrain::bench::StreamTimer timer(stream.s);
  // Event timestamps resolve about 0.5 us: 20 ms less a margin far above that.
  for (int i = 0; i < 2; ++i)  // the same events, reused
    EXPECT_GE(timer.time_ms([&] { CUDA_CHECK(cudaLaunchHostFunc(stream.s, hold_20ms, nullptr)); }), 19.99);
  EXPECT_EQ(timer.stream(), stream.s);
}

}  // namespace
#else
TEST(CudaStreamTimer, Skipped) { GTEST_SKIP() << "GPU test skipped: this build has no CUDA backend"; }
#endif
