// Model: a network graph compiled into one training step (Keras semantics,
// C++ idiom).
//
//   Model m(builder, input);              // how to build the network graph
//   m.compile(options);                   // optimizer, losses, metrics, ...
//   History h = m.fit(data, fit_options, callbacks);
//   Logs test = m.evaluate(test_data);
//
// The network is generic: a NetworkBuilder appends its forward graph for a
// given batch size to a Graph and names the input (f32/f64 NHWC images), the
// outputs (logits per head; output 0 is the main head the metrics read), the
// trainable parameters, the L2-decayed weights and the state (BN running
// statistics). Graph shapes are static, so the Model keeps one graph per
// batch size it meets (the last partial batch gets its own); all of them
// share the same parameter, state and slot tensors (same storage, on the
// model's device), matched by leaf name.
//
// The step graph: forward; per head a per-sample loss (losses_api.h) times
// the sample weights, reduced as sum / batch size, scaled by the head's
// weight; + weight_decay * sum(w^2) / 2 over Network::regularized (slim);
// graph::gradients w.r.t. the parameters (of the loss times the loss scale
// with loss scaling, loss_scale.h); with gradient accumulation the sum over
// the micro-batches (CompileOptions::accumulate_steps); the unscale and
// inf/NaN check; optional clip_by_global_norm, then clip_by_value; the
// optimizer's update ops (optimizer.h, guarded by the check when scaling),
// whose tokens the step fetches.
// Training runs with RunOptions::training = true; evaluation and prediction
// fetch only forward values with training = false (BN uses its running
// statistics, dropout is the identity), so no separate eval graph is built.
//
// Per step, the learning rate comes from the schedule at (global step,
// epoch) and is written into the update nodes' attrs (set_step_attrs).
// Random ops draw from (graph seed, node id, global step): the executor's
// step counter is set to the global step before each training run, so a
// resumed run draws the same masks as an uninterrupted one. Evaluation and
// prediction run with the model's step count too, so random ops that sample
// outside training (a VAE's eps) give the same values after a reload.
//
// Batches: fit, evaluate and predict take them from data::Loader (worker
// threads decode, augment and collate the index batches the fit loop
// announces; FitOptions::workers and max_queue_size), augmentation keyed by
// (compile seed, epoch, sample index), so no result depends on the worker
// count. On a GPU they land in pinned host memory and the images of batch
// N+1 are uploaded on a copy stream while step N runs (batch_feed.h); with
// FitOptions::steps_per_execution > 1 the steps' loss and metric outputs
// are read only at the end of each execution.
//
// With CompileOptions::ema_decay > 0 the step also averages the parameters
// and evaluation runs on the averages (ema.h); checkpoints (weights-only ones
// too) store the averages as "ema.<parameter>".
//
// Checkpoints (checkpoint.h) hold parameters, BN statistics, optimizer
// slots, step, epoch, seed and the config JSON; load() restores them all, so
// fit() with initial_epoch = epoch() + 1 continues bit for bit on the same
// backend (the data order depends only on seed and epoch). The config holds
// the compile options (losses by name with weights and targets, metrics,
// optimizer); load_model (model_config.h) recompiles from it.
//
// Several outputs (Keras' multi-output models). Outputs have names
// (Network::output_names, default "output_<i>"); each compiled loss i has
// its own target (LossSpec::target) and sample-weight input. Targets come
// by output name: ImageData::targets in fit/evaluate, the Targets map of
// train_on_batch/test_on_batch. Class weights per output (FitOptions::
// output_class_weight, train_on_batch's map) multiply that output's sample
// weights by class_weight[class of the sample's target]: the label for a
// labels target, the rounded value of a one-element tensor target (0/1 of a
// real/fake head). The logs hold "loss" = sum_i weight_i * output_loss_i
// (+ added losses + L2) and, with two or more compiled losses,
// "<output>_loss" = output_loss_i = sum_n l_in w_in / N, unweighted (Keras).
// Metrics use the first output whose target is labels, with plain names
// ("accuracy").
//
// Added losses (Keras' add_loss): Network::losses are terms the network
// contributes itself (a VAE's KL, a regularizer). A per-sample term [N] is
// reduced like a compiled loss with the plain sample weights (no class
// weights): sum_n l_n w_n / N; a scalar is added as it is. A model whose
// network adds losses may be compiled with no losses at all.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cutrain/core/device.h"
#include "cutrain/data/dataset.h"
#include "cutrain/data/loader.h"
#include "cutrain/data/transforms.h"
#include "cutrain/graph/autocast.h"
#include "cutrain/graph/graph.h"
#include "cutrain/nn/network.h"
#include "cutrain/train/ema.h"
#include "cutrain/train/fit_loop.h"
#include "cutrain/train/gradient_sync.h"
#include "cutrain/train/loss_scale.h"
#include "cutrain/train/losses_api.h"
#include "cutrain/train/optimizer.h"

