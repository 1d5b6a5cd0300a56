// Splitting CPU reference loops over OpenMP threads without changing a bit
// of their results: elementwise loops by element (no reductions), and
// per-channel reductions by channel (every channel is still summed over its
// rows in order by one thread), so the answer does not depend on the thread
// count.
#pragma once

#include <omp.h>

#include <cstdint>

namespace cutrain::cpu {

// Below this many elements a loop is not worth waking the OpenMP team for.
constexpr int64_t kParallelGrain = int64_t{1} << 15;

// f(c0, c1) for disjoint channel ranges covering [0, c), one per thread when
// `work` (elements touched) is large enough, else f(0, c) on this thread.
template <typename F>
void for_channel_ranges(int64_t c, int64_t work, F&& f) {
  if (work < kParallelGrain || c < 2 || omp_get_max_threads() < 2) {
    f(int64_t{0}, c);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t c0 = c * t / nt, c1 = c * (t + 1) / nt;
    if (c0 < c1) f(c0, c1);
  }
}

}  // namespace cutrain::cpu
