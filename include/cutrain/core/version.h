// Library version and build facts, for `cutrain --version` and bug reports.
#pragma once

#include <string>

namespace cutrain {

std::string version();        // "0.1.0"
std::string build_info();     // compiler, CUDA and cuDNN versions compiled against, BLAS
bool built_with_cuda();

}  // namespace cutrain
