// Model::load's check that a checkpoint holds nothing the model would
// silently ignore: a tensor of another architecture, a misspelled name, a
// slot of another optimizer. Each is an error naming the tensors.
#include <set>

#include "cutrain/core/error.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/model.h"

namespace cutrain::train {

void Model::check_no_unexpected_tensors(const CheckpointState& st, const std::string& path,
                                        bool weights_only) const {
  std::set<std::string> known;
  for (const auto* names : {&param_names_, &state_names_, &ema_names_})
    for (const std::string& n : *names) known.insert(checkpoint_name(n));
  for (const std::string& n : slot_names_) known.insert("optimizer." + checkpoint_name(n));
  if (options_.accumulate_steps > 1) known.insert(kMicroStepTensor);
  std::vector<std::string> unexpected;
  for (const auto& [name, _] : st.weights) {
    // Parameter averages are optional: a model without an EMA ignores them.
    if (ema_names_.empty() && name.rfind("ema.", 0) == 0) continue;
    if (!known.count(name)) unexpected.push_back(name);
  }
  // Slots matter only when they are restored.
  if (!weights_only && !st.weights_only)
    for (const auto& [name, _] : st.optimizer)
      if (!known.count(name)) unexpected.push_back(name);
  if (unexpected.empty()) return;
  std::string list;
  for (size_t i = 0; i < unexpected.size() && i < 8; ++i) list += (i ? ", '" : "'") + unexpected[i] + "'";
  if (unexpected.size() > 8) list += ", ... (" + std::to_string(unexpected.size()) + " in all)";
  CUTRAIN_THROW("checkpoint '", path, "' has tensors the model does not have: ", list,
                " (a checkpoint of another model or configuration?)");
}

}  // namespace cutrain::train
