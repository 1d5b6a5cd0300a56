#include "cutrain/train/fit_loop.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "cutrain/core/error.h"
#include "cutrain/data/shuffle.h"
#include "cutrain/train/callbacks/progbar_logger.h"
#include "cutrain/train/callbacks/terminate_on_nan.h"
#include "cutrain/train/data_parallel.h"
#include "cutrain/train/fit_progress.h"

namespace cutrain::train {
namespace {

int64_t num_batches(int64_t n, int64_t batch_size) { return (n + batch_size - 1) / batch_size; }

std::vector<double> weights_for(std::span<const int64_t> idx, const std::vector<double>& sw) {
  std::vector<double> w(idx.size(), 1.0);
  if (!sw.empty())
    for (std::size_t i = 0; i < idx.size(); ++i) w[i] = sw[static_cast<std::size_t>(idx[i])];
  return w;
}

// Batches [first, first + count) of `indices` cut into batch_size rows (the
// last one may be short).
std::vector<std::vector<int64_t>> cut(const std::vector<int64_t>& indices, int64_t first, int64_t count,
                                      int64_t batch_size) {
  std::vector<std::vector<int64_t>> out;
  const auto n = static_cast<int64_t>(indices.size());
  for (int64_t b = first; b < first + count; ++b) {
    const int64_t lo = b * batch_size, hi = std::min(n, lo + batch_size);
    if (lo >= hi) break;
    out.emplace_back(indices.begin() + lo, indices.begin() + hi);
  }
  return out;
}

// The default callbacks Keras adds, then the context and params for all.
CallbackList make_list(std::vector<std::shared_ptr<Callback>> user, bool add_history, int verbose,
                       std::ostream* out, const Clock& clock) {
  CallbackList list(std::move(user));
  if (add_history && !list.history()) list.add(std::make_shared<History>());
  const bool has_bar = std::any_of(list.callbacks().begin(), list.callbacks().end(), [](const auto& c) {
    return dynamic_cast<ProgBarLogger*>(c.get()) != nullptr;
  });
  if (verbose != 0 && !has_bar && out) list.add(std::make_shared<ProgBarLogger>(*out, clock));
  return list;
}

// One evaluation pass: on_test_* callbacks, running averages, final averages.
Logs run_evaluation(Trainable& model, DataSource source, const std::vector<int64_t>& indices,
                    const std::vector<double>& weights_by_index, int64_t batch_size, int64_t steps,
                    CallbackList& callbacks) {
  Logs begin_logs;
  callbacks.on_test_begin(begin_logs);
  model.reset_metrics();
  LogsAverager avg;
  const auto n = static_cast<int64_t>(indices.size());
  int64_t batches = num_batches(n, batch_size);
  if (steps > 0) batches = std::min(batches, steps);
  model.plan_batches(source, false, cut(indices, 0, batches, batch_size));
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t lo = b * batch_size, hi = std::min(n, lo + batch_size);
    std::span<const int64_t> idx(indices.data() + lo, static_cast<std::size_t>(hi - lo));
    Logs none;
    callbacks.on_test_batch_begin(b, none);
    const Logs batch_logs = model.evaluate_batch(source, idx, weights_for(idx, weights_by_index));
    avg.add(batch_logs, static_cast<double>(hi - lo));
    Logs running = avg.average();
    running.update(model.metric_results());
    callbacks.on_test_batch_end(b, running);
  }
  Logs logs = avg.average();
  logs.update(model.metric_results());
  callbacks.on_test_end(logs);
  return logs;
}

// fit's own TerminateOnNaN, unless it is off or the caller passed one.
std::shared_ptr<TerminateOnNaN> default_nan_guard(const std::vector<std::shared_ptr<Callback>>& user,
                                                  const FitOptions& opt) {
  if (!opt.terminate_on_nan) return nullptr;
  for (const auto& c : user)
    if (dynamic_cast<const TerminateOnNaN*>(c.get())) return nullptr;
  return std::make_shared<TerminateOnNaN>();
}

[[noreturn]] void throw_non_finite(const NonFiniteLoss& at, int64_t epochs, int64_t steps) {
  std::ostringstream m;
  m << "training stopped: the loss is " << (std::isnan(at.value) ? "nan" : at.value > 0 ? "inf" : "-inf") << " at epoch " << at.epoch + 1 << "/" << epochs
    << ", batch " << at.batch + 1 << "/" << steps
    << "; nothing of this epoch was saved (the last checkpoint, if any, is of the last complete epoch). "
       "Lower the learning rate, or find the op that made it with CompileOptions::check_numerics "
       "(cutrain train --check-numerics)";
  throw NonFiniteLossError(m.str(), at);
}

// Keras' _should_eval: epoch + 1 divisible by the int, or in the list.
bool validates_after(int64_t epoch, const FitOptions& opt) {
  if (!opt.validation_epochs.empty())
    return std::find(opt.validation_epochs.begin(), opt.validation_epochs.end(), epoch + 1) !=
           opt.validation_epochs.end();
  return (epoch + 1) % opt.validation_freq == 0;
}

std::vector<int64_t> iota(int64_t lo, int64_t hi) {
  std::vector<int64_t> v(static_cast<std::size_t>(std::max<int64_t>(0, hi - lo)));
  std::iota(v.begin(), v.end(), lo);
  return v;
}

}  // namespace

