// The CUDA device backend on a real GPU: device report, streams and events,
// the caching allocator over cudaMalloc, tensor round trips.
#include <gtest/gtest.h>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"
#include "cutrain/core/tensor.h"
#include "gpu_test_util.h"

using namespace cutrain;

TEST(CudaBackend, ReportsTheDevice) {
  CUTRAIN_REQUIRE_GPU();
  bool found = false;
  for (const auto& d : devices())
    if (d.device == Device::cuda(0)) {
      found = d.available;
      EXPECT_NE(d.description.find("sm_"), std::string::npos) << d.description;
    }
  EXPECT_TRUE(found);
}

TEST(CudaBackend, TensorRoundTripAndFill) {
  CUTRAIN_REQUIRE_GPU();
  const Stream s = Stream::create(Device::cuda(0));
  Tensor h = Tensor::empty({1000, 33}, DType::f32);
  h.uniform(-1, 1, 5);
  Tensor d = h.to(Device::cuda(0), s);
  Tensor back = d.to(Device::cpu(), s);
  s.synchronize();
  EXPECT_EQ(max_abs_diff(h, back), 0.0);
  Tensor z = Tensor::full({77}, DType::f64, 2.5, Device::cuda(0), s);
  Tensor zh = z.to(Device::cpu(), s);
  for (double v : zh.to_vector()) EXPECT_EQ(v, 2.5);
}

TEST(CudaBackend, EventsOrderStreams) {
  CUTRAIN_REQUIRE_GPU();
  const Stream a = Stream::create(Device::cuda(0)), b = Stream::create(Device::cuda(0));
  Tensor src = Tensor::full({1 << 22}, DType::f32, 1.0, Device::cuda(0), a);
  Tensor dst = Tensor::empty({1 << 22}, DType::f32, Device::cuda(0), a);
  Event e = Event::create(Device::cuda(0));
  e.record(a);
  b.wait(e);
  dst.copy_from(src, b);
  Tensor h = dst.to(Device::cpu(), b);
  EXPECT_EQ(h.flat((1 << 22) - 1), 1.0);
  EXPECT_TRUE(e.query());
}

TEST(CudaBackend, AllocatorReusesAndRecordsStreams) {
  CUTRAIN_REQUIRE_GPU();
  CachingAllocator& alloc = backend_for(Device::cuda(0)).allocator(0);
  const Stream a = Stream::create(Device::cuda(0)), b = Stream::create(Device::cuda(0));
  void* p = alloc.allocate(3 << 20, a);
  alloc.record_stream(p, b);
  alloc.deallocate(p);
  b.synchronize();
  a.synchronize();
  void* q = alloc.allocate(3 << 20, a);
  EXPECT_EQ(p, q) << "after both streams passed, the block is reusable";
  alloc.deallocate(q);
  const auto st = alloc.stats();
  EXPECT_GE(st.cache_hits, 1);
  alloc.empty_cache();
}

TEST(CudaBackend, OomMessageStatesTheNumbers) {
  CUTRAIN_REQUIRE_GPU();
  CachingAllocator& alloc = backend_for(Device::cuda(0)).allocator(0);
  const Stream s = Stream::create(Device::cuda(0));
  try {
    alloc.allocate(std::size_t{1} << 50, s);  // 1 PiB
    FAIL();
  } catch (const OutOfMemoryError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("out of memory on cuda:0 (cudaMalloc): tried to allocate"), std::string::npos) << m;
    EXPECT_NE(m.find("fragmentation"), std::string::npos) << m;
    EXPECT_NE(m.find(" free;"), std::string::npos) << m;
  }
}
