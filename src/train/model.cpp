#include "cutrain/train/model.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "batch_feed.h"
#include "cutrain/core/error.h"
#include "cutrain/core/pinned_allocator.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/fusion.h"
#include "cutrain/graph/ops/elementwise.h"
#include "cutrain/graph/ops/losses.h"
#include "cutrain/graph/ops/optimizers.h"
#include "cutrain/graph/ops/regularizers.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/ops/op.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/gradient_contract.h"
#include "cutrain/train/metric_set.h"
#include "cutrain/train/metrics.h"
#include "cutrain/train/model_config.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace cutrain::train {

void set_cpu_threads(int threads) {
  CUTRAIN_CHECK(threads > 0, "thread count must be positive, got ", threads);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

struct Model::StepGraph {
  std::unique_ptr<graph::Graph> g;
  Network net;
  struct Head {
    graph::Value target;   // labels/tensor input, or the network input
    graph::Value weights;  // per-sample weights [B]
    graph::Value loss;     // sum_n l_n w_n / B, before the loss weight
  };
  std::vector<Head> heads;      // per compiled loss
  graph::Value sample_weights;  // plain weights of the added per-sample losses
  graph::Value loss;            // the total
  bool has_train = false;
  OptimizerGraph opt;
  EmaGraph ema;  // empty when EMA is off
  // loss, head losses (two or more heads), metric output (with metrics); then tokens.
  std::vector<graph::Value> eval_fetches, train_fetches;
  std::unique_ptr<graph::PlannedExecutor> exec;
  graph::FusionReport fusion;
};

namespace {

// Keeps the model's epoch in step with fit(); runs before every other callback
// so a checkpoint written at epoch end records the finished epoch.
class EpochTracker final : public Callback {
 public:
  explicit EpochTracker(Model& m) : m_(m) {}
  void on_epoch_begin(int64_t epoch, Logs&) override { m_.set_epoch(epoch); }
  void on_epoch_end(int64_t epoch, Logs&) override { m_.finish_epoch(epoch); }

 private:
  Model& m_;
};

// Evaluates fit's validation passes on the averaged weights (ema.h).
class EmaValidation final : public Callback {
 public:
  explicit EmaValidation(EmaSwap& s) : s_(s) {}
  void on_test_begin(Logs&) override { s_.enter(); }
  void on_test_end(Logs&) override { s_.exit(); }

 private:
  EmaSwap& s_;
};

Tensor host(const Tensor& t) { return t.device().is_cpu() ? t : t.to(Device::cpu()); }

}  // namespace

Model::Model(NetworkBuilder builder, NetworkSpec input, std::string config_json)
    : builder_(std::move(builder)), spec_(input), config_json_(std::move(config_json)) {
  CUTRAIN_CHECK(builder_ != nullptr, "Model needs a network builder");
  CUTRAIN_CHECK(spec_.batch_size > 0, "batch size must be positive");
}

Model::Model(GraphNetworkBuilder builder, NetworkSpec input, std::string config_json)
    : graph_builder_(std::move(builder)), spec_(input), config_json_(std::move(config_json)) {
  CUTRAIN_CHECK(graph_builder_ != nullptr, "Model needs a network builder");
  CUTRAIN_CHECK(spec_.batch_size > 0, "batch size must be positive");
}

Model::~Model() = default;

void Model::compile(CompileOptions options) {
  CUTRAIN_CHECK(options.optimizer.learning_rate != nullptr, "compile: the optimizer has no learning rate");
  CUTRAIN_CHECK(options.dtype == DType::f32 || options.dtype == DType::f64,
                "compile: dtype must be f32 or f64, got ", dtype_name(options.dtype));
  CUTRAIN_CHECK(options.weight_decay >= 0 && options.clip_global_norm >= 0,
                "compile: weight_decay and clip_global_norm must be >= 0");
  CUTRAIN_CHECK(options.ema_decay >= 0 && options.ema_decay <= 1, "compile: ema_decay must be in [0, 1], got ",
                options.ema_decay);
  check_metric_names(options.metrics, options.output_metrics);
  for (const LossSpec& l : options.losses)
    CUTRAIN_CHECK(has_loss(l.name), "compile: unknown loss '", l.name,
                  "' (register custom losses with train::register_loss)");
  const bool has_labels = std::any_of(options.losses.begin(), options.losses.end(),
                                      [](const LossSpec& l) { return l.target == TargetKind::labels; });
  CUTRAIN_CHECK(options.metrics.empty() || has_labels, "compile: metrics (", options.metrics.front(),
                ") need an output with a labels target; pass metrics = {}");
  CUTRAIN_CHECK(graphs_.empty(), "compile: the model was already compiled and used");
  options_ = std::move(options);
  spec_.dtype = options_.dtype;
  compiled_ = true;
  // Without compiled losses the network must add its own: build now so a
  // model with no loss at all fails here, not at its first step.
  if (options_.losses.empty()) graph_for(spec_.batch_size);
}

namespace {
int first_labels_head(const std::vector<LossSpec>& losses) {
  for (size_t i = 0; i < losses.size(); ++i)
    if (losses[i].target == TargetKind::labels) return static_cast<int>(i);
  return -1;
}
}  // namespace

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
        n.tensor = n.tensor.to(options_.device);
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
  s->exec = make_executor(g);
  return *graphs_.emplace(batch, std::move(s)).first->second;
}

