// fit/evaluate/predict: the exact indices, weights, logs and callback order
// the driver produces for a scripted Trainable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <numeric>
#include <set>

#include "cutrain/core/error.h"
#include "cutrain/data/shuffle.h"
#include "cutrain/train/callbacks/lambda_callback.h"
#include "cutrain/train/callbacks/reduce_lr_on_plateau.h"
#include "cutrain/train/callbacks/terminate_on_nan.h"
#include "fakes.h"

using namespace cutrain;
using namespace cutrain::train;
using namespace cutrain::train::testing;

namespace {
using Idx = std::vector<int64_t>;
std::vector<Idx> train_batches(const ScriptedTrainable& m) {
  std::vector<Idx> out;
  for (const auto& c : m.train_calls) out.push_back(c.indices);
  return out;
}
FitOptions quiet(FitOptions o) {
  o.verbose = 0;
  return o;
}
}  // namespace

TEST(Fit, ValidationSplitTakesTheLastSamplesBeforeShuffling) {
  ScriptedTrainable m;
  m.n = 10;
  // floor(10 * 0.75) = 7 training samples; 7, 8, 9 validate.
  History h = fit(m, quiet({.batch_size = 3, .epochs = 2, .validation_split = 0.25, .seed = 42}));
  ASSERT_EQ(m.train_calls.size(), 6u);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const Idx perm = data::shuffled_order({0, 1, 2, 3, 4, 5, 6}, 42, epoch);
    Idx seen;
    for (int b = 0; b < 3; ++b) {
      const auto& idx = m.train_calls[static_cast<std::size_t>(epoch * 3 + b)].indices;
      seen.insert(seen.end(), idx.begin(), idx.end());
    }
    EXPECT_EQ(seen, perm);  // batches are consecutive slices of the permutation
    Idx sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (Idx{0, 1, 2, 3, 4, 5, 6}));
  }
  EXPECT_EQ(m.train_calls[2].indices.size(), 1u);  // last partial batch kept
  EXPECT_NE(data::shuffled_order({0, 1, 2, 3, 4, 5, 6}, 42, 0), data::shuffled_order({0, 1, 2, 3, 4, 5, 6}, 42, 1));
  ASSERT_EQ(m.eval_calls.size(), 2u);
  for (const auto& c : m.eval_calls) {
    EXPECT_EQ(c.indices, (Idx{7, 8, 9}));
    EXPECT_EQ(c.source, DataSource::main);
  }
  EXPECT_EQ(h["val_loss"], (std::vector<double>{8.0, 8.0}));
  EXPECT_DOUBLE_EQ(h["loss"][0], 3.0);  // mean of 0..6: batches weighted by size
}

TEST(Fit, NoShuffleKeepsOrderAndSplitMustLeaveBothSides) {
  ScriptedTrainable m;
  m.n = 7;
  fit(m, quiet({.batch_size = 3, .epochs = 1, .shuffle = false}));
  EXPECT_EQ(train_batches(m), (std::vector<Idx>{{0, 1, 2}, {3, 4, 5}, {6}}));
  ScriptedTrainable tiny;
  tiny.n = 1;
  EXPECT_THROW(fit(tiny, quiet({.validation_split = 0.5})), Error);  // floor(0.5) = 0 train
  EXPECT_THROW(fit(m, quiet({.validation_split = 1.0})), Error);
  EXPECT_THROW(fit(m, quiet({.batch_size = 0})), Error);
}

TEST(Fit, ClassWeightTimesSampleWeight) {
  ScriptedTrainable m;
  m.n = 6;  // labels i % 3
  std::vector<double> sw = {1.0, 1.5, 2.0, 2.5, 3.0, 3.5};
  History h = fit(m, quiet({.batch_size = 6, .epochs = 1, .validation_split = 1.0 / 3.0, .shuffle = false,
                            .class_weight = {{0, 2.0}, {1, 0.5}}, .sample_weight = sw}));
  // floor(6 * 2/3) = 4 training samples (0..3), 4 and 5 validate.
  ASSERT_EQ(m.train_calls.size(), 1u);
  EXPECT_EQ(m.train_calls[0].indices, (Idx{0, 1, 2, 3}));
  // label 0 -> x2, label 1 -> x0.5, label 2 missing -> x1.
  EXPECT_EQ(m.train_calls[0].weights, (std::vector<double>{1.0 * 2.0, 1.5 * 0.5, 2.0 * 1.0, 2.5 * 2.0}));
  // Validation gets the sample weights only.
  ASSERT_EQ(m.eval_calls.size(), 1u);
  EXPECT_EQ(m.eval_calls[0].weights, (std::vector<double>{3.0, 3.5}));
  // Keras reduction: sum(loss_i * w_i) / batch_size.
  EXPECT_DOUBLE_EQ(h["loss"][0], (0 * 2.0 + 1 * 0.75 + 2 * 2.0 + 3 * 5.0) / 4.0);
  EXPECT_DOUBLE_EQ(h["val_loss"][0], (4 * 3.0 + 5 * 3.5) / 2.0);
}

