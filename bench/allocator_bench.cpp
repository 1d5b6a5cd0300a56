// Cached alloc+free pair vs raw malloc/free of the same sizes: a mix of
// Inception V3 activation sizes (batch 32, f32), reported as ns per pair.
// Target: the cached path under 200 ns on the 2-core CI machine. Time per
// iteration is the time per pair.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "cutrain/core/backend.h"
#include "cutrain/core/caching_allocator.h"

using namespace cutrain;

namespace {

// Bytes of representative activations (NHWC f32, batch 32) at 299x299 input.
std::vector<std::size_t> inception_sizes() {
  const std::size_t n = 32 * 4;
  return {n * 149 * 149 * 32, n * 147 * 147 * 64, n * 73 * 73 * 80,  n * 35 * 35 * 288,
          n * 35 * 35 * 64,   n * 17 * 17 * 768,  n * 17 * 17 * 192, n * 8 * 8 * 2048,
          n * 8 * 8 * 384,    n * 2048,           n * 1001,          4 * 192,
          4 * 768 * 192,      4 * 3 * 3 * 288 * 384};
}

void BM_CachedAllocFreePair(benchmark::State& state) {
  CachingAllocator alloc(make_host_raw_allocator(), [] { return Event::create(Device::cpu()); });
  const Stream s = make_cpu_stream({.threaded = false});
  const auto sizes = inception_sizes();
  for (std::size_t sz : sizes) alloc.deallocate(alloc.allocate(sz, s));  // warm the cache
  std::size_t i = 0;
  for (auto _ : state) {
    void* p = alloc.allocate(sizes[i], s);
    benchmark::DoNotOptimize(p);
    alloc.deallocate(p);
    i = i + 1 == sizes.size() ? 0 : i + 1;
  }
}
BENCHMARK(BM_CachedAllocFreePair);

void BM_RawMallocFreePair(benchmark::State& state) {
  const auto sizes = inception_sizes();
  std::size_t i = 0;
  for (auto _ : state) {
    void* p = std::malloc(sizes[i]);
    benchmark::DoNotOptimize(p);
    std::free(p);
    i = i + 1 == sizes.size() ? 0 : i + 1;
  }
}
BENCHMARK(BM_RawMallocFreePair);

}  // namespace
