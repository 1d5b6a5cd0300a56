// An nn::Model re-built under a mixed-precision policy (graph/autocast.h):
// its graph replaced by the autocast copy and every value it names mapped
// into it; logits, aux logits and predictions delivered in f32. For the
// shape-only uses of a model (summary --plan, plan tests); a trained model
// goes through CompileOptions::precision instead.
#pragma once

#include "cutrain/graph/autocast.h"
#include "cutrain/nn/model.h"

namespace cutrain::nn {

graph::AutocastReport autocast_model(Model& m, DType low, DeviceType device);

}  // namespace cutrain::nn
