// fit / evaluate / predict drivers with Keras semantics over abstract steps.
//
// The driver owns everything Keras' fit does around a training step:
// validation split, shuffling, batching, sample and class weights, running
// averages of logs, validation, callbacks and the stop flag. The step itself
// (forward, loss, backward, update) is the Trainable's: the real Model
// implements it with a planned graph, tests with a scripted fake.
//
// Semantics (REFERENCE.md section 4):
// - Epochs run from initial_epoch to epochs - 1 (`epochs` is the final index).
// - validation_split s takes the last n - floor(n * (1 - s)) samples, before
//   any shuffling, for validation (together with their sample weights); the
//   split must leave both sides non-empty. validation_data (the Trainable's
//   validation set) takes precedence over the split.
// - Training indices are reshuffled at the start of every pass over the data
//   (seeded by FitOptions::seed and the epoch where the pass starts; Fisher-
//   Yates with our own generator, identical everywhere: data::shuffled_order,
//   the Loader's shuffle). The last partial batch is kept.
// - Per-sample weight = sample_weight[i] (default 1) * class_weight[label(i)]
//   (labels missing from class_weight weigh 1). Validation gets sample
//   weights only, as in Keras. The Trainable reduces its loss as
//   sum(loss_i * w_i) / batch_size (see reduce_sum_over_batch_size).
// - Logs passed to on_train_batch_end (and the progress bar) are running
//   averages over the epoch so far; epoch logs are these averages at the end
//   (each batch weighted by its number of samples, like Keras' Mean metrics),
//   then validation logs with a "val_" prefix.
// - validation_freq / validation_epochs choose the epochs that validate
//   (see FitOptions); the others log no "val_" keys.
// - steps_per_epoch > 0 limits an epoch to that many batches and, as in
//   Keras 3, the next epoch continues the same pass over the data; when a pass
//   runs out inside an epoch, the epoch ends early with a warning and the next
//   one starts a new pass. validation_steps > 0 limits each validation to its
//   first that many batches (always from the first validation sample).
// - steps_per_execution K > 1 (Keras): K training steps run before their
//   logs are read and added to the running averages in step order, so the
//   averages are the same; on_train_batch_begin(first) and
//   on_train_batch_end(last) bracket each execution.
// - Callback order: train_begin; per epoch: epoch_begin, (train_batch_begin,
//   train_batch_end)*, [test_begin, (test_batch_begin, test_batch_end)*,
//   test_end], epoch_end; train_end with the last epoch logs. A History is
//   appended to the callbacks unless one is present, then a ProgBarLogger when
//   verbose != 0 unless one is present.
// - stop_training set by a callback during a batch ends the epoch's batch loop
//   at once; validation and epoch_end still run; no further epoch starts.
// - terminate_on_nan (default on, unless a TerminateOnNaN is among the
//   callbacks): a non-finite loss stops training; that epoch gets no
//   validation and no epoch_end, train_end gets the last complete epoch's
//   logs, then fit throws NonFiniteLossError (callbacks/terminate_on_nan.h).
#pragma once

#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cutrain/train/callback.h"
#include "cutrain/train/callbacks/history.h"
#include "cutrain/train/logs.h"
#include "cutrain/train/progbar.h"

namespace cutrain::dist {
class Communicator;
}

namespace cutrain::train {

// Which data set an index refers to: the main (training) data or the
// separate validation data.
enum class DataSource { main, validation };

// A step's logs that may still be on the device: read (which on a GPU waits
// for the step) once, when first asked for. Lets fit run several steps
// without waiting for any of them (FitOptions::steps_per_execution).
class PendingLogs {
 public:
  PendingLogs(Logs ready) : logs_(std::move(ready)), resolved_(true) {}  // NOLINT: implicit by design
  explicit PendingLogs(std::function<Logs()> resolve) : resolve_(std::move(resolve)) {}
  const Logs& get() {
    if (!resolved_) {
      logs_ = resolve_();
      resolve_ = nullptr;
      resolved_ = true;
    }
    return logs_;
  }
  bool resolved() const { return resolved_; }

