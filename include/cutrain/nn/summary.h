// A Keras-like summary of a Model: one row per endpoint (output shape and the
// parameters created in its scope), then the totals.
#pragma once

#include <string>

#include "cutrain/nn/model.h"

namespace cutrain::nn {

std::string summary(const Model& model);

// 27145970 -> "27,145,970"
std::string group_thousands(int64_t n);

}  // namespace cutrain::nn
