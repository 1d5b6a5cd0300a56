// Graph builder of the cast op (its definition: cutrain/ops/cast.h).
#pragma once

#include "cutrain/graph/graph.h"
#include "cutrain/ops/cast.h"

namespace cutrain::graph {

// x converted to `to`; x itself when it already has that dtype, and the
// source of a cast chain whose round trip is exact (cast(cast(x, f32), f16)
// of an f16 x is x: widening loses nothing), so builders and the autocast
// pass never stack redundant casts.
Value cast(Value x, DType to);

}  // namespace cutrain::graph