int64_t Trainable::label(int64_t index) const {
  CUTRAIN_THROW("class_weight needs labels, but this model does not provide them (sample ", index, ")");
}

History fit(Trainable& model, const FitOptions& opt, std::vector<std::shared_ptr<Callback>> user) {
  CUTRAIN_CHECK(opt.batch_size > 0, "fit: batch_size must be positive, got ", opt.batch_size);
  CUTRAIN_CHECK(opt.validation_split >= 0 && opt.validation_split < 1,
                "fit: validation_split must be in [0, 1), got ", opt.validation_split);
  CUTRAIN_CHECK(opt.steps_per_epoch >= 0 && opt.validation_steps >= 0,
                "fit: steps_per_epoch and validation_steps must be >= 0");
  CUTRAIN_CHECK(opt.steps_per_execution >= 1, "fit: steps_per_execution must be >= 1, got ",
                opt.steps_per_execution);
  CUTRAIN_CHECK(opt.validation_freq >= 1, "fit: validation_freq must be >= 1, got ", opt.validation_freq);
  for (int64_t e : opt.validation_epochs)
    CUTRAIN_CHECK(e >= 1, "fit: validation_freq lists 1-based epochs, got ", e);
  const int64_t n = model.num_samples();
  CUTRAIN_CHECK(opt.sample_weight.empty() || static_cast<int64_t>(opt.sample_weight.size()) == n,
                "fit: ", opt.sample_weight.size(), " sample weights for ", n, " samples");
  const WarningSink warn = opt.warn ? opt.warn : stderr_warning_sink();

  // Validation split: the last samples, before shuffling.
  int64_t n_train = n;
  DataSource val_source = DataSource::main;
  std::vector<int64_t> val_indices;
  std::vector<double> val_weights;
  if (opt.validation_data) {
    const int64_t nv = model.num_validation_samples();
    CUTRAIN_CHECK(nv > 0, "fit: validation_data is set but the model has no validation samples");
    val_source = DataSource::validation;
    val_indices = iota(0, nv);
    val_weights = opt.validation_sample_weight;
    CUTRAIN_CHECK(val_weights.empty() || static_cast<int64_t>(val_weights.size()) == nv,
                  "fit: ", val_weights.size(), " validation sample weights for ", nv, " samples");
  } else if (opt.validation_split > 0) {
    n_train = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - opt.validation_split)));
    CUTRAIN_CHECK(n_train > 0 && n_train < n, "Training data contains ", n,
                  " samples, which is not sufficient to split it into a validation and training "
                  "set as specified by validation_split=", opt.validation_split,
                  ". Either provide more data, or a different value for validation_split.");
    val_indices = iota(n_train, n);
    val_weights = opt.sample_weight;  // indexed by sample number, so the tail applies
  }
  CUTRAIN_CHECK(n_train > 0, "fit: no training samples");
  dist::Communicator* comm = opt.communicator.get();
  const bool sharded = comm && comm->world_size() > 1;
  const bool validating = !val_indices.empty();
  if (sharded && validating) {
    CUTRAIN_CHECK(static_cast<int64_t>(val_indices.size()) >= comm->world_size(), "fit: ",
                  val_indices.size(), " validation samples for ", comm->world_size(),
                  " ranks: every rank needs at least one");
    val_indices = shard_indices(val_indices, comm->rank(), comm->world_size(), false);
  }

  // Per-sample training weights: sample_weight x class_weight[label].
  std::vector<double> train_weights;
  if (!opt.sample_weight.empty() || !opt.class_weight.empty()) {
    train_weights.assign(static_cast<std::size_t>(n), 1.0);
    for (int64_t i = 0; i < n_train; ++i) {
      double w = opt.sample_weight.empty() ? 1.0 : opt.sample_weight[static_cast<std::size_t>(i)];
      if (!opt.class_weight.empty()) {
        auto it = opt.class_weight.find(model.label(i));
        if (it != opt.class_weight.end()) w *= it->second;
      }
      train_weights[static_cast<std::size_t>(i)] = w;
    }
  }

  // Every rank's shard has the same length, so every rank runs the same steps.
  const int64_t per_rank = sharded ? (n_train + comm->world_size() - 1) / comm->world_size() : n_train;
  const int64_t batches_per_pass = num_batches(per_rank, opt.batch_size);
  const int64_t steps = opt.steps_per_epoch > 0 ? opt.steps_per_epoch : batches_per_pass;
  std::shared_ptr<TerminateOnNaN> nan_guard = default_nan_guard(user, opt);
  if (nan_guard) user.insert(user.begin(), nan_guard);  // first: it sees each batch before savers
  CallbackList callbacks = make_list(std::move(user), true, opt.verbose, opt.out, opt.clock);
  callbacks.set_context(&model);
  callbacks.set_params(CallbackParams{.verbose = opt.verbose, .epochs = opt.epochs, .steps = steps});

  // Where the loop is, for callbacks that back the run up (fit_progress.h).
  FitProgress progress;
  progress.run = FitRun{.batch_size = opt.batch_size,
                        .steps_per_epoch = steps,
                        .train_samples = per_rank,
                        .world_size = sharded ? comm->world_size() : 1,
                        .seed = opt.seed,
                        .shuffle = opt.shuffle};
  progress.epoch = opt.initial_epoch;
  callbacks.set_fit_progress(&progress);

  model.set_stop_training(false);
  Logs begin_logs;
  callbacks.on_train_begin(begin_logs);
  Logs training_logs;

  const std::vector<int64_t> base = iota(0, n_train);
  std::vector<int64_t> pass;
  int64_t pass_epoch = -1;  // the epoch whose seed ordered `pass`
  int64_t cursor = 0;       // next batch of the current pass
  const auto make_pass = [&](int64_t e) {
    pass = opt.shuffle ? data::shuffled_order(base, opt.seed, e) : base;
    if (sharded) pass = shard_indices(pass, comm->rank(), comm->world_size(), true);
    pass_epoch = e;
  };
  int64_t first_epoch = opt.initial_epoch;
  int64_t resume_step = 0;  // batches of first_epoch already done
  if (progress.resumed) {   // a callback restored a backup in on_train_begin
    first_epoch = progress.epoch;
    resume_step = progress.step;
    if (progress.pass_epoch >= 0) make_pass(progress.pass_epoch);
    cursor = progress.cursor;
    CUTRAIN_CHECK(cursor <= batches_per_pass, "fit: resuming at batch ", cursor, " of a pass of ",
                  batches_per_pass);
  }
  for (int64_t epoch = first_epoch; epoch < opt.epochs; ++epoch) {
    const bool resuming = progress.resumed && epoch == first_epoch;
    const int64_t first_step = resuming ? resume_step : 0;
    // A new pass when the last one ran out, checked where an epoch starts
    // (an epoch resumed mid-way continues its pass).
    if (first_step == 0 && (pass.empty() || cursor >= batches_per_pass)) {
      make_pass(epoch);
      cursor = 0;
    }
    Logs epoch_begin_logs;
    callbacks.on_epoch_begin(epoch, epoch_begin_logs);
    model.reset_metrics();
    LogsAverager avg;
    double seen = 0;  // samples behind this epoch's logs
    if (resuming && first_step > 0) {  // mid-epoch: the epoch's logs so far
      model.assign_metric_variables(progress.metrics);
      avg.restore(progress.averages);
      seen = progress.seen;
    }
    progress.resumed = false;
    model.plan_batches(DataSource::main, true,
                       cut(pass, cursor, std::min(steps - first_step, batches_per_pass - cursor), opt.batch_size));
    std::vector<std::pair<PendingLogs, double>> pending;  // the current execution's steps
    bool out_of_data = false;
    for (int64_t step = first_step; step < steps && !out_of_data;) {
      const int64_t first = step;
      for (int64_t k = 0; k < opt.steps_per_execution && step < steps; ++k, ++step) {
        if (cursor >= batches_per_pass) {
          warn("Your input ran out of data; interrupting training. Make sure that your dataset can "
               "generate at least steps_per_epoch * epochs batches.");
          out_of_data = true;
          break;
        }
        const int64_t lo = cursor * opt.batch_size, hi = std::min(per_rank, lo + opt.batch_size);
        ++cursor;
        std::span<const int64_t> idx(pass.data() + lo, static_cast<std::size_t>(hi - lo));
        if (k == 0) {
          Logs none;
          callbacks.on_train_batch_begin(first, none);
        }
        pending.emplace_back(model.train_batch_deferred(idx, weights_for(idx, train_weights)),
                             static_cast<double>(hi - lo));
      }
      if (pending.empty()) break;
      for (auto& [logs, weight] : pending) {
        avg.add(logs.get(), weight);
        seen += weight;
      }
      pending.clear();
      Logs running = avg.average();
      running.update(model.metric_results());
      progress.epoch = epoch;
      progress.step = step;
      progress.pass_epoch = pass_epoch;
      progress.cursor = cursor;
      progress.seen = seen;
      progress.averages = avg.sums();
      callbacks.on_train_batch_end(step - 1, running);
      if (nan_guard && nan_guard->terminated()) {
        // Non-finite weights: no validation, epoch end or checkpoint of them.
        callbacks.on_train_end(training_logs);
        throw_non_finite(*nan_guard->terminated(), opt.epochs, steps);
      }
      if (model.stop_training()) break;
    }
    Logs epoch_logs = avg.average();
    epoch_logs.update(model.metric_results());
    if (sharded) epoch_logs = average_logs(*comm, epoch_logs, seen);
    if (validating && validates_after(epoch, opt)) {
      Logs val = run_evaluation(model, val_source, val_indices, val_weights, opt.batch_size,
                                opt.validation_steps, callbacks);
      if (sharded) {
        int64_t evaluated = static_cast<int64_t>(val_indices.size());
        if (opt.validation_steps > 0) evaluated = std::min(evaluated, opt.validation_steps * opt.batch_size);
        val = average_logs(*comm, val, static_cast<double>(evaluated));
      }
      epoch_logs.update(val, "val_");
    }
    // At an epoch's end the position is the next epoch's start.
    progress.epoch = epoch + 1;
    progress.step = 0;
    progress.pass_epoch = pass_epoch;
    progress.cursor = cursor;
    progress.seen = 0;
    progress.averages.clear();
    callbacks.on_epoch_end(epoch, epoch_logs);
    training_logs = epoch_logs;
    if (model.stop_training()) break;
  }
  callbacks.on_train_end(training_logs);
  return *callbacks.history();
}

