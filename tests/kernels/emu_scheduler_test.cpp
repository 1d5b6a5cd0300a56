// The emulation layer's own tests: barriers, shuffles, shared memory, atomics,
// thread orders, and the errors it must report instead of hanging or guessing.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cutrain/core/error.h"
#include "cutrain/core/stream.h"
#include "emu/runtime.h"
#include "emu_test_kernels.cuh"

namespace {

using cutrain::emu::ThreadOrder;

std::vector<ThreadOrder> all_orders() {
  return {{ThreadOrder::forward, 0}, {ThreadOrder::reverse, 0}, {ThreadOrder::random, 1}, {ThreadOrder::random, 2}};
}

// Runs `fn` and returns the message of the cutrain::Error it throws ("" if none).
template <typename F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const cutrain::Error& e) {
    return e.what();
  }
  return "";
}

TEST(EmuScheduler, BlockReduceWithStaticSharedMemory) {
  for (const ThreadOrder& order : all_orders()) {
    SCOPED_TRACE(order.str());
    cutrain::emu::ScopedThreadOrder scoped(order);
    for (int block : {1, 32, 64, 256, 1024}) {
      const int blocks = 3;
      std::vector<float> x(static_cast<std::size_t>(blocks * block));
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17);
      std::vector<float> out(blocks, -1.0f);
      emu_test::block_reduce(x.data(), out.data(), blocks, block, nullptr);
      for (int b = 0; b < blocks; ++b) {
        const float ref = std::accumulate(x.begin() + b * block, x.begin() + (b + 1) * block, 0.0f);
        EXPECT_EQ(out[static_cast<std::size_t>(b)], ref) << "block size " << block << ", block " << b;
      }
    }
  }
}

TEST(EmuScheduler, WarpShufflesScansAndVotes) {
  for (const ThreadOrder& order : all_orders()) {
    SCOPED_TRACE(order.str());
    cutrain::emu::ScopedThreadOrder scoped(order);
    const int blocks = 2, block = 96, n = blocks * block, warps = n / 32;
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>((i * 7) % 11) - 5.0f;
    std::vector<float> out(warps), scan(n), bcast(n);
    std::vector<unsigned> ballot(warps);
    emu_test::warp_ops(x.data(), out.data(), scan.data(), bcast.data(), ballot.data(), blocks, block, nullptr);
    for (int w = 0; w < warps; ++w) {
      float total = 0.0f, prefix = 0.0f;
      unsigned mask = 0;
      for (int l = 0; l < 32; ++l) {
        const float v = x[static_cast<std::size_t>(w * 32 + l)];
        total += v;
        prefix += v;
        if (v > 0.0f) mask |= 1u << l;
        EXPECT_EQ(scan[static_cast<std::size_t>(w * 32 + l)], prefix) << "warp " << w << " lane " << l;
        EXPECT_EQ(bcast[static_cast<std::size_t>(w * 32 + l)], x[static_cast<std::size_t>(w * 32 + 7)]);
      }
      EXPECT_EQ(out[static_cast<std::size_t>(w)], total) << "warp " << w;
      EXPECT_EQ(ballot[static_cast<std::size_t>(w)], mask) << "warp " << w;
    }
  }
}

TEST(EmuScheduler, DynamicSharedMemoryAndItsLimit) {
  const int blocks = 3, block = 128;
  std::vector<float> x(blocks * block), y(blocks * block);
  std::iota(x.begin(), x.end(), 0.0f);
  emu_test::reverse_in_block(x.data(), y.data(), blocks, block, block * sizeof(float), nullptr);
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < block; ++t)
      EXPECT_EQ(y[static_cast<std::size_t>(b * block + t)], x[static_cast<std::size_t>(b * block + block - 1 - t)]);
  // Above 48 KiB only after raising the kernel's limit, as on a GPU.
  const std::size_t big = 64 * 1024;
  const std::string err = error_of([&] { emu_test::reverse_in_block(x.data(), y.data(), 1, block, big, nullptr); });
  EXPECT_NE(err.find("reverse_kernel"), std::string::npos) << err;
  EXPECT_NE(err.find("CUTRAIN_SET_MAX_DYNAMIC_SHARED"), std::string::npos) << err;
  emu_test::raise_reverse_limit(big);
  emu_test::reverse_in_block(x.data(), y.data(), 1, block, big, nullptr);
  EXPECT_EQ(y[0], x[block - 1]);
  EXPECT_THROW(emu_test::raise_reverse_limit(300 * 1024), cutrain::Error);
}