std::unique_ptr<graph::PlannedExecutor> Model::make_executor(graph::Graph& g) const {
  graph::PlannedExecutorOptions eo;
  eo.streams = !options_.device.is_cpu();  // CPU: BLAS and OpenMP already use every core
  eo.graph_replay = options_.graph_replay;
  eo.check_numerics = options_.check_numerics;
  return std::make_unique<graph::PlannedExecutor>(g, options_.device, eo);
}

void Model::build_train_part(StepGraph& s) {
  graph::Graph& g = *s.g;
  check_gradient_contract(g, s.loss, s.net.trainable, stderr_warning_sink());
  std::vector<graph::Value> grads = graph::gradients(g, s.loss, s.net.trainable);
  // Averaged over the ranks before clipping, as with DDP (clipping sees the global gradient).
  if (options_.communicator)
    grads = average_gradients(g, grads, options_.communicator, options_.bucket_bytes);
  if (options_.clip_global_norm > 0) grads = graph::clip_by_global_norm(grads, options_.clip_global_norm);
  s.opt = build_optimizer(g, options_.optimizer, s.net.trainable, grads);
  if (slot_names_.empty())
    for (const graph::Value& v : s.opt.slots) slot_names_.push_back(g.node(v.node).name);
  // After the updates in graph order, so each average reads the updated weights.
  if (options_.ema_decay > 0) s.ema = build_ema(g, s.net.trainable, options_.ema_decay);
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
}

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
  pinned.copy_from(t);
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
                   : weights.defined() ? weights.to(Device::cpu()).to(options_.dtype)
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
    const Tensor ht = target.to(Device::cpu());
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
  Logs logs{{"loss", host(out[0]).item()}};
  size_t k = 1;
  if (s.heads.size() >= 2)
    for (size_t i = 0; i < s.heads.size(); ++i) logs.set(output_names_[i] + "_loss", host(out[k++]).item());
  const int mh = first_labels_head(options_.losses);
  if (!options_.metrics.empty() && mh >= 0) {
    const Tensor w = weights.defined() ? weights.to(Device::cpu()).to(options_.dtype)
                                       : make_weights({}, out[k].dim(0));
    const Tensor& labels = targets.at(output_names_[static_cast<size_t>(mh)]);
    logs.update(metric_logs(host(out[k]), labels.dtype() == DType::i32 ? labels : labels.to(DType::i32), w));
    ++k;
  }
  if (!metric_set_->empty()) {
    std::vector<Tensor> preds, truth;
    for (int h : metric_set_->heads()) {
      preds.push_back(host(out[k++]));
      truth.push_back(host(targets.at(output_names_[static_cast<size_t>(h)])));
    }
    const std::vector<double> w = weights.defined() ? weights.to(Device::cpu()).to_vector()
                                                    : std::vector<double>(static_cast<size_t>(preds[0].dim(0)), 1.0);
    logs.update(metric_set_->update(preds, truth, w));
  }
  return logs;
}

Logs Model::train_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights) {
  graph_for(images.dim(0));
  return train_on_batch(images, labels_for_all(labels), weights, {});
}

