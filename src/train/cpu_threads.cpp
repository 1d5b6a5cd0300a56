#include <omp.h>

#include <thread>

#include "cutrain/core/error.h"
#include "cutrain/train/model.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace cutrain::train {

void set_cpu_threads(int threads) {
  CUTRAIN_CHECK(threads > 0, "thread count must be positive, got ", threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

// Measured with the main job (Inception V3 at depth 0.25, 75x75, batch 32,
// Adam, 150 steps) on the 2-core development machine, seconds per 150 steps:
//   1 thread:  1 stream 11.1, 2 streams 9.9, 4 streams 9.0
//   2 threads: 1 stream 13.9, 4 streams 22.6
// (bench/results/2026-12-04-cpu-streams.md). With one thread per op the
// stream threads run independent branches on the idle cores; with more, the
// streams and the OpenMP/BLAS teams fight over the same cores. History is
// bitwise the same for any stream count (the thread count changes BLAS's
// summation order, so it is the user's choice, not ours).
int default_streams(Device device) {
  if (!device.is_cpu()) return 4;
  return omp_get_max_threads() == 1 && std::thread::hardware_concurrency() > 1 ? 4 : 1;
}

}  // namespace cutrain::train