TEST(EmuScheduler, AtomicsFromManyBlocks) {
  const int64_t n = 10007;
  const int bins = 13;
  std::vector<unsigned> x(static_cast<std::size_t>(n));
  std::mt19937 rng(3);
  for (auto& v : x) v = rng() % 1000;
  std::vector<int> hist(bins, 0);
  float sum = 0.0f;
  unsigned max = 0;
  unsigned long long count = 0;
  double dsum = 0.0;
  emu_test::atomics(x.data(), n, hist.data(), bins, &sum, &max, &count, &dsum, nullptr);
  std::vector<int> ref(bins, 0);
  double ref_sum = 0.0;
  for (unsigned v : x) {
    ++ref[v % bins];
    ref_sum += v;
  }
  EXPECT_EQ(hist, ref);
  EXPECT_EQ(max, *std::max_element(x.begin(), x.end()));
  EXPECT_EQ(count, static_cast<unsigned long long>(n));
  EXPECT_EQ(dsum, ref_sum);
  EXPECT_NEAR(sum, ref_sum, ref_sum * 1e-6);
}

TEST(EmuScheduler, ThreadOrderExposesAMissingBarrier) {
  const int block = 64;
  std::vector<std::vector<int>> racy, fixed;
  int salt = 0;
  for (const ThreadOrder& order : all_orders()) {
    cutrain::emu::ScopedThreadOrder scoped(order);
    std::vector<int> out(block, -1);
    salt += 1000;
    emu_test::neighbour(out.data(), block, false, salt, nullptr);
    racy.push_back(out);
    salt += 1000;
    emu_test::neighbour(out.data(), block, true, salt, nullptr);
    fixed.push_back(out);
    // With the barrier every order gives s[(t+1) % n] = (t+1) % n + salt.
    for (int t = 0; t < block; ++t) EXPECT_EQ(out[static_cast<std::size_t>(t)], (t + 1) % block + salt);
  }
  // Without it the result depends on the order: forward, reverse and random
  // disagree, so running tests under several orders catches the race.
  EXPECT_NE(racy[0], racy[1]);
  EXPECT_NE(racy[0], racy[2]);
  EXPECT_NE(racy[1], racy[2]);
}

TEST(EmuScheduler, DivergentBarrierIsAnErrorNotAHang) {
  const std::string err = error_of([] { emu_test::divergent_barrier(64, 16, nullptr); });
  EXPECT_NE(err.find("divergent_kernel"), std::string::npos) << err;
  EXPECT_NE(err.find("divergent __syncthreads"), std::string::npos) << err;
  EXPECT_NE(err.find("16 have exited"), std::string::npos) << err;
  // The scheduler is usable afterwards.
  emu_test::divergent_barrier(64, 0, nullptr);
}

TEST(EmuScheduler, ShuffleWithAnExitedLaneIsAnError) {
  std::vector<float> out(32);
  const std::string err = error_of([&] { emu_test::shuffle_with_exited_lane(out.data(), nullptr); });
  EXPECT_NE(err.find("shuffle_exited_kernel"), std::string::npos) << err;
  EXPECT_NE(err.find("__shfl_down_sync"), std::string::npos) << err;
  EXPECT_NE(err.find("has exited"), std::string::npos) << err;
}

TEST(EmuScheduler, SyncthreadsCountAndOr) {
  for (int block : {1, 30, 64, 1000}) {
    int out[3] = {-1, -1, -1};
    emu_test::sync_votes(out, block, nullptr);
    EXPECT_EQ(out[0], (block + 2) / 3);
    EXPECT_EQ(out[1], block == 1 ? 1 : 0);
    EXPECT_EQ(out[2], 1);
  }
}

TEST(EmuScheduler, BadLaunchConfigurationsAreRejected) {
  struct Case {
    unsigned g[3], b[3];
    std::size_t smem;
    const char* why;
  };
  const Case cases[] = {
      {{1, 1, 1}, {1025, 1, 1}, 0, "threads per block"},
      {{1, 1, 1}, {32, 32, 2}, 0, "threads per block"},
      {{1, 1, 1}, {1, 1, 65}, 0, "block z"},
      {{0, 1, 1}, {32, 1, 1}, 0, "> 0"},
      {{1, 1, 1}, {32, 0, 1}, 0, "> 0"},
      {{1, 65536, 1}, {32, 1, 1}, 0, "grid"},
      {{1, 1, 65536}, {32, 1, 1}, 0, "grid"},
      {{1, 1, 1}, {32, 1, 1}, 48 * 1024 + 1, "limit"},
  };
  for (const Case& c : cases) {
    const std::string err =
        error_of([&] { emu_test::empty(c.g[0], c.g[1], c.g[2], c.b[0], c.b[1], c.b[2], c.smem, nullptr); });
    EXPECT_NE(err.find("empty_kernel"), std::string::npos) << err;
    EXPECT_NE(err.find("invalid launch configuration"), std::string::npos) << err;
    EXPECT_NE(err.find(c.why), std::string::npos) << err;
  }
  emu_test::empty(1, 1, 1, 32, 32, 1, 48 * 1024, nullptr);  // the limits themselves are fine
}

