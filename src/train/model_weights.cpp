// Model: its weights in and out: snapshots (get_weights / set_weights, the
// averaged ones), the L2 term, and restoring a checkpoint (load).
#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/model_config.h"
#include "step_graph.h"

namespace cutrain::train {

WeightSnapshot Model::get_weights() const {
  WeightSnapshot out;
  for (const auto* names : {&param_names_, &state_names_})
    for (const std::string& n : *names) out.push_back(leaves_.at(n).to(Device::cpu(), stream()));
  return out;
}

std::vector<std::string> Model::weight_names() const {
  std::vector<std::string> out = param_names_;
  out.insert(out.end(), state_names_.begin(), state_names_.end());
  return out;
}

WeightSnapshot Model::averaged_weights() const {
  WeightSnapshot out;
  for (size_t i = 0; i < param_names_.size(); ++i)
    out.push_back(leaves_.at(ema_names_.empty() ? param_names_[i] : ema_names_[i]).to(Device::cpu(), stream()));
  for (const std::string& n : state_names_) out.push_back(leaves_.at(n).to(Device::cpu(), stream()));
  return out;
}

void Model::set_weights(const WeightSnapshot& weights) {
  CUTRAIN_CHECK(!ema_swap_.swapped(), "set_weights: the averaged weights are swapped in (evaluation running)");
  CUTRAIN_CHECK(weights.size() == param_names_.size() + state_names_.size(), "set_weights: got ",
                weights.size(), " tensors, the model has ", param_names_.size() + state_names_.size());
  size_t i = 0;
  for (const auto* names : {&param_names_, &state_names_})
    for (const std::string& n : *names) {
      Tensor& t = leaves_.at(n);
      CUTRAIN_CHECK(weights[i].shape() == t.shape(), "set_weights: '", n, "' is ", t.shape().str(),
                    ", got ", weights[i].shape().str());
      t.copy_from(weights[i].to(t.dtype()), stream());
      ++i;
    }
}

double Model::l2_term() const {
  double total = 0;
  for (const std::string& n : regularized_names_)
    for (double v : leaves_.at(n).to(Device::cpu(), stream()).to_vector()) total += v * v;
  return options_.weight_decay * total / 2;
}

void Model::load(const std::string& path, bool weights_only, bool verify) {
  restore(load_checkpoint(path, verify), path, weights_only);
}

void Model::restore(CheckpointState st, const std::string& path, bool weights_only) {
  check_config_losses_registered(st.config_json, path);
  if (weights_only) st.weights_only = true;
  CUTRAIN_CHECK(!ema_swap_.swapped(), "load: the averaged weights are swapped in (evaluation running)");
  StepGraph& s = graph_for(spec_.batch_size);
  // The EMA shadows live in the training part: build it to restore them.
  if ((!st.weights_only || options_.ema_decay > 0) && !s.has_train) build_train_part(s);
  check_no_unexpected_tensors(st, path, weights_only);
  auto restore = [&](const io::TensorMap& m, const std::string& graph_name, const std::string& prefix) {
    const std::string key = prefix + checkpoint_name(graph_name);
    auto it = m.find(key);
    CUTRAIN_CHECK(it != m.end(), "checkpoint '", path, "' has no tensor '", key, "'");
    Tensor& t = leaves_.at(graph_name);
    CUTRAIN_CHECK(it->second.shape() == t.shape() && it->second.dtype() == t.dtype(), "checkpoint '",
                  path, "': '", key, "' is ", dtype_name(it->second.dtype()), it->second.shape().str(),
                  ", the model has ", dtype_name(t.dtype()), t.shape().str());
    t.copy_from(it->second, stream());
  };
  for (const auto* names : {&param_names_, &state_names_})
    for (const std::string& n : *names) restore(st.weights, n, "");
  // A checkpoint without averages starts them at its weights.
  for (size_t i = 0; i < ema_names_.size(); ++i)
    if (st.weights.count(checkpoint_name(ema_names_[i])))
      restore(st.weights, ema_names_[i], "");
    else
      leaves_.at(ema_names_[i]).copy_from(leaves_.at(param_names_[i]), stream());
  if (st.weights_only) return;
  if (!st.optimizer_name.empty())
    CUTRAIN_CHECK(st.optimizer_name == optimizer_name(options_.optimizer.kind), "checkpoint '", path,
                  "' was trained with ", st.optimizer_name, ", the model is compiled with ",
                  optimizer_name(options_.optimizer.kind));
  for (const std::string& n : slot_names_) restore(st.optimizer, n, "optimizer.");
  micro_step_ = 0;
  if (options_.accumulate_steps > 1) {
    auto it = st.optimizer.find(kMicroStepTensor);
    if (it != st.optimizer.end()) {
      const double v = it->second.item();
      CUTRAIN_CHECK(v >= 0 && v < static_cast<double>(options_.accumulate_steps) && v == std::floor(v),
                    "checkpoint '", path, "': ", kMicroStepTensor, " is ", v, ", the model accumulates ",
                    options_.accumulate_steps, " micro-batches");
      micro_step_ = static_cast<int64_t>(v);
    }
  }
  step_ = st.step;
  last_epoch_ = st.epoch;
  epoch_ = st.epoch + 1;
  lr_override_ = st.lr_override;
}

}  // namespace cutrain::train
