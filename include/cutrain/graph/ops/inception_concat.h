// Graph builders of the inception_concat ops (their definition: cutrain/ops/inception_concat.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/inception_concat.h"

namespace cutrain::graph {

// scale, shift: empty, or one per branch; center: empty, or one per branch
// (needs scale and shift).
Value inception_concat(const std::vector<Value>& branches, bool relu = false, const std::vector<Value>& scale = {},
                       const std::vector<Value>& shift = {}, const std::vector<Value>& center = {});

}  // namespace cutrain::graph
