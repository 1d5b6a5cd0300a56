// Model: the step graph of each batch size (step_graph.h), built on first
// use, and the leaves every graph shares.
#include <set>

#include "cutrain/core/error.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/ops/regularizers.h"
#include "cutrain/ops/op.h"
#include "cutrain/train/gradient_contract.h"
#include "cutrain/train/metric_set.h"
#include "model_precision.h"
#include "step_graph.h"

namespace cutrain::train {

int first_labels_head(const std::vector<LossSpec>& losses) {
  for (size_t i = 0; i < losses.size(); ++i)
    if (losses[i].target == TargetKind::labels) return static_cast<int>(i);
  return -1;
}

void Model::share_leaves(graph::Graph& g) {
  for (int i = 0; i < g.size(); ++i) {
    graph::Node& n = g.mutable_node(i);
    if (n.kind != graph::NodeKind::parameter && n.kind != graph::NodeKind::state) continue;
    auto it = leaves_.find(n.name);
    if (it != leaves_.end()) {
      CUTRAIN_CHECK(it->second.shape() == n.tensor.shape() && it->second.dtype() == n.tensor.dtype(),
                    "leaf '", n.name, "' differs between batch sizes: ", it->second.shape().str(), " vs ",
                    n.tensor.shape().str());
      n.tensor = it->second;
    } else {
      if (n.tensor.device() != options_.device || !n.tensor.is_contiguous())
        n.tensor = n.tensor.to(options_.device, stream());
      leaves_[n.name] = n.tensor;
    }
  }
}

Model::StepGraph& Model::graph_for(int64_t batch) {
  CUTRAIN_CHECK(compiled_, "the model must be compiled first");
  auto found = graphs_.find(batch);
  if (found != graphs_.end()) return *found->second;

  auto s = std::make_unique<StepGraph>();
  NetworkSpec ns = spec_;
  ns.batch_size = batch;
  if (graph_builder_) {
    OwnedNetwork own = graph_builder_(ns);
    CUTRAIN_CHECK(own.graph != nullptr, "the network builder returned no graph");
    s->g = std::move(own.graph);
    s->net = std::move(own.network);
  } else {
    s->g = std::make_unique<graph::Graph>(options_.seed);
    s->net = builder_(*s->g, ns);
  }
  apply_precision(options_.precision, options_.device, s->g, s->net, s->autocast);
  graph::Graph& g = *s->g;
  const Network& net = s->net;
  CUTRAIN_CHECK(!net.outputs.empty(), "the network has no outputs");
  CUTRAIN_CHECK(options_.losses.size() <= net.outputs.size(), "compile gave ", options_.losses.size(),
                " losses but the network has ", net.outputs.size(), " outputs");
  const Shape& in = net.input.shape();
  CUTRAIN_CHECK(in.rank() == 4 && in[0] == batch, "network input must be [", batch, ", H, W, C], got ",
                in.str());

  CUTRAIN_CHECK(!options_.losses.empty() || !net.losses.empty(),
                "compile: no losses were given and the network adds none (Network::losses); "
                "give CompileOptions::losses");
  std::vector<std::string> names = net.output_names;
  if (names.empty())
    for (size_t i = 0; i < net.outputs.size(); ++i) names.push_back("output_" + std::to_string(i));
  CUTRAIN_CHECK(names.size() == net.outputs.size(), "the network names ", names.size(), " of its ",
                net.outputs.size(), " outputs");
  CUTRAIN_CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size(),
                "the network's output names are not unique");

