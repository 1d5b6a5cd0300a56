// Model: the feeds of a step (images, targets, per-output sample weights,
// each converted once to the compiled dtype) and the logs read from its
// fetched outputs (losses, metrics).
#include <algorithm>
#include <cmath>

#include "cutrain/core/error.h"
#include "cutrain/core/pinned_allocator.h"
#include "cutrain/train/metric_set.h"
#include "cutrain/train/metrics.h"
#include "step_graph.h"

namespace cutrain::train {

Logs Model::metric_logs(const Tensor& logits, const Tensor& labels, const Tensor& weights) const {
  Logs logs;
  const std::vector<double> w = weights.to_vector();
  auto weighted = [&](const std::vector<double>& hits) {
    double num = 0, den = 0;
    for (size_t i = 0; i < hits.size(); ++i) {
      num += hits[i] * w[i];
      den += w[i];
    }
    return den > 0 ? num / den : 0.0;
  };
  for (const std::string& m : options_.metrics) {
    if (m == "accuracy") logs.set("accuracy", weighted(sparse_categorical_hits(logits, labels)));
    if (m == "top_k" || m == "top5") {
      const int k = m == "top5" ? 5 : options_.top_k;
      logs.set(m == "top5" ? "top5_accuracy" : "top_k_categorical_accuracy",
               weighted(sparse_top_k_hits(logits, labels, k)));
    }
  }
  return logs;
}

Tensor Model::make_weights(std::span<const double> w, int64_t n) const {
  std::vector<double> v(static_cast<size_t>(n), 1.0);
  if (!w.empty()) {
    CUTRAIN_CHECK(static_cast<int64_t>(w.size()) == n, "got ", w.size(), " weights for ", n, " samples");
    v.assign(w.begin(), w.end());
  }
  Tensor t = Tensor::from_vector({n}, v, options_.dtype);
  if (options_.device.is_cpu()) return t;
  Tensor pinned = batch_allocator_for(options_.device)(t.shape(), t.dtype());  // its upload does not block
  pinned.copy_from(t, Stream::default_stream(Device::cpu()));  // host to pinned host
  return pinned;
}

std::vector<std::string> Model::output_names() {
  if (output_names_.empty()) graph_for(spec_.batch_size);
  return output_names_;
}

Targets Model::labels_for_all(const Tensor& labels) {
  const std::vector<std::string> names = output_names();
  Targets t;
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    if (options_.losses[i].target == TargetKind::input) continue;
    CUTRAIN_CHECK(options_.losses[i].target == TargetKind::labels, "output '", names[i],
                  "' has a tensor target: pass targets by output name (Targets)");
    CUTRAIN_CHECK(labels.defined(), "output '", names[i], "' needs labels");
    t[names[i]] = labels;
  }
  return t;
}

std::vector<std::pair<graph::Value, Tensor>> Model::feeds(StepGraph& s, const Tensor& images,
                                                          const Targets& targets, const Tensor& weights,
                                                          const OutputClassWeights& cw) {
  const int64_t b = images.dim(0);
  const std::vector<std::string>& names = output_names_;
  for (const auto& [name, t] : targets)
    CUTRAIN_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "targets for '", name,
                  "', but the model has no output of that name");
  for (const auto& [name, w] : cw)
    CUTRAIN_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "class weights for '", name,
                  "', but the model has no output of that name");
  // Host weights of the right type (fit's, from the pinned pool on a GPU) go as they are: a converted
  // copy would be pageable, and its upload would wait for the stream.
  const bool as_is = weights.defined() && weights.device().is_cpu() && weights.dtype() == options_.dtype;
  const Tensor w = as_is ? weights
                   : weights.defined() ? on_host(weights).to(options_.dtype)
                                       : make_weights({}, b);
  std::vector<std::pair<graph::Value, Tensor>> f{
      {s.net.input, images.dtype() == options_.dtype ? images : images.to(options_.dtype)}};
  for (size_t i = 0; i < s.heads.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    const StepGraph::Head& h = s.heads[i];
    Tensor target;
    if (l.target != TargetKind::input) {
      auto it = targets.find(names[i]);
      CUTRAIN_CHECK(it != targets.end(), "no target for output '", names[i], "' (loss '", l.name, "', ",
                    target_kind_name(l.target), " target)");
      const DType dt = l.target == TargetKind::labels ? DType::i32 : options_.dtype;
      target = it->second.dtype() == dt ? it->second : it->second.to(dt);
      CUTRAIN_CHECK(target.shape() == h.target.shape(), "the target of output '", names[i], "' must be ",
                    h.target.shape().str(), ", got ", target.shape().str());
      f.emplace_back(h.target, target);
    }
    auto c = cw.find(names[i]);
    if (c == cw.end() || c->second.empty()) {
      f.emplace_back(h.weights, w);
      continue;
    }
    CUTRAIN_CHECK(target.defined() && target.numel() == b, "class weights for output '", names[i],
                  "' need a labels target or one target value per sample");
    const Tensor ht = on_host(target);
    std::vector<double> wv = w.to_vector();
    for (int64_t n = 0; n < b; ++n) {
      auto cls = c->second.find(std::llround(ht.flat(n)));
      if (cls != c->second.end()) wv[static_cast<size_t>(n)] *= cls->second;
    }
    f.emplace_back(h.weights, Tensor::from_vector({b}, wv, options_.dtype));
  }
  if (s.sample_weights.defined()) f.emplace_back(s.sample_weights, w);
  return f;
}

Logs Model::step_logs(const StepGraph& s, const std::vector<Tensor>& out, const Targets& targets,
                      const Tensor& weights) const {
  Logs logs{{"loss", on_host(out[0]).item()}};
  size_t k = 1;
  if (s.heads.size() >= 2)
    for (size_t i = 0; i < s.heads.size(); ++i) logs.set(output_names_[i] + "_loss", on_host(out[k++]).item());
  const int mh = first_labels_head(options_.losses);
  if (!options_.metrics.empty() && mh >= 0) {
    const Tensor w = weights.defined() ? on_host(weights).to(options_.dtype)
                                       : make_weights({}, out[k].dim(0));
    const Tensor& labels = targets.at(output_names_[static_cast<size_t>(mh)]);
    logs.update(metric_logs(on_host(out[k]), labels.dtype() == DType::i32 ? labels : labels.to(DType::i32), w));
    ++k;
  }
  if (!metric_set_->empty()) {
    std::vector<Tensor> preds, truth;
    for (int h : metric_set_->heads()) {
      preds.push_back(on_host(out[k++]));
      truth.push_back(on_host(targets.at(output_names_[static_cast<size_t>(h)])));
    }
    const std::vector<double> w = weights.defined() ? on_host(weights).to_vector()
                                                    : std::vector<double>(static_cast<size_t>(preds[0].dim(0)), 1.0);
    logs.update(metric_set_->update(preds, truth, w));
  }
  return logs;
}

}  // namespace cutrain::train
