// Test doubles for the train layer: a model context and a scripted Trainable.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cutrain/core/tensor.h"
#include "cutrain/train/callback.h"
#include "cutrain/train/fit_loop.h"

namespace cutrain::train::testing {

// One scalar weight; snapshots are real tensors so restore is observable.
class FakeContext : public Trainable {
 public:
  double lr = 1.0;
  double weight = 0.0;
  std::vector<std::pair<std::string, bool>> saves;  // (path, weights_only)
  int set_weights_calls = 0;

  double learning_rate() const override { return lr; }
  void set_learning_rate(double v) override { lr = v; }
  WeightSnapshot get_weights() const override {
    return {Tensor::from_vector({1}, {weight}, DType::f64)};
  }
  void set_weights(const WeightSnapshot& w) override {
    ++set_weights_calls;
    weight = w.at(0).item();
  }
  void save(const std::string& path, bool weights_only) override { saves.emplace_back(path, weights_only); }

  int64_t num_samples() const override { return 0; }
  Logs train_batch(std::span<const int64_t>, std::span<const double>) override { return {}; }
  Logs evaluate_batch(DataSource, std::span<const int64_t>, std::span<const double>) override {
    return {};
  }
};

// Drives one callback through scripted epochs the way fit does, setting the
// fake's weight to 100 + epoch before each epoch end. Returns epochs run.
inline int64_t run_epochs(Callback& cb, FakeContext& m, const std::vector<Logs>& per_epoch,
                          CallbackParams params = {}) {
  cb.set_context(&m);
  params.epochs = static_cast<int64_t>(per_epoch.size());
  cb.set_params(params);
  m.set_stop_training(false);
  Logs empty;
  cb.on_train_begin(empty);
  int64_t run = 0;
  Logs last;
  for (std::size_t e = 0; e < per_epoch.size(); ++e) {
    Logs b;
    cb.on_epoch_begin(static_cast<int64_t>(e), b);
    m.weight = 100.0 + static_cast<double>(e);
    Logs logs = per_epoch[e];
    cb.on_epoch_end(static_cast<int64_t>(e), logs);
    last = logs;
    ++run;
    if (m.stop_training()) break;
  }
  cb.on_train_end(last);
  return run;
}

inline Logs L(std::initializer_list<Logs::Entry> e) { return Logs(e); }

// A Trainable whose "per-sample loss" is the sample index: a batch reports
// loss = sum(index_i * w_i) / batch_size (Keras' reduction) and a constant
// accuracy. It records every call and can advance a fake clock per batch.
class ScriptedTrainable : public FakeContext {
 public:
  struct Call {
    std::vector<int64_t> indices;
    std::vector<double> weights;
    DataSource source = DataSource::main;
  };
  int64_t n = 0;
  int64_t n_val = 0;
  std::function<int64_t(int64_t)> label_of = [](int64_t i) { return i % 3; };
  std::vector<Call> train_calls, eval_calls;
  struct Plan {
    DataSource source;
    bool training;
    std::vector<std::vector<int64_t>> batches;
  };
  std::vector<Plan> plans;  // plan_batches calls, in order
  double now = 0;              // the fake clock
  double seconds_per_batch = 0;
  double accuracy = 0.25;

  int64_t num_samples() const override { return n; }
  int64_t num_validation_samples() const override { return n_val; }
  int64_t label(int64_t i) const override { return label_of(i); }

  static double weighted_mean(std::span<const int64_t> idx, std::span<const double> w) {
    double s = 0;
    for (std::size_t i = 0; i < idx.size(); ++i) s += static_cast<double>(idx[i]) * w[i];
    return s / static_cast<double>(idx.size());
  }
  Logs train_batch(std::span<const int64_t> idx, std::span<const double> w) override {
    train_calls.push_back({{idx.begin(), idx.end()}, {w.begin(), w.end()}});
    now += seconds_per_batch;
    return L({{"loss", weighted_mean(idx, w)}, {"accuracy", accuracy}});
  }
  Logs evaluate_batch(DataSource src, std::span<const int64_t> idx, std::span<const double> w) override {
    eval_calls.push_back({{idx.begin(), idx.end()}, {w.begin(), w.end()}, src});
    return L({{"loss", weighted_mean(idx, w)}, {"accuracy", accuracy}});
  }
  void plan_batches(DataSource src, bool training, std::vector<std::vector<int64_t>> batches) override {
    plans.push_back({src, training, std::move(batches)});
  }
  Clock clock() {
    return [this] { return now; };
  }
};

}  // namespace cutrain::train::testing
