#include "cutrain/train/model.h"

#include <omp.h>

#include <exception>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>

#include "cutrain/core/error.h"
#include "cutrain/graph/autodiff.h"
#include "cutrain/graph/planned_executor.h"
#include "cutrain/ops/elementwise.h"
#include "cutrain/ops/losses.h"
#include "cutrain/ops/op.h"
#include "cutrain/ops/optimizers.h"
#include "cutrain/ops/regularizers.h"
#include "cutrain/train/checkpoint.h"
#include "cutrain/train/metrics.h"

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
  graph::Value labels, weights, loss;
  bool has_train = false;
  OptimizerGraph opt;
  EmaGraph ema;  // empty when EMA is off
  std::vector<graph::Value> train_fetches;  // loss, main output, tokens
  std::unique_ptr<graph::PlannedExecutor> exec;
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
  CUTRAIN_CHECK(!options.losses.empty(), "compile: at least one loss is needed");
  CUTRAIN_CHECK(options.optimizer.learning_rate != nullptr, "compile: the optimizer has no learning rate");
  CUTRAIN_CHECK(options.dtype == DType::f32 || options.dtype == DType::f64,
                "compile: dtype must be f32 or f64, got ", dtype_name(options.dtype));
  CUTRAIN_CHECK(options.weight_decay >= 0 && options.clip_global_norm >= 0,
                "compile: weight_decay and clip_global_norm must be >= 0");
  CUTRAIN_CHECK(options.ema_decay >= 0 && options.ema_decay <= 1, "compile: ema_decay must be in [0, 1], got ",
                options.ema_decay);
  for (const std::string& m : options.metrics)
    CUTRAIN_CHECK(m == "accuracy" || m == "top_k" || m == "top5", "compile: unknown metric '", m,
                  "' (accuracy, top_k, top5)");
  for (const LossSpec& l : options.losses)
    CUTRAIN_CHECK(has_loss(l.name), "compile: unknown loss '", l.name, "'");
  CUTRAIN_CHECK(graphs_.empty(), "compile: the model was already compiled and used");
  options_ = std::move(options);
  spec_.dtype = options_.dtype;
  compiled_ = true;
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

  s->labels = g.input("labels", {Shape{batch}, DType::i32});
  s->weights = g.input("sample_weights", {Shape{batch}, options_.dtype});
  std::vector<graph::Value> terms;
  for (size_t i = 0; i < options_.losses.size(); ++i) {
    const LossSpec& l = options_.losses[i];
    graph::Value r = ops::weighted_loss_reduce(per_sample_loss(l, net.outputs[i], s->labels), s->weights);
    terms.push_back(l.weight == 1.0 ? r : ops::scale(r, l.weight));
  }
  if (options_.weight_decay > 0)
    for (const graph::Value& w : net.regularized) terms.push_back(ops::l2_loss(w, options_.weight_decay));
  s->loss = terms.size() == 1 ? terms[0] : graph::add_n(g, terms);

  if (graphs_.empty()) {
    for (const graph::Value& v : net.trainable) param_names_.push_back(g.node(v.node).name);
    for (const graph::Value& v : net.states) state_names_.push_back(g.node(v.node).name);
    for (const graph::Value& v : net.regularized) regularized_names_.push_back(g.node(v.node).name);
  }
  share_leaves(g);
  graph::PlannedExecutorOptions eo;
  eo.streams = !options_.device.is_cpu();  // CPU: BLAS and OpenMP already use every core
  s->exec = std::make_unique<graph::PlannedExecutor>(g, options_.device, eo);
  return *graphs_.emplace(batch, std::move(s)).first->second;
}

void Model::build_train_part(StepGraph& s) {
  graph::Graph& g = *s.g;
  std::vector<graph::Value> grads = graph::gradients(g, s.loss, s.net.trainable);
  if (options_.clip_global_norm > 0) grads = ops::clip_by_global_norm(grads, options_.clip_global_norm);
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
  s.train_fetches = {s.loss, s.net.outputs[0]};
  for (const graph::Value& t : s.opt.tokens) s.train_fetches.push_back(t);
  for (const graph::Value& t : s.ema.tokens) s.train_fetches.push_back(t);
  s.has_train = true;
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
  return Tensor::from_vector({n}, v, options_.dtype);
}