  std::vector<graph::Value> terms;
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    const graph::Value out = net.outputs[i];
    StepGraph::Head h;
    if (l.target == TargetKind::labels)
      h.target = g.input("labels", {Shape{batch}, DType::i32});
    else if (l.target == TargetKind::input)
      h.target = net.input;
    else
      h.target = g.input("targets", out.spec());
    h.weights = g.input("sample_weights", {Shape{batch}, options_.dtype});
    h.loss = graph::weighted_loss_reduce(per_sample_loss(l, out, h.target), h.weights);
    terms.push_back(l.weight == 1.0 ? h.loss : graph::scale(h.loss, l.weight));
    s->heads.push_back(h);
  }
  for (const graph::Value& v : net.losses) {
    const Shape& sh = v.shape();
    if (sh.rank() == 0) {
      terms.push_back(v);
      continue;
    }
    CUTRAIN_CHECK(sh.rank() == 1 && sh[0] == batch, "an added loss must be per sample [", batch,
                  "] or a scalar, got ", sh.str(), " (", v.name(), ")");
    if (!s->sample_weights.defined())
      s->sample_weights = g.input("added_loss_weights", {Shape{batch}, options_.dtype});
    terms.push_back(graph::weighted_loss_reduce(v, s->sample_weights));
  }
  if (options_.weight_decay > 0)
    for (const graph::Value& w : net.regularized) terms.push_back(graph::l2_loss(w, options_.weight_decay));
  s->loss = terms.size() == 1 ? terms[0] : graph::add_n(g, terms);
  s->eval_fetches = {s->loss};
  if (s->heads.size() >= 2)
    for (const StepGraph::Head& h : s->heads) s->eval_fetches.push_back(h.loss);
  const int mh = first_labels_head(options_.losses);
  if (!options_.metrics.empty() && mh >= 0) s->eval_fetches.push_back(net.outputs[static_cast<size_t>(mh)]);
  if (!metric_set_) metric_set_ = bind_metrics(options_.metrics, options_.output_metrics, names, options_.losses);
  for (int h : metric_set_->heads()) s->eval_fetches.push_back(net.outputs[static_cast<size_t>(h)]);

  if (graphs_.empty()) {
    for (const graph::Value& v : net.trainable) param_names_.push_back(g.node(v.node).name);
    for (const graph::Value& v : net.states) state_names_.push_back(g.node(v.node).name);
    for (const graph::Value& v : net.regularized) regularized_names_.push_back(g.node(v.node).name);
    output_names_ = names;
  }
  share_leaves(g);
  finish_precision(options_.precision, options_.device, g);
  s->exec = make_executor(g);
  return *graphs_.emplace(batch, std::move(s)).first->second;
}

std::unique_ptr<graph::PlannedExecutor> Model::make_executor(graph::Graph& g) const {
  graph::PlannedExecutorOptions eo;
  const int streams = options_.streams > 0 ? options_.streams : default_streams(options_.device);
  eo.streams = streams > 1;
  eo.max_streams = streams;
  eo.graph_replay = options_.graph_replay;
  eo.check_numerics = options_.check_numerics;
  return std::make_unique<graph::PlannedExecutor>(g, options_.device, eo);
}

