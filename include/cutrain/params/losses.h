// How weighted_loss_reduce divides the weighted sum of per-sample losses:
// parsed once by the op from its `mode` attribute, taken by the CPU and CUDA kernels.
#pragma once

namespace cutrain::params {

enum class LossReduction { sum_over_batch_size, mean_weighted, sum };

}  // namespace cutrain::params
