// Parameters of batch_norm, parsed once by the op from its attributes and
// the context (training, unless the `inference` attr pins it), taken as they
// are by the CPU and CUDA kernels. Defaults are the op's (TF-slim's).
#pragma once

namespace cutrain::params {

struct BatchNorm {
  bool training = true;     // batch statistics (and running-average updates) rather than the running ones
  double epsilon = 0.001;
  double decay = 0.9997;    // running-average momentum
  bool stats_only = false;  // statistics only: the fused Inception concat applies them
};

}  // namespace cutrain::params
