// Callbacks and the model interface they see.
//
// A Callback is told about training as Keras tells its callbacks: train,
// epoch, batch, test (evaluation) and predict begin/end. It reaches the model
// only through TrainingContext, a small interface the real Model implements:
// the stop flag, the learning rate, weight snapshots and saving. Tests drive
// callbacks with a fake context, so their semantics do not need a model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/train/logs.h"
#include "cutrain/train/metric.h"

namespace cutrain::train {

struct FitProgress;  // fit_progress.h

// A copy of every weight of a model (Keras get_weights()), on the host.
using WeightSnapshot = std::vector<Tensor>;

class TrainingContext {
 public:
  virtual ~TrainingContext() = default;

  // fit() clears the flag at the start; a callback sets it to end training
  // after the current batch loop and epoch end (Keras model.stop_training).
  bool stop_training() const { return stop_training_; }
  void set_stop_training(bool stop) { stop_training_ = stop; }

  // The optimizer's current learning rate. set_learning_rate may throw
  // cutrain::Error when the rate comes from a schedule (as Keras refuses).
  virtual double learning_rate() const = 0;
  virtual void set_learning_rate(double lr) = 0;

  // Host copies of all weights, and their restoration (same count and shapes).
  virtual WeightSnapshot get_weights() const = 0;
  virtual void set_weights(const WeightSnapshot& weights) = 0;
  // The weights' names (Keras weight.path; the checkpoint names), in
  // get_weights' order. Empty when the model does not name them.
  virtual std::vector<std::string> weight_names() const { return {}; }

  // Writes a checkpoint to `path`: the whole model and optimizer state, or
  // only the weights. Creating parent folders is the caller's job.
  virtual void save(const std::string& path, bool weights_only) = 0;
  // Restores everything save(path, false) wrote (BackupAndRestore). The
  // default throws: this model cannot resume from a checkpoint.
  virtual void restore_checkpoint(const std::string& path);

  // The stateful metrics' variables by logged key, and their restoration
  // (metric.h); models without stateful metrics have none.
  virtual MetricVariables metric_variables() const { return {}; }
  virtual void assign_metric_variables(const MetricVariables& values);

 private:
  bool stop_training_ = false;
};

// What fit/evaluate/predict tell callbacks before they start (Keras params).
struct CallbackParams {
  int verbose = 0;
  int64_t epochs = 1;
  int64_t steps = -1;  // batches per epoch (or per evaluation); -1 when unknown
};

// Where callbacks report non-fatal problems (Keras warnings.warn).
using WarningSink = std::function<void(const std::string&)>;
WarningSink stderr_warning_sink();

class Callback {
 public:
  virtual ~Callback() = default;

  void set_context(TrainingContext* context) { context_ = context; }
  virtual void set_params(const CallbackParams& params) { params_ = params; }
  void set_warning_sink(WarningSink sink) { warn_ = std::move(sink); }
  // fit's position (fit_progress.h), null outside fit.
  void set_fit_progress(FitProgress* progress) { progress_ = progress; }

  virtual void on_train_begin(Logs& /*logs*/) {}
  virtual void on_train_end(Logs& /*logs*/) {}
  virtual void on_epoch_begin(int64_t /*epoch*/, Logs& /*logs*/) {}
  virtual void on_epoch_end(int64_t /*epoch*/, Logs& /*logs*/) {}
  virtual void on_train_batch_begin(int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_train_batch_end(int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_test_begin(Logs& /*logs*/) {}
  virtual void on_test_end(Logs& /*logs*/) {}
  virtual void on_test_batch_begin(int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_test_batch_end(int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_predict_begin(Logs& /*logs*/) {}
  virtual void on_predict_end(Logs& /*logs*/) {}
  virtual void on_predict_batch_begin(int64_t /*batch*/, Logs& /*logs*/) {}
  virtual void on_predict_batch_end(int64_t /*batch*/, Logs& /*logs*/) {}

 protected:
  TrainingContext& model() const;  // throws when no context was set
  bool has_model() const { return context_ != nullptr; }
  const CallbackParams& params() const { return params_; }
  void warn(const std::string& message) const;
  FitProgress* fit_progress() const { return progress_; }

 private:
  TrainingContext* context_ = nullptr;
  FitProgress* progress_ = nullptr;
  CallbackParams params_;
  WarningSink warn_;
};

class History;

// Calls every callback in order. Logs passed in are shared: a key one
// callback adds is seen by the callbacks after it.
class CallbackList {
 public:
  CallbackList() = default;
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks);

  void add(std::shared_ptr<Callback> callback) { callbacks_.push_back(std::move(callback)); }
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }
  // The first History in the list, if any.
  std::shared_ptr<History> history() const;

  void set_context(TrainingContext* context);
  void set_params(const CallbackParams& params);
  void set_fit_progress(FitProgress* progress);

  void on_train_begin(Logs& logs);
  void on_train_end(Logs& logs);
  void on_epoch_begin(int64_t epoch, Logs& logs);
  void on_epoch_end(int64_t epoch, Logs& logs);
  void on_train_batch_begin(int64_t batch, Logs& logs);
  void on_train_batch_end(int64_t batch, Logs& logs);
  void on_test_begin(Logs& logs);
  void on_test_end(Logs& logs);
  void on_test_batch_begin(int64_t batch, Logs& logs);
  void on_test_batch_end(int64_t batch, Logs& logs);
  void on_predict_begin(Logs& logs);
  void on_predict_end(Logs& logs);
  void on_predict_batch_begin(int64_t batch, Logs& logs);
  void on_predict_batch_end(int64_t batch, Logs& logs);

 private:
  std::vector<std::shared_ptr<Callback>> callbacks_;
};

}  // namespace cutrain::train
