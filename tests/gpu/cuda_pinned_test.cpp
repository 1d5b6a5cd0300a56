// The pinned pool on a real GPU: its source is cudaHostAlloc once the CUDA
// backend is up, uploads from it are asynchronous, and a block freed while
// its upload may still run is not handed out again before the copy ends.
#include <gtest/gtest.h>

#include "cutrain/core/backend.h"
#include "cutrain/core/pinned_allocator.h"
#include "cutrain/core/tensor.h"
#include "gpu_test_util.h"

using namespace cutrain;

TEST(CudaPinned, PoolIsPageLockedAndUploadsKeepTheirSource) {
  CUTRAIN_REQUIRE_GPU();  // brings up the CUDA backend, which registers the pinned source
  PinnedPool& pool = pinned_pool();
  EXPECT_EQ(pool.source_name(), "cudaHostAlloc");
  const Stream copy = Stream::create(Device::cuda(0));
  const int64_t n = 1 << 22;  // 16 MiB: long enough for the copy to be in flight
  std::vector<Tensor> on_device;
  for (int round = 0; round < 4; ++round) {
    Tensor host = batch_allocator_for(Device::cuda(0))({n}, DType::f32);
    host.fill(static_cast<double>(round));
    on_device.push_back(host.to(Device::cuda(0), copy));
    // `host` goes back to the pool here, its upload possibly still running;
    // the next round's block must not be this one until the copy is done.
  }
  copy.synchronize();
  for (int round = 0; round < 4; ++round) {
    const Tensor back = on_device[static_cast<std::size_t>(round)].to(Device::cpu(), copy);
    EXPECT_EQ(back.flat(0), round);
    EXPECT_EQ(back.flat(n - 1), round);
  }
  EXPECT_GE(pool.allocator().stats().requests, 4);
}
