// Model's façade: compile, the per-batch entry points (train_on_batch,
// test_on_batch, predict_on_batch, the fit loop's Trainable calls) and fit /
// evaluate / predict. Its parts: the step graph (model_step_graph.cpp), the
// feeds and logs of a step (model_feeds.cpp), the batches (model_batch.cpp),
// weights and checkpoints (model_weights.cpp, model_config.cpp).
#include "cutrain/train/model.h"

#include <algorithm>

#include "cutrain/core/error.h"
#include "cutrain/train/metric_set.h"
#include "batch_feed.h"
#include "step_graph.h"

namespace cutrain::train {

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

// Evaluates fit's validation passes on the averaged weights (ema.h), and
// marks them as evaluation (no training-only logs such as the loss scale).
class EmaValidation final : public Callback {
 public:
  EmaValidation(EmaSwap& s, bool& evaluating) : s_(s), evaluating_(evaluating) {}
  void on_test_begin(Logs&) override {
    s_.enter();
    evaluating_ = true;
  }
  void on_test_end(Logs&) override {
    evaluating_ = false;
    s_.exit();
  }

 private:
  EmaSwap& s_;
  bool& evaluating_;
};

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
  CUTRAIN_CHECK(options.weight_decay >= 0 && options.clip_global_norm >= 0 && options.clip_value >= 0,
                "compile: weight_decay, clip_global_norm and clip_value must be >= 0");
  // mixed_float16 turns dynamic loss scaling on unless it was set explicitly
  // (Keras' LossScaleOptimizer under that policy); bf16 has fp32's range.
  options.loss_scale = resolve_loss_scale(options.loss_scale, options.precision == graph::Precision::fp16);
  CUTRAIN_CHECK(options.accumulate_steps >= 1, "compile: accumulate_steps must be >= 1, got ",
                options.accumulate_steps);
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
  // Random ops draw per micro-batch (with no accumulation: per step, as before).
  const int64_t n = options_.accumulate_steps;
  const bool update = micro_step_ + 1 >= n;
  s.exec->set_steps(static_cast<uint64_t>(step_ * n + micro_step_));
  s.exec->set_profiler(profiler_);
  std::vector<Tensor> out = s.exec->run(feeds(s, images, targets, weights, class_weight),
                                        update ? s.train_fetches : s.accumulate_fetches, {.training = true});
  s.exec->set_profiler(nullptr);
  if (update) {
    ++step_;
    micro_step_ = 0;
  } else {
    ++micro_step_;
  }
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
  for (Tensor& t : out) t = on_host(t);
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
  callbacks.insert(callbacks.begin() + 1, std::make_shared<EmaValidation>(ema_swap_, evaluating_));
  try {
    return train::fit(*this, options, std::move(callbacks));
  } catch (...) {
    ema_swap_.reset();  // an exception inside validation skips on_test_end
    evaluating_ = false;
    throw;
  }
}

Logs Model::evaluate(const ImageData& data, EvaluateOptions options,
                     std::vector<std::shared_ptr<Callback>> callbacks) {
  val_data_ = data;
  options.source = DataSource::validation;
  const FeedGuard feeds = begin_feeds({FeedKind::validation}, options.workers, options.max_queue_size);
  EmaSwap::Scope averaged(ema_swap_);  // one swap for the whole pass
  struct Evaluating {
    bool& flag;
    ~Evaluating() { flag = false; }
  } evaluating{evaluating_ = true};
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
        result.slice(0, row, row + logits.dim(0)).copy_from(logits, Stream::default_stream(logits.device()));
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

std::vector<std::string> Model::parameter_names() const { return param_names_; }

}  // namespace cutrain::train
