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
// graph::gradients w.r.t. the parameters; optional clip_by_global_norm;
// the optimizer's update ops (optimizer.h), whose tokens the step fetches.
// Training runs with RunOptions::training = true; evaluation and prediction
// fetch only forward values with training = false (BN uses its running
// statistics, dropout is the identity), so no separate eval graph is built.
//
// Per step, the learning rate comes from the schedule at (global step,
// epoch) and is written into the update nodes' attrs (set_step_attrs).
// Random ops draw from (graph seed, node id, global step): the executor's
// step counter is set to the global step before each training run, so a
// resumed run draws the same masks as an uninterrupted one.
//
// With CompileOptions::ema_decay > 0 the step also averages the parameters
// and evaluation runs on the averages (ema.h); checkpoints (weights-only ones
// too) store the averages as "ema.<parameter>".
//
// Checkpoints (checkpoint.h) hold parameters, BN statistics, optimizer
// slots, step, epoch, seed and the config JSON; load() restores them all, so
// fit() with initial_epoch = epoch() + 1 continues bit for bit on the same
// backend (the data order depends only on seed and epoch).
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
#include "cutrain/data/transforms.h"
#include "cutrain/graph/graph.h"
#include "cutrain/train/ema.h"
#include "cutrain/train/fit_loop.h"
#include "cutrain/train/losses_api.h"
#include "cutrain/train/optimizer.h"

namespace cutrain::graph {
class PlannedExecutor;
}

namespace cutrain::train {

struct NetworkSpec {
  int64_t batch_size = 32;
  int height = 32, width = 32, channels = 3;
  int num_classes = 10;
  DType dtype = DType::f32;
  uint64_t seed = 0;  // initialisation seed
};

struct Network {
  graph::Value input;                     // [batch, H, W, C] images
  std::vector<graph::Value> outputs;      // logits [batch, classes] per head
  std::vector<graph::Value> trainable;    // parameters the optimizer updates
  std::vector<graph::Value> regularized;  // weights with L2 decay (subset of trainable)
  std::vector<graph::Value> states;       // BN running statistics and other state
};

// Appends the network to the Model's graph (created with the compile seed).
using NetworkBuilder = std::function<Network(graph::Graph&, const NetworkSpec&)>;

// A network that brings its own graph (nn:: models create theirs).
struct OwnedNetwork {
  std::unique_ptr<graph::Graph> graph;
  Network network;
};
using GraphNetworkBuilder = std::function<OwnedNetwork(const NetworkSpec&)>;

struct CompileOptions {
  OptimizerConfig optimizer;
  std::vector<LossSpec> losses{LossSpec{}};  // per output; outputs beyond are ignored
  // "accuracy", "top_k" (k = top_k), "top5"; computed on output 0.
  std::vector<std::string> metrics{"accuracy"};
  int top_k = 5;
  double weight_decay = 0.0;      // L2 on Network::regularized, wd * sum(w^2) / 2
  double clip_global_norm = 0.0;  // 0: no clipping
  // > 0: keep an exponential moving average of the trainable parameters and
  // evaluate with it (ema.h); ema_warmup: TF's num_updates warm-up
  // min(decay, (1 + t) / (10 + t)).
  double ema_decay = 0.0;
  bool ema_warmup = true;
  Device device = Device::cpu();
  DType dtype = DType::f32;
  uint64_t seed = 0;  // graph seed (dropout) and default initialisation seed
};

// A data set with the per-sample transforms for training (augmentation)
// and for evaluation.
struct ImageData {
  std::shared_ptr<const data::Dataset> dataset;
  data::Transform train_transform;
  data::Transform eval_transform;
};

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
  Logs evaluate(const ImageData& data, EvaluateOptions options = {},
                std::vector<std::shared_ptr<Callback>> callbacks = {});
  // Main-head logits [N, classes] on the host, eval transform, training = false.
  Tensor predict(const ImageData& data, PredictOptions options = {});

  // One step on explicit tensors: images [B, H, W, C] (any float dtype,
  // converted), labels i32 [B], weights [B] (undefined: all 1).
  Logs train_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights = {});
  Logs test_on_batch(const Tensor& images, const Tensor& labels, const Tensor& weights = {});
  std::vector<Tensor> predict_on_batch(const Tensor& images);  // every head's output

  // Trainable (fit_loop.h).
  int64_t num_samples() const override;
  int64_t num_validation_samples() const override;
  int64_t label(int64_t index) const override;
  Logs train_batch(std::span<const int64_t> indices, std::span<const double> weights) override;
  Logs evaluate_batch(DataSource source, std::span<const int64_t> indices,
                      std::span<const double> weights) override;

  // TrainingContext.
  double learning_rate() const override;
  // Replaces the schedule by this constant rate from now on (checkpointed).
  void set_learning_rate(double lr) override;
  WeightSnapshot get_weights() const override;  // parameters then states (no slots)
  // The weights evaluation uses, in get_weights' order: the parameters'
  // moving averages (the raw parameters while there are none) then states.
  WeightSnapshot averaged_weights() const;
  void set_weights(const WeightSnapshot& weights) override;
  void save(const std::string& path, bool weights_only = false) override;

  // Restores a checkpoint: weights and BN statistics, and unless either the
  // file or the call is weights-only, the optimizer slots, step, epoch and
  // learning-rate override.
  void load(const std::string& path, bool weights_only = false);

  int64_t step() const { return step_; }
  int64_t epoch() const { return last_epoch_; }  // last finished epoch, -1 before
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  void finish_epoch(int64_t epoch) { last_epoch_ = epoch; }
  std::string config_json() const;

  // Leaf tensors shared by every graph, by graph name (parameters, states, slots).
  const std::map<std::string, Tensor>& leaves() const { return leaves_; }
  std::vector<std::string> parameter_names() const;
  // Ops of the training step (built for the model's batch size) that have no
  // kernel for `device`, sorted and unique; empty when the step can run there.
  std::vector<std::string> ops_without_kernel(DeviceType device);
  // The L2 term wd * sum(w^2) / 2 at the current weights (host).
  double l2_term() const;

 private:
  struct StepGraph;
  StepGraph& graph_for(int64_t batch);
  void build_train_part(StepGraph& s);
  void share_leaves(graph::Graph& g);
  // Images and labels of `indices`, transformed (augmentation keyed by seed, epoch, index).
  std::pair<Tensor, Tensor> make_batch(const ImageData& d, bool train,
                                       std::span<const int64_t> indices) const;
  Tensor make_weights(std::span<const double> w, int64_t n) const;
  Logs run_eval(const Tensor& images, const Tensor& labels, const Tensor& weights);
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
  std::vector<std::string> ema_names_;  // shadow leaves, one per parameter (EMA on)
  EmaSwap ema_swap_;
  int64_t step_ = 0;
  int64_t epoch_ = 0;
  int64_t last_epoch_ = -1;
  std::optional<ImageData> train_data_, val_data_;
  double lr_override_ = -1;  // >= 0 after set_learning_rate
};

// Sets the CPU threads used by OpenMP loops and OpenBLAS.
void set_cpu_threads(int threads);

}  // namespace cutrain::train
