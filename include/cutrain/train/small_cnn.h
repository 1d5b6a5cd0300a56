// small_cnn lives in nn (nn/small_cnn.h); this header keeps code written
// against the installed package's train::small_cnn compiling.
#pragma once

#include "cutrain/nn/small_cnn.h"

namespace cutrain::train {

using nn::small_cnn;
using nn::small_cnn_builder;
using nn::SmallCnnOptions;

}  // namespace cutrain::train