PendingLogs Model::train_step(const Tensor& images, const Targets& targets, const Tensor& weights,
                              const OutputClassWeights& class_weight) {
  StepGraph& s = graph_for(images.dim(0));
  if (!s.has_train) build_train_part(s);
  CUTRAIN_CHECK(!ema_swap_.swapped(), "train_on_batch: the averaged weights are swapped in (evaluation running)");
  set_step_scalars(*s.exec, s.opt, learning_rate(), step_ + 1);
  if (options_.ema_decay > 0)
    set_ema_decay(*s.exec, s.ema, ema_decay_at(options_.ema_decay, options_.ema_warmup, step_ + 1));
  s.exec->set_steps(static_cast<uint64_t>(step_));
  s.exec->set_profiler(profiler_);
  std::vector<Tensor> out =
      s.exec->run(feeds(s, images, targets, weights, class_weight), s.train_fetches, {.training = true});
  s.exec->set_profiler(nullptr);
  ++step_;
  // Read when asked: on a GPU that waits for the step (step_logs copies to the host).
  return PendingLogs(
      [this, &s, out = std::move(out), targets, weights] { return step_logs(s, out, targets, weights); });
}

Logs Model::train_on_batch(const Tensor& images, const Targets& targets, const Tensor& weights,
                           const OutputClassWeights& class_weight) {
  return train_step(images, targets, weights, class_weight).get();
}

Logs Model::run_eval(const Tensor& images, const Targets& targets, const Tensor& weights) {
  StepGraph& s = graph_for(images.dim(0));
  EmaSwap::Scope averaged(ema_swap_);
  s.exec->set_steps(static_cast<uint64_t>(step_));
  std::vector<Tensor> out = s.exec->run(feeds(s, images, targets, weights, {}), s.eval_fetches, {.training = false});
  return step_logs(s, out, targets, weights);
}

Logs Model::test_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights) {
  graph_for(images.dim(0));
  return run_eval(images, labels_for_all(labels), weights);
}

Logs Model::test_on_batch(const Tensor& images, const Targets& targets, const Tensor& weights) {
  return run_eval(images, targets, weights);
}

std::vector<Tensor> Model::predict_on_batch(const Tensor& images) {
  StepGraph& s = graph_for(images.dim(0));
  EmaSwap::Scope averaged(ema_swap_);
  s.exec->set_steps(static_cast<uint64_t>(step_));
  const Tensor x = images.dtype() == options_.dtype ? images : images.to(options_.dtype);
  std::vector<Tensor> out = s.exec->run({{s.net.input, x}}, s.net.outputs, {.training = false});
  for (Tensor& t : out) t = host(t);
  return out;
}

Logs Model::train_batch(std::span<const int64_t> indices, std::span<const double> weights) {
  return train_batch_deferred(indices, weights).get();
}

PendingLogs Model::train_batch_deferred(std::span<const int64_t> indices, std::span<const double> weights) {
  CUTRAIN_CHECK(train_data_.has_value(), "train_batch: no training data (use fit)");
  Batch b = take_batch(FeedKind::train, *train_data_, indices);
  return train_step(b.images, b.targets, make_weights(weights, static_cast<int64_t>(indices.size())),
                    fit_class_weight_);
}

Logs Model::evaluate_batch(DataSource source, std::span<const int64_t> indices,
                           std::span<const double> weights) {
  const std::optional<ImageData>& d = source == DataSource::main ? train_data_ : val_data_;
  CUTRAIN_CHECK(d.has_value(), "evaluate_batch: no data for this source");
  Batch b = take_batch(source == DataSource::main ? FeedKind::main_eval : FeedKind::validation, *d, indices);
  return run_eval(b.images, b.targets, make_weights(weights, static_cast<int64_t>(indices.size())));
}

int64_t Model::num_samples() const { return train_data_ ? train_data_->dataset->size() : 0; }
int64_t Model::num_validation_samples() const { return val_data_ ? val_data_->dataset->size() : 0; }
int64_t Model::label(int64_t index) const {
  CUTRAIN_CHECK(train_data_.has_value(), "label: no training data");
  return train_data_->dataset->get(index).label;
}

History Model::fit(const ImageData& train, FitOptions options, std::vector<std::shared_ptr<Callback>> callbacks,
                   std::optional<ImageData> validation) {
  train_data_ = train;
  val_data_ = std::move(validation);
  const FeedGuard feeds =
      begin_feeds({FeedKind::train, FeedKind::main_eval, FeedKind::validation}, options.workers,
                  options.max_queue_size);
  options.validation_data = val_data_.has_value();
  const std::vector<std::string> names = output_names();
  for (const auto& [name, cw] : options.output_class_weight)
    CUTRAIN_CHECK(std::find(names.begin(), names.end(), name) != names.end(), "fit: class weights for '", name,
                  "', but the model has no output of that name");
  fit_class_weight_ = options.output_class_weight;
  if (!options.communicator) options.communicator = options_.communicator;
  callbacks.insert(callbacks.begin(), std::make_shared<EpochTracker>(*this));
  struct ClearOnExit {
    OutputClassWeights& m;
    ~ClearOnExit() { m.clear(); }
  } guard{fit_class_weight_};
  callbacks.insert(callbacks.begin() + 1, std::make_shared<EmaValidation>(ema_swap_));
  try {
    return train::fit(*this, options, std::move(callbacks));
  } catch (...) {
    ema_swap_.reset();  // an exception inside validation skips on_test_end
    throw;
  }
}

