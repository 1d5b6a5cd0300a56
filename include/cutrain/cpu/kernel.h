// Checks shared by the CPU reference kernels. (Binding a kernel to an op, in
// stream order, is the ops layer's: ops/cpu_kernel.h.)
#pragma once

#include <string>
#include <vector>

#include "cutrain/core/tensor.h"

namespace cutrain::cpu {

// Checks shared by CPU kernels: defined, on the CPU, contiguous.
void require_cpu_contiguous(const std::string& op, const std::vector<Tensor>& tensors);

}  // namespace cutrain::cpu
