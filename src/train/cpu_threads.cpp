#include <omp.h>

#include "cutrain/core/error.h"
#include "cutrain/train/model.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace cutrain::train {

void set_cpu_threads(int threads) {
  CUTRAIN_CHECK(threads > 0, "thread count must be positive, got ", threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

}  // namespace cutrain::train