namespace cutrain::graph {
class PlannedExecutor;
class StepProfiler;
}

namespace cutrain::train {

struct CheckpointState;
class BatchFeed;
class MetricSet;

// The network a Model compiles (nn/network.h), under its train:: names too.
using nn::GraphNetworkBuilder;
using nn::Network;
using nn::NetworkBuilder;
using nn::NetworkSpec;
using nn::OwnedNetwork;

struct CompileOptions {
  OptimizerConfig optimizer;
  // Per output (outputs beyond have no loss); may be empty when the network
  // adds its own losses (Network::losses).
  std::vector<LossSpec> losses{LossSpec{}};
  // "accuracy", "top_k" (k = top_k), "top5"; computed on the first output
  // with a labels target.
  // Any other name is a stateful metric (metric.h: built-ins or
  // train::register_metric), logged under its own name.
  std::vector<std::string> metrics{"accuracy"};
  int top_k = 5;
  // Stateful metrics per output name, logged as "<output>_<metric name>"
  // (Keras' multi-output names: "dense_1_accuracy"); the output needs a
  // labels or tensor target.
  std::map<std::string, std::vector<std::string>> output_metrics;
  double weight_decay = 0.0;      // L2 on Network::regularized, wd * sum(w^2) / 2
  double clip_global_norm = 0.0;  // 0: no clipping
  // > 0: every gradient element clipped to [-clip_value, clip_value] after
  // clip_global_norm (Keras clipvalue, applied after global_clipnorm).
  double clip_value = 0.0;
  // Loss scaling (loss_scale.h); automatic: dynamic under fp16, else off
  // (compile resolves it with resolve_loss_scale).
  LossScaleOptions loss_scale;
  // > 1: gradient accumulation: the gradients of this many consecutive
  // training batches (micro-batches) are summed, and one update applies
  // their mean, as one batch that many times larger would without batch
  // norm (BN statistics still move per micro-batch). step() and the
  // learning-rate schedule count updates; fit's batches count micro-batches.
  int accumulate_steps = 1;
  // Fuse each Inception block's batch norm + ReLU + concat, forward and
  // backward, in training graphs (graph/fusion.h; bitwise neutral on the CPU).
  bool fusion = true;
  // > 0: keep an exponential moving average of the trainable parameters and
  // evaluate with it (ema.h); ema_warmup: TF's num_updates warm-up
  // min(decay, (1 + t) / (10 + t)).
  double ema_decay = 0.0;
  bool ema_warmup = true;
  // Record each step's stream work once and replay it (CUDA graphs; the CPU
  // emulates them): graph/planned_executor.h. Results are bitwise the same.
  bool graph_replay = true;
  // Streams the planned executor spreads a step over (graph/planned_executor.h):
  // 0 chooses (default_streams below); 1 runs every kernel in order on one
  // stream. Results are bitwise the same for any count.
  int streams = 0;
  // Check every op's outputs for NaN/Inf and fail naming the first op that
  // made one (graph/numerics_check.h); for debugging a diverging run.
  bool check_numerics = false;
  Device device = Device::cpu();
  // fp32 (default: the graph as built); tf32: TF32 convolutions and matrix
  // products on CUDA for this model; bf16 / fp16: the autocast pass
  // (graph/autocast.h) with f32 master weights, the CPU computing each op
  // in f32 and rounding its 16-bit outputs (ops/low_precision.h).
  graph::Precision precision = graph::Precision::fp32;
  DType dtype = DType::f32;
  uint64_t seed = 0;  // graph seed (dropout) and default initialisation seed
  // Data parallel (gradient_sync.h): gradients averaged over the ranks of
  // `communicator` in buckets of `bucket_bytes` before the update, and rank
  // 0's parameters and states broadcast before the first step. Null or a
  // world of one: a single process.
  std::shared_ptr<dist::Communicator> communicator;
  double bucket_bytes = kDefaultBucketBytes;
  // The planned length of the learning-rate schedule in optimizer steps (0:
  // unknown), stored in checkpoints so that a resumed run can rebuild the
  // schedule it was on (checkpoint.h). The schedule itself is `optimizer`'s.
  int64_t schedule_steps = 0;
};

// A data set with the per-sample transforms for training (augmentation)
// and for evaluation.
struct ImageData {
  std::shared_ptr<const data::Dataset> dataset;
  data::Transform train_transform;
  data::Transform eval_transform;
  // Per-output targets by output name, row i for sample i ([N, ...] shaped
  // like the output's rows for tensor targets, i32/i64 [N] to replace the
  // data set's labels of a labels target).
  std::map<std::string, Tensor> targets;
};

// Targets of one batch by output name (labels i32 [B] or tensors [B, ...]).
using Targets = std::map<std::string, Tensor>;
using ClassWeights = std::map<int64_t, double>;
// Class weights per output name.
using OutputClassWeights = std::map<std::string, ClassWeights>;

class Model : public Trainable {
 public:
  // `config_json` describes the network (stored in checkpoints).
  Model(NetworkBuilder builder, NetworkSpec input, std::string config_json = "{}");
  Model(GraphNetworkBuilder builder, NetworkSpec input, std::string config_json = "{}");
  ~Model() override;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  void compile(CompileOptions options);
  bool compiled() const { return compiled_; }
  const CompileOptions& options() const { return options_; }