Logs Model::train_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights) {
  const int64_t b = images.dim(0);
  StepGraph& s = graph_for(b);
  if (!s.has_train) build_train_part(s);
  CUTRAIN_CHECK(!ema_swap_.swapped(), "train_on_batch: the averaged weights are swapped in (evaluation running)");
  set_step_attrs(*s.g, s.opt, learning_rate(), step_ + 1);
  if (options_.ema_decay > 0)
    set_ema_decay(*s.g, s.ema, ema_decay_at(options_.ema_decay, options_.ema_warmup, step_ + 1));
  s.exec->set_steps(static_cast<uint64_t>(step_));
  const Tensor w = weights.defined() ? weights.to(options_.dtype) : make_weights({}, b);
  const Tensor x = images.dtype() == options_.dtype ? images : images.to(options_.dtype);
  std::vector<Tensor> out = s.exec->run({{s.net.input, x}, {s.labels, labels}, {s.weights, w}},
                                        s.train_fetches, {.training = true});
  ++step_;
  Logs logs{{"loss", host(out[0]).item()}};
  logs.update(metric_logs(host(out[1]), labels, w));
  return logs;
}

Logs Model::run_eval(const Tensor& images, const Tensor& labels, const Tensor& weights) {
  const int64_t b = images.dim(0);
  StepGraph& s = graph_for(b);
  EmaSwap::Scope averaged(ema_swap_);
  const Tensor x = images.dtype() == options_.dtype ? images : images.to(options_.dtype);
  std::vector<Tensor> out = s.exec->run({{s.net.input, x}, {s.labels, labels}, {s.weights, weights}},
                                        {s.loss, s.net.outputs[0]}, {.training = false});
  Logs logs{{"loss", host(out[0]).item()}};
  logs.update(metric_logs(host(out[1]), labels, weights));
  return logs;
}

Logs Model::test_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights) {
  return run_eval(images, labels,
                  weights.defined() ? weights.to(options_.dtype) : make_weights({}, images.dim(0)));
}

std::vector<Tensor> Model::predict_on_batch(const Tensor& images) {
  StepGraph& s = graph_for(images.dim(0));
  EmaSwap::Scope averaged(ema_swap_);
  const Tensor x = images.dtype() == options_.dtype ? images : images.to(options_.dtype);
  std::vector<Tensor> out = s.exec->run({{s.net.input, x}}, s.net.outputs, {.training = false});
  for (Tensor& t : out) t = host(t);
  return out;
}