Logs evaluate(Trainable& model, const EvaluateOptions& opt, std::vector<std::shared_ptr<Callback>> user) {
  CUTRAIN_CHECK(opt.batch_size > 0, "evaluate: batch_size must be positive, got ", opt.batch_size);
  const int64_t n = opt.source == DataSource::main ? model.num_samples() : model.num_validation_samples();
  CUTRAIN_CHECK(n > 0, "evaluate: no samples to evaluate");
  CUTRAIN_CHECK(opt.sample_weight.empty() || static_cast<int64_t>(opt.sample_weight.size()) == n,
                "evaluate: ", opt.sample_weight.size(), " sample weights for ", n, " samples");
  CallbackList callbacks = make_list(std::move(user), false, opt.verbose, opt.out, opt.clock);
  callbacks.set_context(&model);
  int64_t steps = num_batches(n, opt.batch_size);
  if (opt.steps > 0) steps = std::min(steps, opt.steps);
  callbacks.set_params(CallbackParams{.verbose = opt.verbose, .epochs = 1, .steps = steps});
  return run_evaluation(model, opt.source, iota(0, n), opt.sample_weight, opt.batch_size, opt.steps,
                        callbacks);
}

void predict(TrainingContext& model, int64_t n,
             const std::function<void(std::span<const int64_t>)>& run_batch,
             const PredictOptions& opt, std::vector<std::shared_ptr<Callback>> user) {
  CUTRAIN_CHECK(opt.batch_size > 0, "predict: batch_size must be positive, got ", opt.batch_size);
  CallbackList callbacks = make_list(std::move(user), false, opt.verbose, opt.out, opt.clock);
  callbacks.set_context(&model);
  int64_t steps = num_batches(n, opt.batch_size);
  if (opt.steps > 0) steps = std::min(steps, opt.steps);
  callbacks.set_params(CallbackParams{.verbose = opt.verbose, .epochs = 1, .steps = steps});
  const std::vector<int64_t> all = iota(0, n);
  Logs logs;
  callbacks.on_predict_begin(logs);
  for (int64_t b = 0; b < steps; ++b) {
    const int64_t lo = b * opt.batch_size, hi = std::min(n, lo + opt.batch_size);
    Logs none;
    callbacks.on_predict_batch_begin(b, none);
    run_batch(std::span<const int64_t>(all.data() + lo, static_cast<std::size_t>(hi - lo)));
    callbacks.on_predict_batch_end(b, none);
  }
  callbacks.on_predict_end(logs);
}

}  // namespace cutrain::train
