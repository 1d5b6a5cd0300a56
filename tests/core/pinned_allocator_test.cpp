// The pinned pool is a caching allocator over a pinned raw source: batches
// land in it, freed blocks are reused without new raw allocations, and the
// loader can allocate from it on many threads. A counting fake stands in for
// cudaHostAlloc (tests/gpu has the device test).
#include "cutrain/core/pinned_allocator.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "cutrain/core/backend.h"
#include "cutrain/data/loader.h"

namespace cutrain {
namespace {

Event cpu_event() { return backend_for(Device::cpu()).create_event(0); }

TEST(PinnedPool, TensorsComeFromTheRawSourceAndAreReused) {
  auto raw = std::make_shared<CountingAllocator>(SIZE_MAX, /*backed=*/true);
  {
    PinnedPool pool(raw, cpu_event);
    EXPECT_EQ(pool.source_name(), "counting");
    {
      Tensor a = pool.empty({32, 75, 75, 3}, DType::f32);
      ASSERT_TRUE(a.device().is_cpu());
      ASSERT_TRUE(a.is_contiguous());
      a.fill(1.5);  // host memory: writable
      EXPECT_EQ(a.flat(123), 1.5);
      EXPECT_EQ(raw->allocations(), 1u);
      EXPECT_GE(raw->outstanding_bytes(), a.nbytes());
    }
    // Freed into the cache, not to the source; the same size is reused.
    EXPECT_EQ(raw->deallocations(), 0u);
    Tensor b = pool.empty({32, 75, 75, 3}, DType::f32);
    EXPECT_EQ(raw->allocations(), 1u);
    EXPECT_EQ(pool.allocator().stats().allocated_bytes.current, static_cast<int64_t>(round_allocation_size(b.nbytes())));
  }
  // The pool's end returns everything to the source.
  EXPECT_EQ(raw->outstanding_bytes(), 0u);
  EXPECT_EQ(raw->deallocations(), raw->allocations());
}

TEST(PinnedPool, LoaderBatchesLandInThePoolFromManyWorkers) {
  auto raw = std::make_shared<CountingAllocator>(SIZE_MAX, true);
  PinnedPool pool(raw, cpu_event);
  data::SyntheticOptions so;
  so.size = 96;
  so.height = so.width = 8;
  so.channels = 3;
  auto ds = std::make_shared<data::SyntheticDataset>(so);
  data::LoaderOptions lo{.batch_size = 8, .num_workers = 4, .prefetch = 3, .seed = 1};
  lo.allocate = [&pool](const Shape& s, DType t) { return pool.empty(s, t); };
  data::Loader loader(ds, data::inception_train_transform(8), lo);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    while (auto b = loader.next()) {
      EXPECT_EQ(b->images.storage()->bytes(), b->images.nbytes());
      EXPECT_GT(pool.allocator().block_size(b->images.raw_data()), 0u);  // throws if not the pool's
    }
  }
  // At most the batches in flight at once were ever allocated from the source.
  const std::size_t after_three_epochs = raw->allocations();
  EXPECT_GT(after_three_epochs, 0u);
  EXPECT_LE(after_three_epochs, 2u * (4 + 3 + 1));
  EXPECT_GT(pool.allocator().stats().requests, static_cast<int64_t>(after_three_epochs));
}

TEST(PinnedPool, RejectsADeviceSourceAndCpuBatchesSkipIt) {
  class DeviceFake final : public RawAllocator {
   public:
    void* allocate(std::size_t) override { return nullptr; }
    void deallocate(void*, std::size_t) override {}
    Device device() const override { return Device::cuda(0); }
    std::string name() const override { return "device fake"; }
  };
  EXPECT_THROW(PinnedPool(std::make_shared<DeviceFake>(), cpu_event), Error);
  // Batches for the CPU are plain host tensors, not from the process pool.
  const Tensor t = batch_allocator_for(Device::cpu())({4}, DType::f32);
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_GT(backend_for(Device::cpu()).allocator(0).block_size(t.raw_data()), 0u);
}

}  // namespace
}  // namespace cutrain