void Model::build_train_part(StepGraph& s) {
  graph::Graph& g = *s.g;
  check_gradient_contract(g, s.loss, s.net.trainable, stderr_warning_sink());
  const bool scaled = options_.loss_scale.enabled();
  if (scaled) s.loss_scale = build_loss_scale(g, options_.loss_scale, options_.dtype);
  std::vector<graph::Value> grads =
      graph::gradients(g, scaled ? scale_loss(s.loss_scale, s.loss) : s.loss, s.net.trainable);
  // Accumulation: earlier micro-batches add into the accumulators; the last
  // takes their mean, which the rest of the step (all-reduce once, as DDP's
  // no_sync, unscale, clip, update) then sees as the batch's gradient.
  std::vector<graph::Value> accumulators, accumulate_tokens;
  if (options_.accumulate_steps > 1) {
    for (const graph::Value& p : s.net.trainable) {
      const Tensor& w = g.tensor_of(p);
      accumulators.push_back(g.state(g.node(p.node).name + "/grad_accum", Tensor::zeros(w.shape(), w.dtype())));
    }
    accumulate_tokens = graph::accumulate_gradient(accumulators, grads);
    grads = graph::take_accumulated(accumulators, grads, 1.0 / static_cast<double>(options_.accumulate_steps));
  }
  // Averaged over the ranks before clipping, as with DDP (clipping sees the global gradient).
  if (options_.communicator)
    grads = average_gradients(g, grads, options_.communicator, options_.bucket_bytes);
  // GradScaler.unscale_ comes after the all-reduce and before any clipping.
  if (scaled) grads = unscale(s.loss_scale, grads);
  if (options_.clip_global_norm > 0) grads = graph::clip_by_global_norm(grads, options_.clip_global_norm);
  if (options_.clip_value > 0) grads = graph::clip_by_value(grads, options_.clip_value);
  const graph::UpdateGuard guard = scaled ? s.loss_scale.guard() : graph::UpdateGuard{};
  s.opt = build_optimizer(g, options_.optimizer, s.net.trainable, grads, guard);
  if (slot_names_.empty()) {
    for (const graph::Value& v : s.opt.slots) slot_names_.push_back(g.node(v.node).name);
    if (scaled)
      for (const graph::Value& v : s.loss_scale.slots()) slot_names_.push_back(g.node(v.node).name);
    for (const graph::Value& v : accumulators) slot_names_.push_back(g.node(v.node).name);
  }
  // After the updates in graph order, so each average reads the updated weights.
  if (options_.ema_decay > 0) s.ema = build_ema(g, s.net.trainable, options_.ema_decay, guard);
  if (scaled) {
    std::vector<graph::Value> after = s.opt.tokens;
    after.insert(after.end(), s.ema.tokens.begin(), s.ema.tokens.end());
    s.loss_scale_token = update_scale(s.loss_scale, options_.loss_scale, after);
  }
  share_leaves(g);
  if (options_.ema_decay > 0 && ema_names_.empty()) {
    std::vector<std::pair<Tensor, Tensor>> pairs;
    for (size_t i = 0; i < s.ema.shadows.size(); ++i) {
      ema_names_.push_back(g.node(s.ema.shadows[i].node).name);
      pairs.emplace_back(leaves_.at(param_names_.at(i)), leaves_.at(ema_names_.back()));
    }
    ema_swap_.set_pairs(std::move(pairs));
  }
  s.train_fetches = s.eval_fetches;
  for (const graph::Value& t : s.opt.tokens) s.train_fetches.push_back(t);
  for (const graph::Value& t : s.ema.tokens) s.train_fetches.push_back(t);
  if (scaled) s.train_fetches.push_back(s.loss_scale_token);
  s.accumulate_fetches = s.eval_fetches;
  s.accumulate_fetches.insert(s.accumulate_fetches.end(), accumulate_tokens.begin(), accumulate_tokens.end());
  s.has_train = true;
  if (options_.communicator && !replicas_synced_) {
    std::vector<Tensor> replicated;
    for (const auto* names : {&param_names_, &state_names_})
      for (const std::string& n : *names) replicated.push_back(leaves_.at(n));
    broadcast_from_root(*options_.communicator, replicated);
    replicas_synced_ = true;
  }
  if (options_.fusion) {
    // After autodiff, which needs the unfused ReLUs; the rewritten nodes
    // invalidate plans made so far, so the executor starts afresh.
    s.fusion = graph::fuse_inception_concats(g);
    s.exec = make_executor(g);
  }
  if (finish_precision(options_.precision, options_.device, g)) s.exec = make_executor(g);
}

std::vector<std::string> Model::ops_without_kernel(DeviceType device) {
  StepGraph& s = graph_for(spec_.batch_size);
  if (!s.has_train) build_train_part(s);
  std::set<std::string> missing;
  for (const graph::Node& n : s.g->nodes())
    if (n.kind == graph::NodeKind::op && !ops::OpRegistry::global().get(n.op).kernels.count(device))
      missing.insert(n.op);
  return {missing.begin(), missing.end()};
}

}  // namespace cutrain::train