TEST(EmuScheduler, ExceptionInAKernelIsRethrownFromTheLaunch) {
  const std::string err = error_of([] { emu_test::throws(3, 64, 1, 5, nullptr); });
  EXPECT_NE(err.find("throws_kernel"), std::string::npos) << err;
  EXPECT_NE(err.find("boom"), std::string::npos) << err;
  EXPECT_NE(err.find("block (1,0,0) thread (5,0,0)"), std::string::npos) << err;
}

TEST(EmuScheduler, LaunchesRunInStreamOrderAndErrorsSurfaceAtSynchronize) {
  cutrain::Stream stream = cutrain::make_cpu_stream({});
  const cudaStream_t h = cutrain::emu::stream_handle(stream);
  const int blocks = 4, block = 256;
  float* x = static_cast<float*>(cutrain::emu::device_malloc(blocks * block * sizeof(float)));
  float* out = static_cast<float*>(cutrain::emu::device_malloc(blocks * sizeof(float)));
  std::vector<float> host(blocks * block, 1.0f), result(blocks, 0.0f);
  cutrain::emu::memcpy_async(x, host.data(), host.size() * sizeof(float), h);
  cutrain::emu::memset_async(out, 0, blocks * sizeof(float), h);
  emu_test::block_reduce(x, out, blocks, block, h);
  cutrain::emu::memcpy_async(result.data(), out, blocks * sizeof(float), h);
  cutrain::emu::stream_synchronize(h);
  for (float r : result) EXPECT_EQ(r, static_cast<float>(block));
  emu_test::throws(1, 32, 0, 3, h);  // queued: the error comes at synchronize
  const std::string err = error_of([&] { cutrain::emu::stream_synchronize(h); });
  EXPECT_NE(err.find("boom"), std::string::npos) << err;
  cutrain::emu::device_free(x);
  cutrain::emu::device_free(out);
}

TEST(EmuScheduler, MultiDimensionalIndices) {
  const unsigned bx = 8, by = 4, gy = 3;
  std::vector<int> out(bx * by * gy, -1);
  emu_test::indices_2d(out.data(), bx, by, gy, nullptr);
  for (unsigned g = 0; g < gy; ++g)
    for (unsigned y = 0; y < by; ++y)
      for (unsigned x = 0; x < bx; ++x)
        EXPECT_EQ(out[g * bx * by + y * bx + x], static_cast<int>(x + 1000 * y + 1000000 * g));
}

TEST(EmuScheduler, ThreadOrderParsing) {
  EXPECT_EQ(ThreadOrder::parse("forward").kind, ThreadOrder::forward);
  EXPECT_EQ(ThreadOrder::parse("reverse").kind, ThreadOrder::reverse);
  EXPECT_EQ(ThreadOrder::parse("random:42").seed, 42u);
  EXPECT_EQ(ThreadOrder::parse("random:42").str(), "random:42");
  EXPECT_THROW(ThreadOrder::parse("sideways"), cutrain::Error);
  EXPECT_THROW(ThreadOrder::parse("random:x"), cutrain::Error);
}

// Prints the cost of a barrier: nanoseconds per emulated thread per barrier.
TEST(EmuScheduler, BarrierCost) {
  const int blocks = 4, block = 256, iters = 200;
  std::vector<int> out(blocks);
  const auto before = cutrain::emu::scheduler_stats();
  const auto t0 = std::chrono::steady_clock::now();
  emu_test::barriers(blocks, block, iters, out.data(), nullptr);
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  const auto after = cutrain::emu::scheduler_stats();
  EXPECT_EQ(after.barriers - before.barriers, static_cast<uint64_t>(blocks * iters));
  EXPECT_EQ(out[0], iters * (block - 1));
  std::printf("[ emu cost ] %.1f ns per thread per __syncthreads (%d threads x %d barriers x %d blocks)\n",
              ns / (static_cast<double>(blocks) * block * iters), block, iters, blocks);
}

}  // namespace
