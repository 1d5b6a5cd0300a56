// Graph builders of the inception_concat ops.
#include "cutrain/graph/ops/inception_concat.h"

#include "cutrain/core/error.h"

namespace cutrain::graph {

Value inception_concat(const std::vector<Value>& branches, bool relu, const std::vector<Value>& scale,
                       const std::vector<Value>& shift, const std::vector<Value>& center) {
  CUTRAIN_CHECK(!branches.empty(), "inception_concat: no branches");
  CUTRAIN_CHECK(scale.size() == shift.size() && (scale.empty() || scale.size() == branches.size()),
                "inception_concat: give one scale and one shift per branch, or none");
  CUTRAIN_CHECK(center.empty() || center.size() == scale.size(),
                "inception_concat: give one centre per branch (with scales and shifts), or none");
  std::vector<Value> in = branches;
  in.insert(in.end(), scale.begin(), scale.end());
  in.insert(in.end(), shift.begin(), shift.end());
  in.insert(in.end(), center.begin(), center.end());
  return branches[0].graph->apply1("inception_concat", in,
                                   {{"relu", relu}, {"affine", !scale.empty()}, {"center", !center.empty()}});
}

}  // namespace cutrain::graph