TEST(Fit, EpochLogsAverageBatchesWeightedBySizeAndBatchLogsAreRunning) {
  ScriptedTrainable m;
  m.n = 7;
  std::vector<double> running;
  auto cb = std::make_shared<LambdaCallback>();
  cb->train_batch_end = [&](int64_t, Logs& l) { running.push_back(l.at("loss")); };
  History h = fit(m, quiet({.batch_size = 3, .epochs = 1, .shuffle = false}), {cb});
  // Batch losses 1, 4, 6 with sizes 3, 3, 1.
  EXPECT_EQ(running, (std::vector<double>{1.0, (3 * 1.0 + 3 * 4.0) / 6, (3 * 1.0 + 3 * 4.0 + 6.0) / 7}));
  EXPECT_DOUBLE_EQ(h["loss"][0], 3.0);
  EXPECT_EQ(h["accuracy"][0], 0.25);
}

TEST(Fit, CallbackOrder) {
  ScriptedTrainable m;
  m.n = 4;
  std::vector<std::string> trace;
  auto cb = std::make_shared<LambdaCallback>();
  cb->train_begin = [&](Logs&) { trace.push_back("train_begin"); };
  cb->train_end = [&](Logs& l) { trace.push_back("train_end:" + std::to_string(l.size())); };
  cb->epoch_begin = [&](int64_t e, Logs&) { trace.push_back("epoch_begin " + std::to_string(e)); };
  cb->epoch_end = [&](int64_t e, Logs& l) {
    trace.push_back("epoch_end " + std::to_string(e) + (l.contains("val_loss") ? " +val" : ""));
  };
  cb->train_batch_begin = [&](int64_t b, Logs&) { trace.push_back("batch_begin " + std::to_string(b)); };
  cb->train_batch_end = [&](int64_t b, Logs&) { trace.push_back("batch_end " + std::to_string(b)); };
  cb->test_begin = [&](Logs&) { trace.push_back("test_begin"); };
  cb->test_batch_begin = [&](int64_t b, Logs&) { trace.push_back("test_batch_begin " + std::to_string(b)); };
  cb->test_batch_end = [&](int64_t b, Logs&) { trace.push_back("test_batch_end " + std::to_string(b)); };
  cb->test_end = [&](Logs&) { trace.push_back("test_end"); };
  fit(m, quiet({.batch_size = 2, .epochs = 2, .validation_split = 0.5}), {cb});
  std::vector<std::string> want = {"train_begin"};
  for (int e = 0; e < 2; ++e) {
    const std::string s = std::to_string(e);
    for (const char* x : {"epoch_begin ", "batch_begin 0", "batch_end 0", "test_begin", "test_batch_begin 0",
                          "test_batch_end 0", "test_end", "epoch_end "})
      want.push_back(std::string(x) + (std::string(x).back() == ' ' ? s : ""));
    want.back() += " +val";
  }
  want.push_back("train_end:4");  // the last epoch logs: loss, accuracy, val_loss, val_accuracy
  EXPECT_EQ(trace, want);
}