  // Keras fit over `train` (and `validation` when given: it overrides
  // options.validation_split). Returns the History.
  History fit(const ImageData& train, FitOptions options,
              std::vector<std::shared_ptr<Callback>> callbacks = {},
              std::optional<ImageData> validation = std::nullopt);
  // Keras' fit with a Sequence (fit_generator): `source(epoch, index)`
  // yields batch `index` (images [B, H, W, C], labels i32 [B] or undefined
  // when no loss needs them) for index < steps_per_epoch; it runs on the
  // loader's workers (options.workers, max_queue_size), so it must be
  // thread-safe, and an exception it throws ends fit with an error naming
  // the batch. Epoch logs average the batches equally; validation, sample
  // and class weights and shuffling do not apply (the source owns its order).
  History fit(data::BatchSource source, int64_t steps_per_epoch, FitOptions options,
              std::vector<std::shared_ptr<Callback>> callbacks = {});
  Logs evaluate(const ImageData& data, EvaluateOptions options = {},
                std::vector<std::shared_ptr<Callback>> callbacks = {});
  // Main-head logits [N, classes] on the host, eval transform, training = false.
  Tensor predict(const ImageData& data, PredictOptions options = {});

  // One step on explicit tensors: images [B, H, W, C] (any float dtype,
  // converted), labels i32 [B] (for every labels target; undefined when no
  // loss needs labels), weights [B] (undefined: all 1).
  Logs train_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights = {});
  Logs test_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights = {});
  // Several outputs: targets by output name, sample weights [B] for every
  // output, class weights per output name (training only, as in Keras).
  Logs train_on_batch(const Tensor& images, const Targets& targets, const Tensor& weights = {},
                      const OutputClassWeights& class_weight = {});
  Logs test_on_batch(const Tensor& images, const Targets& targets, const Tensor& weights = {});
  std::vector<Tensor> predict_on_batch(const Tensor& images);  // every head's output

  // Output names (builds the graph of the model's batch size if needed).
  std::vector<std::string> output_names();

  // Trainable (fit_loop.h).
  int64_t num_samples() const override;
  int64_t num_validation_samples() const override;
  int64_t label(int64_t index) const override;
  Logs train_batch(std::span<const int64_t> indices, std::span<const double> weights) override;
  PendingLogs train_batch_deferred(std::span<const int64_t> indices, std::span<const double> weights) override;
  Logs evaluate_batch(DataSource source, std::span<const int64_t> indices,
                      std::span<const double> weights) override;
  void plan_batches(DataSource source, bool training, std::vector<std::vector<int64_t>> batches) override;
  void reset_metrics() override;
  Logs metric_results() override;
  MetricVariables metric_variables() const override;
  void assign_metric_variables(const MetricVariables& values) override;

  // TrainingContext.
  double learning_rate() const override;
  // Replaces the schedule by this constant rate from now on (checkpointed).
  void set_learning_rate(double lr) override;
  WeightSnapshot get_weights() const override;  // parameters then states (no slots)
  // The weights evaluation uses, in get_weights' order: the parameters'
  // moving averages (the raw parameters while there are none) then states.
  WeightSnapshot averaged_weights() const;
  void set_weights(const WeightSnapshot& weights) override;
  std::vector<std::string> weight_names() const override;  // the parameters', then the states' graph names
  void save(const std::string& path, bool weights_only = false) override;
  void restore_checkpoint(const std::string& path) override { load(path); }

  // Restores a checkpoint: weights and BN statistics, and unless either the
  // file or the call is weights-only, the optimizer slots, step, epoch and
  // learning-rate override. A tensor in the file that the model has no use
  // for is an error naming it. `verify` false skips the checksum and value
  // checks (load_checkpoint).
  void load(const std::string& path, bool weights_only = false, bool verify = true);
  // The same from a checkpoint already read from `path` (load_checkpoint),
  // so a caller that needs its contents first reads the file once.
  void restore(CheckpointState st, const std::string& path, bool weights_only = false);

  int64_t step() const { return step_; }
  int64_t epoch() const { return last_epoch_; }  // last finished epoch, -1 before
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  void finish_epoch(int64_t epoch) { last_epoch_ = epoch; }
  std::string config_json() const;

  // Leaf tensors shared by every graph, by graph name (parameters, states, slots).
  const std::map<std::string, Tensor>& leaves() const { return leaves_; }
  // The stream the steps run on (every executor's main stream: the device's
  // default stream). Reads and writes of the leaves are ordered on it.
  Stream stream() const { return Stream::default_stream(options_.device); }
  std::vector<std::string> parameter_names() const;
  // Graph names of the states (BN statistics; frozen parameters, fine_tune.h), in get_weights' order.
  const std::vector<std::string>& state_names() const { return state_names_; }
  // Ops of the training step (built for the model's batch size) that have no
  // kernel for `device`, sorted and unique; empty when the step can run there.
  std::vector<std::string> ops_without_kernel(DeviceType device);
  // The L2 term wd * sum(w^2) / 2 at the current weights (host).
  double l2_term() const;
  // Times the kernels of later training steps (not evaluation) into `p`
  // (graph/profiler.h); nullptr stops. train/callbacks/step_profile.h wraps it as a callback.
  void set_profiler(graph::StepProfiler* p) { profiler_ = p; }

 private:
  struct StepGraph;
  StepGraph& graph_for(int64_t batch);
  void build_train_part(StepGraph& s);
  void share_leaves(graph::Graph& g);
  // load(): every tensor of the file must be one the model restores (model_load_check.cpp).
  void check_no_unexpected_tensors(const CheckpointState& st, const std::string& path,
                                   bool weights_only) const;
  std::unique_ptr<graph::PlannedExecutor> make_executor(graph::Graph& g) const;
  struct Batch {
    Tensor images;
    Targets targets;  // by output name: every compiled loss's target except input targets
  };
  // Batches come from data::Loader through a BatchFeed (batch_feed.h), one
  // per use of a data set: fit's training, evaluation of the main data,
  // validation / evaluate, predict. Augmentation is keyed by (compile seed,
  // epoch, sample index), so workers and prefetch change no result.
  enum class FeedKind { train, main_eval, validation, predict };
  BatchFeed& feed(FeedKind kind, const ImageData& d);
  // Drops the feeds of `kinds` and sets the loader's workers and queue for
  // the next ones; the guard drops them again when the pass ends, normally
  // or by an exception, which stops their workers.
  struct FeedGuard {
    Model* m;
    std::vector<FeedKind> kinds;
    ~FeedGuard();
  };
  FeedGuard begin_feeds(std::initializer_list<FeedKind> kinds, int workers, int queue_size);
  void plan_predict(const ImageData& d, int64_t n, const PredictOptions& o);
  // Every compiled loss's target of a loaded batch, by output name.
  Targets batch_targets(const ImageData& d, const Tensor& labels, std::span<const int64_t> indices);
  Batch take_batch(FeedKind kind, const ImageData& d, std::span<const int64_t> indices);
  Tensor make_weights(std::span<const double> w, int64_t n) const;
  // One labels tensor for every labels target.
  Targets labels_for_all(const Tensor& labels);
  // The feeds of a step: images, targets, per-output weights (sample weights
  // times the output's class weights).
  std::vector<std::pair<graph::Value, Tensor>> feeds(StepGraph& s, const Tensor& images, const Targets& targets,
                                                     const Tensor& weights, const OutputClassWeights& cw);
  Logs step_logs(const StepGraph& s, const std::vector<Tensor>& out, const Targets& targets,
                 const Tensor& weights) const;
  Logs run_eval(const Tensor& images, const Targets& targets, const Tensor& weights);
  // One optimizer step; its logs are read on get().
  PendingLogs train_step(const Tensor& images, const Targets& targets, const Tensor& weights,
                         const OutputClassWeights& class_weight);
  Logs metric_logs(const Tensor& logits, const Tensor& labels, const Tensor& weights) const;

  NetworkBuilder builder_;
  GraphNetworkBuilder graph_builder_;
  NetworkSpec spec_;
  std::string config_json_;
  CompileOptions options_;
  bool compiled_ = false;
  std::map<int64_t, std::unique_ptr<StepGraph>> graphs_;
  std::map<std::string, Tensor> leaves_;
  std::vector<std::string> param_names_, state_names_, slot_names_;
  std::vector<std::string> regularized_names_;
  std::vector<std::string> output_names_;
  std::vector<std::string> ema_names_;  // shadow leaves, one per parameter (EMA on)
  EmaSwap ema_swap_;
  int64_t step_ = 0;
  int64_t micro_step_ = 0;  // micro-batches accumulated toward the next update
  bool evaluating_ = false;  // inside evaluate or fit's validation: metric_results has no loss scale
  int64_t epoch_ = 0;
  int64_t last_epoch_ = -1;
  std::optional<ImageData> train_data_, val_data_;
  std::map<FeedKind, std::unique_ptr<BatchFeed>> feeds_;
  int workers_ = 1, queue_size_ = 4;  // of the running fit / evaluate / predict
  OutputClassWeights fit_class_weight_;  // per output, during fit
  graph::StepProfiler* profiler_ = nullptr;
  double lr_override_ = -1;  // >= 0 after set_learning_rate
  bool replicas_synced_ = false;  // rank 0's leaves broadcast (data parallel)
  std::unique_ptr<MetricSet> metric_set_;  // stateful metrics; built with the first graph
};

// Sets the CPU threads used by OpenMP loops and OpenBLAS.
void set_cpu_threads(int threads);
// The streams a step is spread over when CompileOptions::streams is 0: 4 on
// a GPU; on the CPU 4 when each op runs on one thread (set_cpu_threads(1))
// and there is more than one core, else 1 (measured: cpu_threads.cpp).
int default_streams(Device device);

}  // namespace cutrain::train