std::pair<Tensor, Tensor> Model::make_batch(const ImageData& d, bool train,
                                            std::span<const int64_t> indices) const {
  const data::Transform& tf = train ? d.train_transform : d.eval_transform;
  CUTRAIN_CHECK(d.dataset != nullptr && tf.apply != nullptr, "the data source has no dataset or transform");
  CUTRAIN_CHECK(tf.height == spec_.height && tf.width == spec_.width && tf.channels == spec_.channels,
                "the transform makes ", tf.height, "x", tf.width, "x", tf.channels, " images, the model expects ",
                spec_.height, "x", spec_.width, "x", spec_.channels);
  const int64_t n = static_cast<int64_t>(indices.size());
  Tensor images = Tensor::empty({n, tf.height, tf.width, tf.channels}, DType::f32);
  Tensor labels = Tensor::empty({n}, DType::i32);
  const int64_t per = int64_t{tf.height} * tf.width * tf.channels;
  float* px = images.data<float>();
  int32_t* lb = labels.data<int32_t>();
  std::exception_ptr error;
  std::mutex mu;
#pragma omp parallel for schedule(dynamic)
  for (int64_t k = 0; k < n; ++k) {
    try {
      const int64_t idx = indices[static_cast<size_t>(k)];
      const data::Sample smp = d.dataset->get(idx);
      data::SampleRng rng(options_.seed, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(idx));
      tf.apply(smp.image, rng, px + k * per);
      lb[k] = smp.label;
    } catch (...) {
      std::lock_guard lock(mu);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return {images, labels};
}

Logs Model::train_batch(std::span<const int64_t> indices, std::span<const double> weights) {
  CUTRAIN_CHECK(train_data_.has_value(), "train_batch: no training data (use fit)");
  auto [x, y] = make_batch(*train_data_, true, indices);
  return train_on_batch(x, y, make_weights(weights, static_cast<int64_t>(indices.size())));
}

Logs Model::evaluate_batch(DataSource source, std::span<const int64_t> indices,
                           std::span<const double> weights) {
  const std::optional<ImageData>& d = source == DataSource::main ? train_data_ : val_data_;
  CUTRAIN_CHECK(d.has_value(), "evaluate_batch: no data for this source");
  auto [x, y] = make_batch(*d, false, indices);
  return run_eval(x, y, make_weights(weights, static_cast<int64_t>(indices.size())));
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
  options.validation_data = val_data_.has_value();
  callbacks.insert(callbacks.begin(), std::make_shared<EpochTracker>(*this));
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
  EmaSwap::Scope averaged(ema_swap_);  // one swap for the whole pass
  return train::evaluate(*this, options, std::move(callbacks));
}

Tensor Model::predict(const ImageData& data, PredictOptions options) {
  const int64_t n = data.dataset->size();
  Tensor result;
  int64_t row = 0;
  EmaSwap::Scope averaged(ema_swap_);
  train::predict(
      *this, n,
      [&](std::span<const int64_t> idx) {
        auto [x, y] = make_batch(data, false, idx);
        Tensor logits = predict_on_batch(x).at(0);
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

std::string Model::config_json() const {
  nlohmann::json j;
  j["network"] = nlohmann::json::parse(config_json_, nullptr, false);
  if (j["network"].is_discarded()) j["network"] = config_json_;
  j["input"] = {{"height", spec_.height}, {"width", spec_.width}, {"channels", spec_.channels},
                {"num_classes", spec_.num_classes}, {"batch_size", spec_.batch_size}};
  const OptimizerConfig& o = options_.optimizer;
  j["optimizer"] = {{"name", optimizer_name(o.kind)}, {"initial_lr", o.initial_lr()}, {"momentum", o.momentum},
                    {"nesterov", o.nesterov}, {"rho", o.rho}, {"epsilon", o.epsilon},
                    {"beta1", o.beta1}, {"beta2", o.beta2}, {"weight_decay", o.weight_decay}};
  nlohmann::json losses = nlohmann::json::array();
  for (const LossSpec& l : options_.losses)
    losses.push_back({{"name", l.name}, {"weight", l.weight}, {"label_smoothing", l.label_smoothing}});
  j["losses"] = losses;
  j["metrics"] = options_.metrics;
  j["weight_decay"] = options_.weight_decay;
  j["clip_global_norm"] = options_.clip_global_norm;
  j["ema_decay"] = options_.ema_decay;
  j["ema_warmup"] = options_.ema_warmup;
  j["dtype"] = std::string(dtype_name(options_.dtype));
  j["seed"] = options_.seed;
  return j.dump();
}

void Model::save(const std::string& path, bool weights_only) {
  CUTRAIN_CHECK(!leaves_.empty(), "save: the model has not been built yet (train or evaluate first)");
  CUTRAIN_CHECK(!ema_swap_.swapped(), "save: the averaged weights are swapped in (evaluation running)");
  CheckpointState st;
  auto put = [&](io::TensorMap& m, const std::string& graph_name, const std::string& prefix) {
    const std::string key = prefix + checkpoint_name(graph_name);
    CUTRAIN_CHECK(m.emplace(key, leaves_.at(graph_name).to(Device::cpu())).second, "two leaves map to '",
                  key, "' (", graph_name, ")");
  };
  for (const auto* names : {&param_names_, &state_names_, &ema_names_})
    for (const std::string& n : *names) put(st.weights, n, "");
  if (!weights_only)
    for (const std::string& n : slot_names_) put(st.optimizer, n, "optimizer.");
  st.step = step_;
  st.epoch = last_epoch_;
  st.seed = options_.seed;
  st.weights_only = weights_only;
  st.lr_override = lr_override_;
  st.optimizer_name = optimizer_name(options_.optimizer.kind);
  st.config_json = config_json();
  save_checkpoint(path, st);
}

void Model::load(const std::string& path, bool weights_only) {
  CheckpointState st = load_checkpoint(path);
  if (weights_only) st.weights_only = true;
  CUTRAIN_CHECK(!ema_swap_.swapped(), "load: the averaged weights are swapped in (evaluation running)");
  StepGraph& s = graph_for(spec_.batch_size);
  // The EMA shadows live in the training part: build it to restore them.
  if ((!st.weights_only || options_.ema_decay > 0) && !s.has_train) build_train_part(s);
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