 private:
  std::function<Logs()> resolve_;
  Logs logs_;
  bool resolved_ = false;
};

class Trainable : public TrainingContext {
 public:
  virtual int64_t num_samples() const = 0;
  // Size of the separate validation set (FitOptions::validation_data).
  virtual int64_t num_validation_samples() const { return 0; }
  // Integer class label of main sample `index`; needed only with class_weight.
  virtual int64_t label(int64_t index) const;
  // One optimizer step on the main samples `indices` with per-sample weights.
  // Returns the batch's loss and metrics (batch means).
  virtual Logs train_batch(std::span<const int64_t> indices, std::span<const double> weights) = 0;
  // The same step with its logs read later (Model: the loss and metric
  // outputs stay on the device until get()). Default: train_batch.
  virtual PendingLogs train_batch_deferred(std::span<const int64_t> indices, std::span<const double> weights) {
    return train_batch(indices, weights);
  }
  // Loss and metrics without updating anything.
  virtual Logs evaluate_batch(DataSource source, std::span<const int64_t> indices,
                              std::span<const double> weights) = 0;
  // The batches the loop asks for next, in order (a training epoch's, or an
  // evaluation's), announced before the first of them so they can be built
  // ahead (Model: on its loader's workers). The train_batch/evaluate_batch
  // calls that follow take exactly these indices, unless the loop stops
  // early (a callback's stop_training, an error).
  virtual void plan_batches(DataSource source, bool training, std::vector<std::vector<int64_t>> batches) {
    (void)source, (void)training, (void)batches;
  }
  // Stateful metrics (metric.h): the loop resets them when an epoch's
  // training or an evaluation starts, and their results replace the
  // averages of the same keys in the running and final logs (a metric such
  // as AUC is not a mean of its batch values). Default: none.
  virtual void reset_metrics() {}
  virtual Logs metric_results() { return {}; }
};

struct FitOptions {
  int64_t batch_size = 32;
  int64_t epochs = 1;
  int verbose = 1;  // 0 quiet, 1 progress bar, 2 one line per epoch
  double validation_split = 0;
  bool validation_data = false;  // validate on the Trainable's validation set
  // Keras' validation_freq: an int N validates after epochs N, 2N, ...
  // (1-based: (epoch + 1) % N == 0); a list (validation_epochs, non-empty)
  // validates after exactly the 1-based epochs it names.
  int64_t validation_freq = 1;
  std::vector<int64_t> validation_epochs;
  bool shuffle = true;
  std::map<int64_t, double> class_weight;
  // Class weights per output name, for Trainables with several outputs
  // (Model): the Trainable applies them to that output's loss in training
  // steps (validation never gets class weights); the loop passes them on.
  std::map<std::string, std::map<int64_t, double>> output_class_weight;
  std::vector<double> sample_weight;             // per main sample; empty: all 1
  std::vector<double> validation_sample_weight;  // per validation sample; empty: all 1
  int64_t initial_epoch = 0;
  int64_t steps_per_epoch = 0;   // 0: a full pass per epoch
  int64_t validation_steps = 0;  // 0: all validation batches
  // Keras' steps_per_execution: steps run back to back before their logs
  // are read and on_train_batch_begin/end are called (once per execution,
  // with the first and the last step's index); the logs and History are the
  // same for any value, callbacks see fewer batch ends and stop_training
  // takes effect at the end of an execution.
  int64_t steps_per_execution = 1;
  uint64_t seed = 0;
  bool terminate_on_nan = true;    // see above
  // Keras' workers and max_queue_size: threads that build batches (0: on the
  // training thread) and batches built ahead. Results do not depend on them.
  int workers = 1;
  int max_queue_size = 4;
  std::ostream* out = &std::cout;  // progress bar output
  Clock clock;                     // default: steady clock
  WarningSink warn;                // default: stderr
  // Data parallel (data_parallel.h): each rank trains on its shard of every
  // epoch and validates on its part of the validation set; the epoch's logs
  // are averaged over the ranks. Null or a world of one: all the data.
  std::shared_ptr<dist::Communicator> communicator;
};

History fit(Trainable& model, const FitOptions& options,
            std::vector<std::shared_ptr<Callback>> callbacks = {});

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 1;
  int64_t steps = 0;  // 0: all batches
  DataSource source = DataSource::main;
  std::vector<double> sample_weight;
  int workers = 1;  // as in FitOptions
  int max_queue_size = 4;
  std::ostream* out = &std::cout;
  Clock clock;
};

// Averages of the batch logs over the evaluated samples (Keras evaluate).
Logs evaluate(Trainable& model, const EvaluateOptions& options,
              std::vector<std::shared_ptr<Callback>> callbacks = {});

struct PredictOptions {
  int64_t batch_size = 32;
  int verbose = 1;
  int64_t steps = 0;  // 0: all batches
  int workers = 1;    // as in FitOptions
  int max_queue_size = 4;
  std::ostream* out = &std::cout;
  Clock clock;
};

// Calls run_batch with consecutive index batches [0, n), with the predict
// callbacks around it; the caller collects the outputs.
void predict(TrainingContext& model, int64_t num_samples,
             const std::function<void(std::span<const int64_t>)>& run_batch,
             const PredictOptions& options, std::vector<std::shared_ptr<Callback>> callbacks = {});

}  // namespace cutrain::train