Logs Model::evaluate(const ImageData& data, EvaluateOptions options,
                     std::vector<std::shared_ptr<Callback>> callbacks) {
  val_data_ = data;
  options.source = DataSource::validation;
  const FeedGuard feeds = begin_feeds({FeedKind::validation}, options.workers, options.max_queue_size);
  EmaSwap::Scope averaged(ema_swap_);  // one swap for the whole pass
  return train::evaluate(*this, options, std::move(callbacks));
}

Tensor Model::predict(const ImageData& data, PredictOptions options) {
  const int64_t n = data.dataset->size();
  Tensor result;
  int64_t row = 0;
  EmaSwap::Scope averaged(ema_swap_);
  const FeedGuard feeds = begin_feeds({FeedKind::predict}, options.workers, options.max_queue_size);
  plan_predict(data, n, options);
  train::predict(
      *this, n,
      [&](std::span<const int64_t> idx) {
        Tensor logits = predict_on_batch(take_batch(FeedKind::predict, data, idx).images).at(0);
        if (!result.defined()) result = Tensor::empty({n, logits.dim(1)}, logits.dtype());
        result.slice(0, row, row + logits.dim(0)).copy_from(logits);
        row += logits.dim(0);
      },
      options);
  return result;
}

double Model::learning_rate() const {
  if (lr_override_ >= 0) return lr_override_;
  return (*options_.optimizer.learning_rate)(step_, epoch_);
}

void Model::set_learning_rate(double lr) {
  CUTRAIN_CHECK(lr >= 0, "learning rate must be >= 0, got ", lr);
  lr_override_ = lr;
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

std::vector<std::string> Model::parameter_names() const { return param_names_; }

WeightSnapshot Model::get_weights() const {
  WeightSnapshot out;
  for (const auto* names : {&param_names_, &state_names_})
    for (const std::string& n : *names) out.push_back(leaves_.at(n).to(Device::cpu()));
  return out;
}

WeightSnapshot Model::averaged_weights() const {
  WeightSnapshot out;
  for (size_t i = 0; i < param_names_.size(); ++i)
    out.push_back(leaves_.at(ema_names_.empty() ? param_names_[i] : ema_names_[i]).to(Device::cpu()));
  for (const std::string& n : state_names_) out.push_back(leaves_.at(n).to(Device::cpu()));
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
      t.copy_from(weights[i].to(t.dtype()));
      ++i;
    }
}

double Model::l2_term() const {
  double total = 0;
  for (const std::string& n : regularized_names_)
    for (double v : leaves_.at(n).to(Device::cpu()).to_vector()) total += v * v;
  return options_.weight_decay * total / 2;
}

void Model::load(const std::string& path, bool weights_only, bool verify) {
  CheckpointState st = load_checkpoint(path, verify);
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
    t.copy_from(it->second);
  };
  for (const auto* names : {&param_names_, &state_names_})
    for (const std::string& n : *names) restore(st.weights, n, "");
  // A checkpoint without averages starts them at its weights.
  for (size_t i = 0; i < ema_names_.size(); ++i)
    if (st.weights.count(checkpoint_name(ema_names_[i])))
      restore(st.weights, ema_names_[i], "");
    else
      leaves_.at(ema_names_[i]).copy_from(leaves_.at(param_names_[i]));
  if (st.weights_only) return;
  if (!st.optimizer_name.empty())
    CUTRAIN_CHECK(st.optimizer_name == optimizer_name(options_.optimizer.kind), "checkpoint '", path,
                  "' was trained with ", st.optimizer_name, ", the model is compiled with ",
                  optimizer_name(options_.optimizer.kind));
  for (const std::string& n : slot_names_) restore(st.optimizer, n, "optimizer.");
  step_ = st.step;
  last_epoch_ = st.epoch;
  epoch_ = st.epoch + 1;
  lr_override_ = st.lr_override;
}

}  // namespace cutrain::train