TEST(Fit, StopTrainingFromEpochEndEndsAfterThatEpoch) {
  ScriptedTrainable m;
  m.n = 4;
  auto cb = std::make_shared<LambdaCallback>();
  FakeContext* ctx = &m;
  cb->epoch_end = [&](int64_t e, Logs&) {
    if (e == 1) ctx->set_stop_training(true);
  };
  History h = fit(m, quiet({.batch_size = 2, .epochs = 10}), {cb});
  EXPECT_EQ(h.epoch(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(m.train_calls.size(), 4u);
  // A new fit clears the flag.
  m.train_calls.clear();
  fit(m, quiet({.batch_size = 2, .epochs = 1}));
  EXPECT_EQ(m.train_calls.size(), 2u);
}

TEST(Fit, StopTrainingFromABatchEndsTheBatchLoopButNotTheEpochEnd) {
  ScriptedTrainable m;
  m.n = 10;
  auto cb = std::make_shared<LambdaCallback>();
  FakeContext* ctx = &m;
  cb->train_batch_end = [&](int64_t b, Logs&) {
    if (b == 1) ctx->set_stop_training(true);
  };
  History h = fit(m, quiet({.batch_size = 2, .epochs = 3, .validation_split = 0.2, .shuffle = false}), {cb});
  EXPECT_EQ(train_batches(m), (std::vector<Idx>{{0, 1}, {2, 3}}));
  EXPECT_EQ(m.eval_calls.size(), 1u);  // validation still ran
  EXPECT_EQ(h.epoch(), (std::vector<int64_t>{0}));
  EXPECT_DOUBLE_EQ(h["loss"][0], 1.5);
}

TEST(Fit, InitialEpochAndEpochsAsFinalIndex) {
  ScriptedTrainable m;
  m.n = 5;
  std::vector<int64_t> begun;
  auto cb = std::make_shared<LambdaCallback>();
  cb->epoch_begin = [&](int64_t e, Logs&) { begun.push_back(e); };
  History h = fit(m, quiet({.batch_size = 5, .epochs = 5, .initial_epoch = 2, .seed = 7}), {cb});
  EXPECT_EQ(begun, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(h.epoch(), (std::vector<int64_t>{2, 3, 4}));
  // The shuffle of epoch 2 is the one an uninterrupted run would use.
  EXPECT_EQ(m.train_calls[0].indices, data::shuffled_order({0, 1, 2, 3, 4}, 7, 2));
  ScriptedTrainable none;
  none.n = 5;
  History empty = fit(none, quiet({.epochs = 2, .initial_epoch = 2}));
  EXPECT_TRUE(empty.epoch().empty());
  EXPECT_TRUE(none.train_calls.empty());
}

TEST(Fit, StepsPerEpochContinuesThePassAcrossEpochs) {
  ScriptedTrainable m;
  m.n = 10;  // 4 batches of 3, 3, 3, 1
  std::vector<std::string> warnings;
  std::vector<int64_t> steps_param;
  auto cb = std::make_shared<LambdaCallback>();
  History h = fit(m, quiet({.batch_size = 3, .epochs = 3, .shuffle = false, .steps_per_epoch = 3,
                            .warn = [&](const std::string& w) { warnings.push_back(w); }}),
                  {cb});
  // Epoch 0: three batches; epoch 1: the pass has one batch left, then it runs
  // out (warning); epoch 2 starts a new pass.
  EXPECT_EQ(train_batches(m), (std::vector<Idx>{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9}, {0, 1, 2}, {3, 4, 5}, {6, 7, 8}}));
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(h["loss"][1], 9.0);
}

// The loop announces each epoch's training batches and each validation's
// batches before asking for them (a loader builds them ahead): the calls
// that follow take exactly the announced batches, in order.
TEST(Fit, AnnouncesTheBatchesItAsksForNext) {
  ScriptedTrainable m;
  m.n = 11;  // 8 training samples (batches 3, 3, 2), 3 validating
  fit(m, quiet({.batch_size = 3, .epochs = 3, .validation_split = 0.25, .steps_per_epoch = 2, .seed = 9,
                .warn = [](const std::string&) {}}));
  // Epoch 0: 2 batches; epoch 1: the last batch of the pass; epoch 2: a new pass.
  ASSERT_EQ(m.plans.size(), 6u);
  std::size_t train_call = 0, eval_call = 0;
  for (std::size_t p = 0; p < m.plans.size(); ++p) {
    const auto& plan = m.plans[p];
    EXPECT_EQ(plan.training, p % 2 == 0);
    EXPECT_EQ(plan.source, DataSource::main);
    for (const auto& batch : plan.batches) {
      auto& calls = plan.training ? m.train_calls : m.eval_calls;
      std::size_t& next = plan.training ? train_call : eval_call;
      ASSERT_LT(next, calls.size());
      EXPECT_EQ(calls[next++].indices, batch) << "plan " << p;
    }
  }
  EXPECT_EQ(m.plans[0].batches.size(), 2u);
  EXPECT_EQ(m.plans[2].batches.size(), 1u);
  EXPECT_EQ(m.plans[4].batches.size(), 2u);
  EXPECT_EQ(m.plans[1].batches, (std::vector<Idx>{{8, 9, 10}}));
  EXPECT_EQ(train_call, m.train_calls.size());
  EXPECT_EQ(eval_call, m.eval_calls.size());
}

// steps_per_execution (Keras): batch callbacks bracket each execution, the
// logs and History are those of one step at a time.
TEST(Fit, StepsPerExecutionGroupsBatchCallbacksWithTheSameLogs) {
  std::vector<History> h;
  std::vector<std::vector<int64_t>> begins(2), ends(2);
  std::vector<std::vector<double>> running(2);
  for (int run = 0; run < 2; ++run) {
    ScriptedTrainable m;
    m.n = 13;  // 7 batches of 2 (the last 1)
    auto cb = std::make_shared<LambdaCallback>();
    cb->train_batch_begin = [&, run](int64_t b, Logs&) { begins[run].push_back(b); };
    cb->train_batch_end = [&, run](int64_t b, Logs& l) {
      ends[run].push_back(b);
      running[run].push_back(l.at("loss"));
    };
    h.push_back(fit(m, quiet({.batch_size = 2, .epochs = 2, .steps_per_execution = run == 0 ? 1 : 3, .seed = 3}),
                    {cb}));
    EXPECT_EQ(m.train_calls.size(), 14u);
  }
  EXPECT_EQ(h[0]["loss"], h[1]["loss"]);
  EXPECT_EQ(begins[1], (std::vector<int64_t>{0, 3, 6, 0, 3, 6}));
  EXPECT_EQ(ends[1], (std::vector<int64_t>{2, 5, 6, 2, 5, 6}));
  // The running averages at an execution's end are the per-step ones at that step.
  for (std::size_t i = 0; i < ends[1].size(); ++i)
    EXPECT_EQ(running[1][i], running[0][static_cast<std::size_t>(ends[1][i] + (i >= 3 ? 7 : 0))]) << i;
  ScriptedTrainable m;
  m.n = 4;
  EXPECT_THROW(fit(m, quiet({.steps_per_execution = 0})), Error);
}

TEST(Fit, ValidationStepsAndSeparateValidationData) {
  ScriptedTrainable m;
  m.n = 10;
  fit(m, quiet({.batch_size = 2, .epochs = 2, .validation_split = 0.4, .shuffle = false, .validation_steps = 1}));
  ASSERT_EQ(m.eval_calls.size(), 2u);
  EXPECT_EQ(m.eval_calls[0].indices, (Idx{6, 7}));  // only the first batch, every time
  EXPECT_EQ(m.eval_calls[1].indices, (Idx{6, 7}));

  ScriptedTrainable v;
  v.n = 4;
  v.n_val = 3;
  History h = fit(v, quiet({.batch_size = 2, .epochs = 1, .validation_split = 0.5, .validation_data = true,
                            .validation_sample_weight = {1, 1, 4}}));
  EXPECT_EQ(v.train_calls.size(), 2u);  // the split is ignored when validation data is given
  ASSERT_EQ(v.eval_calls.size(), 2u);
  EXPECT_EQ(v.eval_calls[0].source, DataSource::validation);
  EXPECT_EQ(v.eval_calls[1].indices, (Idx{2}));
  EXPECT_EQ(v.eval_calls[1].weights, (std::vector<double>{4}));
  EXPECT_DOUBLE_EQ(h["val_loss"][0], (2 * 0.5 + 1 * 8.0) / 3);
}

TEST(Fit, ReduceLROnPlateauRateShowsInHistory) {
  ScriptedTrainable m;
  m.n = 4;
  m.lr = 0.1;
  auto r = std::make_shared<ReduceLROnPlateau>(ReduceLROnPlateauOptions{.monitor = "loss", .factor = 0.5, .patience = 1});
  History h = fit(m, quiet({.batch_size = 2, .epochs = 3}), {r});  // the loss never changes
  // Logged before the epoch's reduction: e1 and e2 reduce.
  EXPECT_EQ(h["learning_rate"], (std::vector<double>{0.1, 0.1, 0.05}));
  EXPECT_DOUBLE_EQ(m.lr, 0.025);
}

TEST(Evaluate, AveragesOverSamplesWithStepsAndCallbacks) {
  ScriptedTrainable m;
  m.n = 5;
  int test_batches = 0;
  auto cb = std::make_shared<LambdaCallback>();
  cb->test_batch_end = [&](int64_t, Logs&) { ++test_batches; };
  Logs l = evaluate(m, {.batch_size = 2, .verbose = 0, .sample_weight = {1, 1, 1, 1, 2}}, {cb});
  EXPECT_DOUBLE_EQ(l.at("loss"), (2 * 0.5 + 2 * 2.5 + 1 * 8.0) / 5);
  EXPECT_EQ(test_batches, 3);
  Logs first = evaluate(m, {.batch_size = 2, .verbose = 0, .steps = 1});
  EXPECT_DOUBLE_EQ(first.at("loss"), 0.5);
}

TEST(Predict, BatchesAllSamplesInOrder) {
  FakeContext ctx;
  std::vector<Idx> seen;
  int begin = 0, end = 0;
  auto cb = std::make_shared<LambdaCallback>();
  cb->predict_begin = [&](Logs&) { ++begin; };
  cb->predict_end = [&](Logs&) { ++end; };
  predict(ctx, 5, [&](std::span<const int64_t> idx) { seen.emplace_back(idx.begin(), idx.end()); },
          {.batch_size = 2, .verbose = 0}, {cb});
  EXPECT_EQ(seen, (std::vector<Idx>{{0, 1}, {2, 3}, {4}}));
  EXPECT_EQ(begin, 1);
  EXPECT_EQ(end, 1);
}

namespace {
// Reports the sample index as loss, except a NaN once `nan_at_call` batches ran.
class DivergingTrainable : public ScriptedTrainable {
 public:
  std::size_t nan_at_call = 0;
  Logs train_batch(std::span<const int64_t> idx, std::span<const double> w) override {
    Logs l = ScriptedTrainable::train_batch(idx, w);
    if (train_calls.size() > nan_at_call) l.set("loss", std::numeric_limits<double>::quiet_NaN());
    return l;
  }
};
}  // namespace

TEST(Fit, DefaultTerminateOnNaNStopsWithoutEpochEndAndThrows) {
  DivergingTrainable m;
  m.n = 12;
  m.nan_at_call = 5;  // epoch 1 (0-based), batch 1
  std::vector<int64_t> epoch_ends;
  int train_ends = 0;
  Logs end_logs;
  auto cb = std::make_shared<LambdaCallback>();
  cb->epoch_end = [&](int64_t e, Logs&) { epoch_ends.push_back(e); };
  cb->train_end = [&](Logs& l) {
    ++train_ends;
    end_logs = l;
  };
  try {
    fit(m, quiet({.batch_size = 3, .epochs = 3}), {cb});
    FAIL() << "fit returned after a NaN loss";
  } catch (const NonFiniteLossError& e) {
    EXPECT_EQ(e.where().epoch, 1);
    EXPECT_EQ(e.where().batch, 1);
    EXPECT_TRUE(std::isnan(e.where().value));
    EXPECT_NE(std::string(e.what()).find("epoch 2/3, batch 2/4"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.train_calls.size(), 6u);                // nothing after the NaN batch
  EXPECT_EQ(epoch_ends, (std::vector<int64_t>{0}));  // the diverged epoch has no epoch end (no checkpoint)
  EXPECT_EQ(train_ends, 1);
  EXPECT_TRUE(end_logs.contains("loss"));  // the last complete epoch's logs
  EXPECT_TRUE(std::isfinite(end_logs.at("loss")));
}

TEST(Fit, TerminateOnNaNCallbackHasKerasSemantics) {
  // A TerminateOnNaN among the callbacks replaces the default: Keras stops
  // after the batch, still runs epoch end, and fit returns normally.
  DivergingTrainable m;
  m.n = 12;
  m.nan_at_call = 2;
  std::ostringstream out;
  auto t = std::make_shared<TerminateOnNaN>(&out);
  int epoch_ends = 0;
  auto cb = std::make_shared<LambdaCallback>();
  cb->epoch_end = [&](int64_t, Logs&) { ++epoch_ends; };
  fit(m, quiet({.batch_size = 3, .epochs = 3}), {t, cb});
  EXPECT_EQ(m.train_calls.size(), 3u);
  EXPECT_EQ(epoch_ends, 1);
  EXPECT_EQ(out.str(), "Batch 2: Invalid loss, terminating training\n");
  ASSERT_TRUE(t->terminated().has_value());
  EXPECT_EQ(t->terminated()->epoch, 0);
  EXPECT_EQ(t->terminated()->batch, 2);
}

TEST(Fit, TerminateOnNaNOffKeepsTraining) {
  DivergingTrainable m;
  m.n = 6;
  m.nan_at_call = 0;
  FitOptions o = quiet({.batch_size = 3, .epochs = 2});
  o.terminate_on_nan = false;
  History h = fit(m, o);
  EXPECT_EQ(m.train_calls.size(), 4u);
  EXPECT_TRUE(std::isnan(h["loss"][1]));
}

TEST(Fit, InfiniteLossAlsoTerminates) {
  struct Inf : ScriptedTrainable {
    Logs train_batch(std::span<const int64_t> idx, std::span<const double> w) override {
      Logs l = ScriptedTrainable::train_batch(idx, w);
      l.set("loss", -std::numeric_limits<double>::infinity());
      return l;
    }
  } m;
  m.n = 6;
  EXPECT_THROW(fit(m, quiet({.batch_size = 3, .epochs = 1})), NonFiniteLossError);
  EXPECT_EQ(m.train_calls.size(), 1u);
}
