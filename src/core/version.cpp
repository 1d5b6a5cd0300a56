#include "cutrain/core/version.h"

#include "cutrain/core/error.h"

#ifndef CUTRAIN_VERSION
#define CUTRAIN_VERSION "0.0.0"
#endif
#ifndef CUTRAIN_WITH_CUDA
#define CUTRAIN_WITH_CUDA 0
#endif

namespace cutrain {

std::string version() { return CUTRAIN_VERSION; }

bool built_with_cuda() { return CUTRAIN_WITH_CUDA != 0; }

std::string build_info() {
  std::string s = detail::concat("compiler: g++ ", __VERSION__, "\n");
#if CUTRAIN_WITH_CUDA
  s += detail::concat("CUDA: built with toolkit ", CUTRAIN_CUDA_VERSION, ", cuDNN ", CUTRAIN_CUDNN_VERSION,
                      ", archs sm_", CUTRAIN_CUDA_ARCHS, "\n");
#else
  s += "CUDA: not built (CPU backend only)\n";
#endif
  s += "BLAS: OpenBLAS\n";
  return s;
}

}  // namespace cutrain
